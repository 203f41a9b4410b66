import Audit
import Datasets
import Experiments
import Foundation
import TestSupport
import Testing
import Training
import Unlearning
@testable import qpae

/// The audit as a user runs it: oracles trained beside the original and reused, measurements cached
/// beside each model, the command line and the report.
@Suite(.serialized) struct AuditCommandTests {
    private static var quick: AuditConfiguration {
        var configuration = AuditConfiguration()
        configuration.probeFolds = 2
        configuration.relearnShots = [2]
        configuration.relearnCheckpoints = [3]
        configuration.relearnDraws = 1
        configuration.relearnBatchSize = 8
        configuration.retainOnlyLearningRates = [1e-3]
        return configuration
    }

    @Test func oraclesAndMeasurementsAreTrainedOnceAndReused() throws {
        let data = try PreparedData(DataRequest(path: TinyCorpus.speakers, testFraction: 0.25, seed: 1,
                                                featureCache: TinyCorpus.featureCache))
        let originalFile = TinyCorpus.temporaryFile("original.safetensors")
        let trained = try trainModel(.cnn, on: data, configuration: .init(epochs: 2, batchSize: 8, learningRate: 3e-3, seed: 2),
                                     checkpoint: originalFile).trained
        var forgot = try forgetClasses([0], in: try TrainedModel(contentsOf: originalFile), data: data,
                                       method: QPAudioEraser(configuration: { var c = QPAudioEraser.Configuration(); c.epochs = 0; return c }()),
                                       seed: 3).model
        let unlearnedFile = originalFile.deletingLastPathComponent().appendingPathComponent("forgot.safetensors")
        try forgot.save(to: unlearnedFile)

        var lines: [String] = []
        let first = try auditModel(forgot, original: trained, data: data, oracleCount: 2, configuration: Self.quick,
                                   log: { lines.append($0) })
        #expect(first.forgetClasses == [data.classes[0]] && first.oracleCount == 2)
        #expect(lines.contains { $0.hasPrefix("oracle 1 of 2: retraining without \(data.classes[0])") })
        let bank = OracleBank.folder(beside: originalFile, without: [data.classes[0]])
        let oracles = try FileManager.default.contentsOfDirectory(atPath: bank.path).filter { $0.hasSuffix(".safetensors") }
        #expect(oracles.sorted() == ["seed-3.safetensors", "seed-4.safetensors"])            // the recipe's seed + 1, + 2
        let oracle = try TrainedModel(contentsOf: bank.appendingPathComponent("seed-3.safetensors"))
        #expect(oracle.forgottenClasses == [data.classes[0]] && oracle.statistics == trained.statistics)
        #expect(first.seconds.values.allSatisfy { $0 > 0 })
        // The oracles record their training time; its mean is what the exact erasure costs.
        let times = try oracles.sorted().map { try #require(try TrainedModel(contentsOf: bank.appendingPathComponent($0)).trainingSeconds) }
        #expect(times.allSatisfy { $0 > 0 })
        #expect(abs(try #require(first.retrainingSeconds) - (times[0] + times[1]) / 2) < 1e-9)

        lines = []
        let second = try auditModel(forgot, original: trained, data: data, oracleCount: 2, configuration: Self.quick,
                                    log: { lines.append($0) })
        #expect(lines.isEmpty)                                                  // nothing trained, nothing measured
        #expect(second.seconds.values.allSatisfy { $0 == 0 })
        #expect(second.rows == first.rows && second.verdict == first.verdict)
        // A measurement cached before retained accuracy was measured gets it added, and nothing else redone.
        // A measurement cached as the single entry of an older file, before retained accuracy was measured,
        // is read and gets it added by one inference pass; nothing else is redone.
        let cache = unlearnedFile.deletingPathExtension().appendingPathExtension(auditCacheExtension)
        func cached() throws -> [[String: Any]] {
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: cache)) as? [[String: Any]])
        }
        var old = try #require(try cached().first)
        #expect(try cached().count == 1)
        #expect(old.removeValue(forKey: "retainAccuracy") != nil)
        try JSONSerialization.data(withJSONObject: old).write(to: cache)
        let third = try auditModel(forgot, original: trained, data: data, oracleCount: 2, configuration: Self.quick,
                                   log: { lines.append($0) })
        #expect(lines.isEmpty && third.rows == first.rows)
        #expect(try cached().first?["retainAccuracy"] as? Double == first.rows.first { $0.test == "retain accuracy" }?.unlearned)

        var other = Self.quick
        other.seed = 1
        let reseeded = try auditModel(forgot, original: trained, data: data, oracleCount: 2, configuration: other)
        #expect(reseeded.seconds.values.allSatisfy { $0 > 0 })                // another key: measured again
        // Both keys stay: the first audit again measures nothing, the reseeded one neither.
        #expect(try cached().count == 2)
        for configuration in [Self.quick, other] {
            let again = try auditModel(forgot, original: trained, data: data, oracleCount: 2, configuration: configuration)
            #expect(again.seconds.values.allSatisfy { $0 == 0 })
        }
    }

    @Test func theCommandNamesTheVerdictAndWritesTheReport() throws {
        let data = try PreparedData(DataRequest(path: TinyCorpus.speakers, testFraction: 0.25, seed: 1,
                                                featureCache: TinyCorpus.featureCache))
        let originalFile = TinyCorpus.temporaryFile("o.safetensors")
        _ = try trainModel(.cnn, on: data, configuration: .init(epochs: 1, batchSize: 8, seed: 2), checkpoint: originalFile)
        let folder = originalFile.deletingLastPathComponent()
        let forget = try #require(try QPAE.parseAsRoot(
            ["forget", "--model", originalFile.path, "--forget", data.classes[1], "--epochs", "0", "--audit",
             "--oracles", "2", "--audit-setting", "relearnShots=[2]", "--audit-setting", "relearnCheckpoints=[2]",
             "--audit-setting", "relearnDraws=1", "--audit-setting", "retainOnlyLearningRates=[0.001]",
             "--audit-setting", "probeFolds=2", "--out", folder.appendingPathComponent("f.safetensors").path,
             "--json", folder.appendingPathComponent("f.json").path, "--cache", TinyCorpus.featureCache.path]) as? ForgetCommand)
        try forget.run()
        let report = try EvaluationReport(contentsOf: folder.appendingPathComponent("f.json"))
        let audit = try #require(report.audit)
        #expect(audit.forgetClasses == [data.classes[1]] && audit.oracleCount == 2)
        #expect(report.markdown.contains("## Audit against 2 models retrained without \(data.classes[1])"))
        // The grade is named; the exact fallback is offered unless the audit passed, at the oracles' cost.
        let unlearning = try #require(report.unlearning)
        #expect(unlearning.grade == .outputsOnly && unlearning.preset == nil)
        #expect(report.markdown.contains("Grade: \(ErasureGrade.outputsOnly.explanation)."))
        let original = try TrainedModel(contentsOf: originalFile)
        let retraining = try #require(unlearning.retraining)                 // the erasure's yardstick, either way
        #expect(retraining.seconds == audit.retrainingSeconds)                // no optimizer step: the oracles' time
        if audit.verdict == .indistinguishable {
            #expect(unlearning.fallback == nil)
            #expect(report.markdown.contains(try #require(retraining.comparison(erasureSeconds: unlearning.run.seconds))))
        } else {
            #expect(!report.markdown.contains("Time: this erasure took"))      // the fallback's advice gives the share
            let fallback = try #require(unlearning.fallback)
            // No optimizer step ran (--epochs 0): the oracles' mean, the original's scaled time named beside it.
            #expect(fallback.estimatedSeconds == audit.retrainingSeconds && fallback.classes == [data.classes[1]])
            #expect(fallback.basis.contains("; timed earlier: ") && fallback.basis.contains("from the original's training time"))
            #expect(fallback.command == "qpae forget --model \(originalFile.path) --forget \(data.classes[1]) --method retrain --out <file>")
            #expect(report.markdown.contains("Exact fallback (the audit's verdict is \"\(audit.verdict.rawValue)\""))
        }
        var passed = audit
        passed.verdict = .indistinguishable
        let cost = RetrainingCost.estimate(classes: [data.classes[1]], audit: passed, original: original, data: data, rate: nil)
        #expect(ExactFallback.offer(classes: [data.classes[1]], grade: .outputsOnly, audit: passed, model: originalFile.path,
                                    cost: cost) == nil)
        passed.verdict = .outputsOnly
        #expect(ExactFallback.offer(classes: [data.classes[1]], grade: .exact, audit: passed, model: originalFile.path,
                                    cost: cost) == nil)

        let command = try #require(try QPAE.parseAsRoot(
            ["audit", "--model", folder.appendingPathComponent("f.safetensors").path, "--original", originalFile.path,
             "--oracles", "2", "--audit-setting", "relearnShots=[2]", "--audit-setting", "relearnCheckpoints=[2]",
             "--audit-setting", "relearnDraws=1", "--audit-setting", "retainOnlyLearningRates=[0.001]",
             "--audit-setting", "probeFolds=2", "--markdown", folder.appendingPathComponent("a.md").path,
             "--cache", TinyCorpus.featureCache.path]) as? AuditCommand)
        try command.run()
        let page = try String(contentsOf: folder.appendingPathComponent("a.md"), encoding: .utf8)
        #expect(page.contains("**Audit of \(data.classes[1]): \(audit.verdict.rawValue)"))
    }

    @Test(arguments: [
        (["--oracles", "1"], "--oracles 1: the band needs at least 2"),
        (["--audit-setting", "relearnDraws=0"], "--audit-setting relearnDraws 0: must be 1 or more"),
        (["--audit-setting", "nonsense=1"], "audit has no setting 'nonsense'"),
    ])
    func badAuditOptionsAreRefused(flags: [String], expected: String) {
        let message: String?
        do {
            _ = try QPAE.parseAsRoot(["audit", "--model", "m.safetensors", "--original", "o.safetensors"] + flags)
            message = nil
        } catch {
            message = QPAE.message(for: error)
        }
        #expect(message?.contains(expected) == true, "\(message ?? "accepted")")
    }

    @Test func withoutAnAuditTheFallbackCostsTheOriginalsTrainingScaledToWhatRemains() throws {
        let data = try PreparedData(DataRequest(path: TinyCorpus.speakers, testFraction: 0.25, seed: 1,
                                                featureCache: TinyCorpus.featureCache))
        var original = try trainModel(.cnn, on: data, configuration: .init(epochs: 1, batchSize: 8, seed: 2)).trained
        #expect(try #require(original.trainingSeconds) > 0)
        original.trainingSeconds = 120
        original.forgottenClasses = [data.classes[0]]                          // an earlier request
        func fallback(rate: UnlearningRun.TrainingRate? = nil) throws -> ExactFallback {
            try #require(ExactFallback.offer(classes: [data.classes[2]], grade: .outputsOnly, audit: nil, model: "m.safetensors",
                                             cost: .estimate(classes: [data.classes[2]], audit: nil, original: original,
                                                             data: data, rate: rate)))
        }
        let offer = try fallback()
        let kept = data.train.labels.filter { $0 == 1 }.count                  // neither the request nor the earlier class
        #expect(abs(try #require(offer.estimatedSeconds) - 120 * Double(kept) / Double(data.train.count)) < 1e-9)
        #expect(offer.reason == "the erasure was not audited and its method is outputs only")
        #expect(offer.advice(erasureSeconds: 6).contains(String(format: "this erasure took 6.0s, %.0f%% of that",
                                                                 600 / (120 * Double(kept) / Double(data.train.count)))))
        // The erasure's own optimizer steps time this machine now: the recipe (1 epoch, no validation) at
        // 5 ms per example is the estimate, however far the time recorded earlier lies from it.
        for (rate, perExample) in [(UnlearningRun.TrainingRate(examples: 200, seconds: 1), "5.0"),
                                   (UnlearningRun.TrainingRate(examples: 1, seconds: 10), "10000.0")] {
            let measured = try fallback(rate: rate)
            #expect(abs(try #require(measured.estimatedSeconds) - rate.secondsPerExample * Double(kept)) < 1e-9)
            #expect(measured.basis.hasPrefix("the original's recipe (1 epoch) over the \(kept) training examples that remain")
                        && measured.basis.contains("at the \(perExample) ms per example")
                        && measured.basis.contains("; timed earlier: "
                            + ProgressReporter.formatDuration(120 * Double(kept) / Double(data.train.count))
                            + " from the original's training time (2m00s) scaled"), "\(measured.basis)")
        }
        #expect(RetrainingCost(seconds: 200, basis: "b").comparison(erasureSeconds: 20)
                    == "Time: this erasure took 20s, 10% of a retraining without the classes, about 3m20s on this machine (b).")
        #expect(RetrainingCost(seconds: nil, basis: "b").comparison(erasureSeconds: 20) == nil)
        original.trainingSeconds = nil
        let unknown = try fallback()
        #expect(unknown.estimatedSeconds == nil && unknown.advice(erasureSeconds: 6).contains("whose time is not recorded"))
    }
}
