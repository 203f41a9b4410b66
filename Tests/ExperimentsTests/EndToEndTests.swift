import Datasets
import Evaluation
import Experiments
import Foundation
import TestSupport
import Testing
import Training

private func tinyData(classKind: ClassKind? = nil) throws -> PreparedData {
    try PreparedData(DataRequest(path: TinyCorpus.speakers, classKind: classKind, testFraction: 0.25, seed: 1,
                                 featureCache: TinyCorpus.featureCache))
}

private let tinyConfiguration = TrainingConfiguration(epochs: 3, batchSize: 8, learningRate: 3e-3, seed: 2)

@Suite(.serialized) struct EndToEndTests {
    @Test func preparedDataSplitsByRecordingWithLabelsInClassOrder() throws {
        let data = try tinyData()
        #expect(data.layout == .audioMNIST)
        #expect(data.classes.count == 3)
        #expect(data.splitMethod == .stratified(testFraction: 0.25, seed: 1))
        #expect(data.train.count + data.test.count == 36)
        #expect(data.test.count == 9)                                   // 3 of 12 clips per speaker
        #expect(Set(data.train.features.recordingIDs).isDisjoint(with: data.test.features.recordingIDs))
        for (id, label) in zip(data.test.features.recordingIDs, data.test.labels) {
            let recording = data.index.recordings.first { $0.id == id }!
            #expect(data.classes[label] == recording.speaker)
        }
        #expect(data.fingerprint.count == 16)
        #expect(try tinyData().fingerprint == data.fingerprint)
    }

    @Test func trainEvaluateWriteTheReportAndReadItBack() throws {
        let data = try tinyData()
        let checkpoint = TinyCorpus.temporaryFile("tiny.safetensors")
        let outcome = try trainModel(.cnn, on: data, configuration: tinyConfiguration, checkpoint: checkpoint)
        #expect(outcome.result.history.count == 3)

        // The checkpoint alone rebuilds the model: same class names, statistics and logits.
        let loaded = try TrainedModel(contentsOf: checkpoint)
        #expect(loaded.classNames == data.classes)
        #expect(loaded.statistics == outcome.trained.statistics)
        #expect(loaded.settings == data.train.features.settings)
        #expect(loaded.metadata.additional[TrainedModel.Key.split] == data.splitMethod.description)
        try loaded.checkCompatible(with: data)
        #expect(loaded.file == checkpoint)
        let statistics = loaded.statistics
        #expect(predictLogits(of: loaded.model, on: data.test.features, normalizedWith: statistics)
                == predictLogits(of: outcome.trained.model, on: data.test.features, normalizedWith: statistics))

        let evaluation = try evaluateModel(loaded, on: data, forgetClasses: [0], forgetAccuracyBefore: 100, seed: 4)
        #expect(evaluation.testExampleCount == 9)
        #expect(evaluation.confusionMatrix.joined().reduce(0, +) == 9)
        #expect(evaluation.perClass.map(\.exampleCount) == [3, 3, 3])
        let forget = try #require(evaluation.forget)
        #expect(forget.forgetClasses == [data.classes[0]])
        #expect(forget.forgetSampleCount == 3 && forget.retainSampleCount == 6)
        #expect(forget.falseRejectionRate == forget.retainAccuracy.map { 100 - $0 })
        // One example per recording here, so the per-recording figures are the per-example ones.
        #expect(Set(data.test.features.recordingIDs).count == 9)
        #expect(forget.utteranceRetainAccuracy == forget.retainAccuracy && forget.utteranceForgetAccuracy == forget.forgetAccuracy)
        #expect(forget.privacyErasureRate != nil || forget.forgetAccuracy == 100)
        #expect(forget.lossAttack != nil)
        #expect(forget.entropyAttackMemberRate != nil)

        let report = EvaluationReport(command: "test", configuration: ["epochs": "3"], seed: 4,
                                      dataset: DatasetSummary(data), model: ModelSummary(loaded, path: checkpoint.path),
                                      evaluation: evaluation, timings: ["total": 1.5])
        let json = TinyCorpus.temporaryFile("report.json")
        try report.write(json: json)
        #expect(try EvaluationReport(contentsOf: json) == report)
        #expect(report.dataset.fingerprint == data.fingerprint)
        #expect(report.software.hasPrefix("QPAudioEraser "))
        let markdown = report.markdown
        #expect(markdown.contains("## Forgetting \(data.classes[0])"))
        #expect(markdown.contains("| FA, forget accuracy ↓"))
        #expect(markdown.contains("## Confusion matrix"))
    }

    @Test func classesAreNamedOrIndexed() throws {
        let classes = ["george", "3", "theo"]
        #expect(try PreparedData.classIndices(named: ["theo", "george"], in: classes) == [2, 0])
        #expect(try PreparedData.classIndices(named: ["3"], in: classes) == [1])     // the name wins
        #expect(try PreparedData.classIndices(named: ["2", "theo"], in: classes) == [2])
        let error = #expect(throws: DatasetError.self) { try PreparedData.classIndices(named: ["lucas"], in: classes) }
        #expect(error == .unknownClass("lucas", available: classes))
        #expect(error?.description.contains("[george, 3, theo]") == true)
    }

    @Test func aCheckpointRejectsDataWithOtherClassesOrFeatures() throws {
        let data = try tinyData()
        let outcome = try trainModel(.cnn, on: data, configuration: .init(epochs: 1, batchSize: 8, seed: 1))
        let digits = try tinyData(classKind: .digit)
        let mismatch = #expect(throws: ExperimentError.self) {
            try outcome.trained.checkCompatible(with: digits)
        }
        #expect(mismatch?.description.contains("the model in memory (not saved) was trained on the classes") == true)
        #expect(mismatch?.description.contains("qpae train") == true)

        var other = outcome.trained
        other.metadata.featureSettings["hopLength"] = 200
        other.file = URL(fileURLWithPath: "/models/m.safetensors")
        let settings = #expect(throws: ExperimentError.self) { try other.checkCompatible(with: data) }
        #expect(settings?.description.hasPrefix("/models/m.safetensors expects other log-mel features") == true)
        #expect(settings?.description.contains("hopLength: model 200, data 160") == true)

        // Where examples are taken travels with the checkpoint, and data cut otherwise is refused.
        let placed = try #require(data.train.features.settings.windowing)
        var saved = outcome.trained
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qpae-windowing-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try saved.save(to: file)
        #expect(try TrainedModel(contentsOf: file).settings?.windowing == placed)
        let consecutive = try PreparedData(DataRequest(path: TinyCorpus.speakers, testFraction: 0.25, seed: 1, settings: .vggish,
                                                       featureCache: TinyCorpus.featureCache))
        let placement = #expect(throws: ExperimentError.self) { try saved.checkCompatible(with: consecutive) }
        #expect(placement?.description.contains("speechWindows: model 1, data absent") == true, "\(placement?.description ?? "")")
    }

    @Test func aDamagedModelIsReportedNotTrapped() throws {
        let data = try tinyData()
        let outcome = try trainModel(.cnn, on: data, configuration: .init(epochs: 1, batchSize: 8, seed: 1))
        let head = outcome.trained.model.head
        var bias = head.bias!.value.scalars
        bias[1] = .nan
        head.bias!.value = .init(shape: head.bias!.value.shape, scalars: bias)
        let error = #expect(throws: ExperimentError.self) { try evaluateModel(outcome.trained, on: data) }
        #expect(error == .nonFiniteOutputs(exampleCount: data.test.count, of: data.test.count))
    }

    @Test func retrainingWithoutAClassNeverSeesItsExamples() throws {
        let data = try tinyData()
        nonisolated(unsafe) var seen = 0
        let outcome = try trainModel(.cnn, on: data, configuration: .init(epochs: 1, batchSize: 8, seed: 1),
                                     excludedClasses: [1]) { trainer in
            trainer.observer.epoch = { _ in seen = trainer.labels.count; #expect(!trainer.labels.contains(1)) }
        }
        #expect(seen == data.train.labels.filter { $0 != 1 }.count)
        #expect(outcome.trained.forgottenClasses == [data.classes[1]])
        #expect(outcome.trained.classNames.count == 3)                      // the class keeps its output
    }

    @Test func splitMethodsRoundTripThroughText() {
        for method: SplitMethod in [.official, .stratified(testFraction: 0.25, seed: 7)] {
            #expect(SplitMethod(method.description) == method)
        }
        #expect(SplitMethod("stratified 0.2") == nil)
    }

    @Test func demoTrainsEvaluatesAndWritesReports() throws {
        var demo = Demo(output: TinyCorpus.temporaryFile("demo"))
        demo.dataPath = TinyCorpus.speakers
        demo.featureCache = TinyCorpus.featureCache
        demo.epochs = 2
        demo.unlearning.epochs = 1
        demo.showsProgress = false
        nonisolated(unsafe) var lines: [String] = []
        demo.log = { lines.append($0) }
        let result = try demo.run()
        #expect(FileManager.default.fileExists(atPath: result.checkpoint.path))
        #expect(try EvaluationReport(contentsOf: result.jsonReport) == result.report)
        #expect(try String(contentsOf: result.markdownReport, encoding: .utf8) == result.report.markdown)
        #expect(lines.contains { $0.contains("| accuracy %") })
        let classes = result.report.dataset.classes
        #expect(result.requests.map { $0.unlearning?.request } == [[classes[0]], [classes[1]]])
        #expect(result.requests[1].model.forgottenClasses == Array(classes.prefix(2)))
        #expect(result.requests[1].evaluation.forget?.earlierForgotten.map(\.name) == [classes[0]])
        #expect(lines.contains { $0.contains("re-test of \(classes[0])") })
        // Each request says what its erasure is worth and offers the exact one, which would start from the
        // model the request started from.
        #expect(result.requests.allSatisfy { $0.unlearning?.grade == .outputsOnly })
        #expect(result.requests.map { $0.unlearning?.fallback?.model } == [result.checkpoint.path,
                                                                         demo.output.appendingPathComponent("speakers-cnn-request1.safetensors").path])
        #expect(lines.filter { $0.hasPrefix("   grade: outputs only") }.count == 2)
        let second = demo.output.appendingPathComponent("request2.json")
        #expect(try EvaluationReport(contentsOf: second) == result.requests[1])
    }
}
