import Datasets
import Evaluation
import Experiments
import Foundation
import TestSupport
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
        let (data, model, _) = try trainedTiny()
        let (first, second) = (data.classes[0], data.classes[1])
        let one = try forgetClasses([0], in: model, data: data, method: oneEpoch, seed: 3)
        #expect(one.model.forgottenClasses == [first])
        #expect(one.model.file == nil && model.file != nil)                  // changed in memory: not the file any more
        #expect(one.after.forget?.forgetClasses == [first])
        #expect(one.after.forget?.forgetAccuracyBefore == one.before.forget?.forgetAccuracy)
        #expect(one.run.examplesSeen == data.train.count)                       // one epoch over everything

        let two = try forgetClasses([1], in: one.model, data: data, method: oneEpoch, seed: 3)
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
        var written = two.model
        try written.save(to: saved)
        #expect(written.file == saved)
        let loaded = try TrainedModel(contentsOf: saved)
        #expect(loaded.forgottenClasses == [first, second])
        #expect(loaded.unlearningHistory == two.model.unlearningHistory)

        let again = #expect(throws: UnlearningError.self) {
            try forgetClasses([0], in: two.model, data: data, method: oneEpoch, seed: 3)
        }
        #expect(again == .alreadyForgotten(first))
        let everything = #expect(throws: UnlearningError.self) {
            try forgetClasses([2], in: two.model, data: data, method: oneEpoch, seed: 3)
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
        #expect(report.before != nil)
        #expect(report.evaluation.forget?.privacyErasureRateNote == nil || report.before?.forget?.forgetAccuracy == 0)

        try command(["--forget", data.classes[1], "--in-place"]).run()
        #expect(try Data(contentsOf: file.appendingPathExtension("bak")) == original)
        #expect(try TrainedModel(contentsOf: file).forgottenClasses == [data.classes[1]])
    }
}

/// `qpae forget`'s tuning flags: each reaches the method's configuration, a flag the chosen method does
/// not take is refused naming the methods that do, and a value out of range names the flag.
@Suite struct ForgetFlagTests {
    private static let base = ["forget", "--model", "in.safetensors", "--forget", "0", "--out", "/nonexistent/out.safetensors"]

    private func command(_ flags: [String]) throws -> ForgetCommand {
        try #require(try QPAE.parseAsRoot(Self.base + flags) as? ForgetCommand)
    }

    private func message(_ flags: [String]) -> String? {
        do { _ = try QPAE.parseAsRoot(Self.base + flags); return nil }
        catch { return QPAE.message(for: error) }
    }

    @Test func everyTuningFlagReachesTheConfiguration() throws {
        let parsed = try command([
            "--lambda", "2.5", "--epsilon", "0.25", "--epochs", "3", "--learning-rate", "0.01", "--batch-size", "16",
            "--forget-target", "retained-uniform", "--retain-fraction", "0.5", "--balanced-batches",
            "--without", "mixing", "--without", "entropy", "--setting", "mixesBias=true", "--setting", "phase=1.5",
            "--setting", "batchPlan.examples=retain",
        ])
        let method = try #require(try parsed.unlearningMethod().method as? QPAudioEraser)
        var expected = QPAudioEraser.Configuration()
        expected.lambda = 2.5
        expected.epsilon = 0.25
        expected.epochs = 3
        expected.learningRate = 0.01
        expected.batchSize = 16
        expected.forgetTarget = .retainedUniform
        expected.batchPlan = BatchPlan(retainFraction: 0.5, balancesForgetExamples: true, examples: .retain)
        expected.without = [.mixing, .entropy]
        expected.mixesBias = true
        expected.phase = 1.5
        #expect(method.configuration == expected)

        // No tuning option of the command is missing from the flags tested above.
        let options = Set(ForgetCommand.helpMessage(columns: 400).matches(of: /--[a-z-]+/).map { String($0.output) })
        let other: Set = ["--model", "--data", "--forget", "--out", "--in-place", "--overwrite", "--method", "--setting",
                          "--seed", "--cache", "--json", "--report", "--markdown", "--help", "--audit", "--oracles",
                          "--audit-setting", "--preset", "--precision"]
        #expect(options.subtracting(other) == Set(parsed.tuningFlags.map(\.flag)).subtracting(other))
        #expect(parsed.tuningFlags.count == 9)
    }

    @Test func aReportNamedLikeAnAuditCacheIsRefused() {
        #expect(message(["--json", "no-george.audit.json"])?.contains(
            "--json no-george.audit.json: names ending in .audit.json are the audit's measurement caches "
                + "(<model>.audit.json beside each model); choose another name") == true)
        #expect(message(["--markdown", "m.audit.json"])?.contains("--markdown m.audit.json: names ending") == true)
        #expect(message(["--json", "no-george.report.json"]) == nil)
    }

    @Test func noFlagKeepsThePublishedDefaults() throws {
        #expect(try #require(try command([]).unlearningMethod().method as? QPAudioEraser).configuration
                == QPAudioEraser.Configuration())
        #expect(try #require(try command(["--method", "scrub"]).unlearningMethod().method as? SCRUB).configuration
                == SCRUB.Configuration())
    }

    @Test func thePresetIsTheBaseTheFlagsChange() throws {
        let method = try #require(try command(["--preset", "paper", "--epochs", "1"]).unlearningMethod().method as? QPAudioEraser)
        var expected = QPAudioEraser.Configuration.paper
        expected.epochs = 1
        #expect(method.configuration == expected)
    }

    @Test func sharedFlagsReachEveryMethodThatHasTheSetting() throws {
        let scrub = try #require(try command(["--method", "scrub", "--epochs", "7", "--learning-rate", "0.02",
                                              "--setting", "learningRateDecayEpochs=[2]"]).unlearningMethod().method as? SCRUB)
        #expect(scrub.configuration.epochs == 7 && scrub.configuration.learningRate == 0.02)
        #expect(scrub.configuration.learningRateDecayEpochs == [2])
        let teacher = try #require(try command(["--method", "bad-teacher", "--retain-fraction", "0.5"]).unlearningMethod().method
                                   as? BadTeacher)
        #expect(teacher.configuration.batchPlan.retainFraction == 0.5)
        let retrain = try #require(try command(["--method", "retrain", "--epochs", "2"]).unlearningMethod().method as? Retrain)
        #expect(retrain.configuration.epochs == 2)
    }

    @Test(arguments: [
        (["--method", "ssd", "--epsilon", "0.3"], "--epsilon is a setting of qpaudioeraser, which --method ssd does not take"),
        (["--method", "ssd", "--epochs", "2"], "--epochs is a setting of qpaudioeraser, retrain, fine-tune, gradient-ascent"),
        (["--method", "fisher", "--without", "mixing"], "--without is a setting of qpaudioeraser, which --method fisher"),
        (["--method", "scrub", "--balanced-batches"], "--balanced-batches is a setting of qpaudioeraser, bad-teacher"),
        (["--epochs=-1"], "--epochs -1: must be 0 or more"),
        (["--retain-fraction", "1.5"], "--retain-fraction 1.5: must be in 0.0…1.0"),
        (["--learning-rate", "0"], "--learning-rate 0.0: must be a finite number above 0"),
        (["--epsilon", "nan"], "--epsilon nan: must be a finite number"),
        (["--without", "mixing", "--without", "mixing"], "--without mixing,mixing: must be free of repeats"),
        (["--preset", "fast"], "QPAudioEraser setting preset: no preset 'fast' (its presets: paper, regrowth, repair)"),
        (["--method", "scrub", "--preset", "paper"], "SCRUB setting preset: no preset 'paper' (this method has none)"),
        (["--setting", "nonsense=1"], "QPAudioEraser has no setting 'nonsense'"),
        (["--setting", "epochs"], "--setting epochs: write NAME=VALUE"),
        (["--setting", "epochs=five"], "QPAudioEraser setting epochs:"),
        (["--method", "scrub", "--setting", "momentum=1"], "--setting momentum 1.0: must be in 0.0 to below 1.0"),
    ])
    func badTuningIsRefusedNamingTheFlag(flags: [String], expected: String) {
        let text = message(flags)
        #expect(text?.contains(expected) == true, "\(text ?? "accepted")")
    }
}
