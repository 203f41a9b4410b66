import Datasets
import Evaluation
import Experiments
import Foundation
import Testing
import Training
import Unlearning
@testable import qpae

@Suite(.serialized) struct ForgetTests {
    private func trainedTiny() throws -> (data: PreparedData, model: TrainedModel, file: URL) {
        let data = try PreparedData(DataRequest(path: TinyCorpus.speakers, testFraction: 0.25, seed: 1,
                                                featureCache: TinyCorpus.featureCache))
        let file = TinyCorpus.temporaryFile("tiny.safetensors")
        let outcome = try trainModel(.cnn, on: data, configuration: .init(epochs: 3, batchSize: 8, learningRate: 3e-3, seed: 2),
                                     checkpoint: file)
        return (data, outcome.trained, file)
    }

    private var oneEpoch: QPAudioEraser {
        var configuration = QPAudioEraser.Configuration()
        configuration.epochs = 1
        return QPAudioEraser(configuration: configuration)
    }

    @Test func twoRequestsInSequenceRecordHistoryAndNeverReuseDeletedData() throws {
        let (data, model, file) = try trainedTiny()
        let (first, second) = (data.classes[0], data.classes[1])
        let one = try forgetClasses([first], in: model, data: data, file: file.path, method: oneEpoch, seed: 3)
        #expect(one.model.forgottenClasses == [first])
        #expect(one.after.forget?.forgetClasses == [first])
        #expect(one.after.forget?.forgetAccuracyBefore == one.before.forget?.forgetAccuracy)
        #expect(one.run.examplesSeen == data.train.count)                       // one epoch over everything

        let two = try forgetClasses([second], in: one.model, data: data, file: file.path, method: oneEpoch, seed: 3)
        #expect(two.model.forgottenClasses == [first, second])
        #expect(two.earlierForgottenClasses == [first])
        #expect(two.after.forget?.earlierForgotten.map(\.name) == [first])
        let firstExamples = data.train.labels.filter { $0 == 0 }.count
        #expect(two.run.examplesSeen == data.train.count - firstExamples)     // the first speaker's data is gone
        // Retain accuracy counts only the never-forgotten class.
        #expect(two.after.forget?.retainSampleCount == data.test.labels.filter { $0 == 2 }.count)
        #expect(two.model.unlearningHistory.map(\.classes) == [[first], [second]])

        // The history survives the file.
        let saved = TinyCorpus.temporaryFile("two.safetensors")
        try two.model.save(to: saved)
        let loaded = try TrainedModel(contentsOf: saved)
        #expect(loaded.forgottenClasses == [first, second])
        #expect(loaded.unlearningHistory == two.model.unlearningHistory)

        let again = #expect(throws: UnlearningError.self) {
            try forgetClasses([first], in: two.model, data: data, file: saved.path, method: oneEpoch, seed: 3)
        }
        #expect(again == .alreadyForgotten(first))
        let everything = #expect(throws: UnlearningError.self) {
            try forgetClasses([data.classes[2]], in: two.model, data: data, file: saved.path, method: oneEpoch, seed: 3)
        }
        #expect(everything == .forgetsEveryClass(classCount: 3))
    }

    @Test func forgetCommandWritesANewFileOrReplacesWithABackup() throws {
        let (data, _, file) = try trainedTiny()
        let cache = TinyCorpus.featureCache.path
        func command(_ extra: [String]) throws -> ForgetCommand {
            try #require(try QPAE.parseAsRoot(["forget", "--model", file.path, "--epochs", "1", "--cache", cache] + extra)
                         as? ForgetCommand)
        }
        let message = { (arguments: [String]) -> String? in
            do { _ = try QPAE.parseAsRoot(["forget", "--model", file.path] + arguments); return nil }
            catch { return QPAE.message(for: error) }
        }
        #expect(message(["--forget", "0"])?.contains("either --out FILE") == true)
        #expect(message(["--forget", "0", "--out", file.path])?.contains("pass --in-place") == true)
        #expect(message(["--out", "x.safetensors"])?.contains("--forget") == true)
        #expect(message(["--forget", "0", "--out", "x.safetensors", "--without", "everything"]) != nil)

        let out = TinyCorpus.temporaryFile("forgot.safetensors")
        let json = TinyCorpus.temporaryFile("forgot.json")
        let original = try Data(contentsOf: file)
        try command(["--forget", data.classes[0], "--out", out.path, "--json", json.path, "--without", "mixing"]).run()
        #expect(try Data(contentsOf: file) == original)                       // the input is untouched
        #expect(try TrainedModel(contentsOf: out).forgottenClasses == [data.classes[0]])
        let report = try EvaluationReport(contentsOf: json)
        #expect(report.unlearning?.run.phases.map(\.ran) == [true, true, true, false])
        #expect(report.before != nil && report.evaluation.forget?.privacyErasureRateNote == nil
                || report.before?.forget?.forgetAccuracy == 0)

        try command(["--forget", data.classes[1], "--in-place"]).run()
        #expect(try Data(contentsOf: file.appendingPathExtension("bak")) == original)
        #expect(try TrainedModel(contentsOf: file).forgottenClasses == [data.classes[1]])
    }
}
