import Audit
import Datasets
@testable import Experiments
import Foundation
import TestSupport
import Testing
import Training
import Unlearning
@testable import qpae

/// A setting chosen per model by auditing candidates (`qpae calibrate`): how the search runs and
/// chooses, where the record lives, and how forget and the service take it.
@Suite(.serialized) struct CalibrationTests {
    private static func trial(_ seed: UInt64, passes: Bool, failures: Int = 1) -> Calibration.Trial {
        Calibration.Trial(seed: seed, verdict: passes ? .indistinguishable : .outputsOnly,
                          failedTests: passes ? [] : (0 ..< failures).map { "test \($0)" }, retainAccuracy: 99,
                          seconds: 1, retrainingSeconds: 10)
    }

    @Test func theChoiceNeedsAMajorityOfSeedsThenTakesMostPassesThenFewestFailures() {
        func candidate(_ outcomes: [Bool], failures: Int = 1) -> Calibration.Candidate {
            Calibration.Candidate(changes: .object([:]), trials: outcomes.enumerated().map {
                Self.trial(UInt64($0.offset), passes: $0.element, failures: failures)
            })
        }
        // 2 of 4 is no majority; 3 of 4 is.
        #expect(Calibration.choice(among: [candidate([true, true, false, false])], seeds: 4) == nil)
        #expect(Calibration.choice(among: [candidate([true, false, true, true])], seeds: 4) == 0)
        // Passes first, then fewer failed tests, then the earlier candidate.
        #expect(Calibration.choice(among: [candidate([true, true, false]), candidate([true, true, true])], seeds: 3) == 1)
        #expect(Calibration.choice(among: [candidate([true, true, false], failures: 3),
                                           candidate([false, true, true], failures: 1)], seeds: 3) == 1)
        #expect(Calibration.choice(among: [candidate([true, false, true]), candidate([false, true, true])], seeds: 3) == 0)
        // Abandoned candidates count only the trials they ran.
        #expect(Calibration.choice(among: [candidate([false, false]), candidate([true, true])], seeds: 3) == 1)
    }

    @Test func theSearchLeavesHopelessCandidatesAndStopsAtOneThatPassesEverySeed() {
        let outcomes: [[Bool]] = [[false, false, false, true, true],  // after seed 2 no majority (3 of 5) is left
                                  [true, true, true, true, false],    // 4 of 5
                                  [false, true, false, true, true],   // after seed 2 it can no longer match 4
                                  [true, true, true, true, true],     // every seed: the search ends here
                                  [true, true, true, true, true]]
        var asked: [String] = []
        let trials = Calibration.search(candidates: outcomes.count, seeds: [0, 1, 2, 3, 4]) { index, seed in
            asked.append("\(index)/\(seed)")
            return Self.trial(seed, passes: outcomes[index][Int(seed)])
        }
        #expect(asked == ["0/0", "0/1", "0/2", "1/0", "1/1", "1/2", "1/3", "1/4", "2/0", "2/1", "2/2",
                          "3/0", "3/1", "3/2", "3/3", "3/4"])
        #expect(trials.map(\.count) == [3, 5, 3, 5, 0])
        let candidates = trials.map { Calibration.Candidate(changes: .object([:]), trials: $0) }
        #expect(Calibration.choice(among: candidates, seeds: 5) == 3)
    }

    private func tinyModel(_ name: String) throws -> (data: PreparedData, file: URL) {
        let data = try PreparedData(DataRequest(path: TinyCorpus.speakers, testFraction: 0.25, seed: 1,
                                                featureCache: TinyCorpus.featureCache))
        let file = TinyCorpus.temporaryFile(name)
        _ = try trainModel(.cnn, on: data, configuration: .init(epochs: 2, batchSize: 8, learningRate: 3e-3, seed: 2),
                           checkpoint: file)
        return (data, file)
    }

    private func record(chosen: Int?, changes: JSONValue, fingerprint: String) -> Calibration {
        Calibration(method: .qpaudioeraser, preset: "repair", classes: ["a"], seeds: [0, 1, 2], oracleCount: 3,
                    modelFingerprint: fingerprint, dataFingerprint: "d",
                    candidates: [Calibration.Candidate(changes: changes, trials: [Self.trial(0, passes: true),
                                                                                  Self.trial(1, passes: true)])],
                    chosen: chosen, date: "2026-12-04T00:00:00Z")
    }

    @Test func theRecordTravelsInTheCheckpointAndMakesTheCalibratedSettingTheDefault() throws {
        let (data, file) = try tinyModel("calibrated.safetensors")
        var model = try TrainedModel(contentsOf: file)
        let plain = try MethodName.qpaudioeraser.makeMethod(for: model, preset: nil)
        #expect((plain.method as? QPAudioEraser)?.configuration == QPAudioEraser.Configuration() && plain.grade == .outputsOnly)
        #expect(throws: ConfigurationError.self) { try MethodName.qpaudioeraser.makeMethod(for: model, preset: "calibrated") }

        var record = record(chosen: 0, changes: try JSONValue(parsing: #"{"epochs": 1, "perturbation": 1.25}"#),
                            fingerprint: model.parameterFingerprint)
        record.candidates[0].trials[1].retainAccuracy = .nan                 // kept through the metadata's JSON
        model.calibration = record
        try model.save(to: file)
        model = try TrainedModel(contentsOf: file)
        var read = try #require(model.calibration)
        #expect(read.candidates[0].trials[1].retainAccuracy?.isNaN == true)
        read.candidates[0].trials[1].retainAccuracy = nil
        var expectedRecord = record
        expectedRecord.candidates[0].trials[1].retainAccuracy = nil
        #expect(read == expectedRecord)

        var calibrated = QPAudioEraser.Configuration.repair
        calibrated.epochs = 1
        calibrated.perturbation = 1.25
        // No preset and no change: the calibrated setting, graded so; asked by name: the same.
        for preset in [nil, "calibrated"] {
            let made = try MethodName.qpaudioeraser.makeMethod(for: model, preset: preset)
            #expect((made.method as? QPAudioEraser)?.configuration == calibrated && made.grade == .calibrated)
        }
        // A change voids the evidence: over the calibrated setting when asked by name, over the defaults otherwise.
        let changes = try JSONValue(parsing: #"{"epochs": 3}"#)
        let changed = try MethodName.qpaudioeraser.makeMethod(for: model, preset: "calibrated", changes: changes)
        calibrated.epochs = 3
        #expect((changed.method as? QPAudioEraser)?.configuration == calibrated && changed.grade == .outputsOnly)
        let defaults = try MethodName.qpaudioeraser.makeMethod(for: model, preset: nil, changes: changes)
        #expect((defaults.method as? QPAudioEraser)?.configuration.perturbation == 0 && defaults.grade == .outputsOnly)
        let paper = try MethodName.qpaudioeraser.makeMethod(for: model, preset: "paper")
        #expect((paper.method as? QPAudioEraser)?.configuration == .paper && paper.grade == .outputsOnly)
        // Another method does not take QPAudioEraser's calibration.
        let scrub = try MethodName.scrub.makeMethod(for: model, preset: nil)
        #expect(scrub.method is SCRUB && scrub.grade == .outputsOnly)

        // An erasure carries the record, so the next request of a sequence uses it too.
        let one = try forgetClasses([0], in: model, data: data, method: try MethodName.qpaudioeraser.makeMethod(for: model, preset: nil).method,
                                    seed: 1)
        #expect(one.model.metadata.additional[TrainedModel.Key.calibration] != nil)
        #expect(one.model.metadata.additional[TrainedModel.Key.calibration] == model.metadata.additional[TrainedModel.Key.calibration])
        #expect(try MethodName.qpaudioeraser.makeMethod(for: one.model, preset: nil).grade == .calibrated)
        #expect(one.model.unlearningHistory.last?.settings["perturbation"] == "1.25")

        // Without an audit of the request itself, the exact erasure stays offered.
        let offer = ExactFallback.offer(classes: ["x"], grade: .calibrated, audit: nil, model: "m.safetensors",
                                        cost: RetrainingCost(seconds: 100, basis: "b"))
        #expect(offer?.reason == "the erasure was not audited: its setting passed the audit for the model's calibration "
                    + "classes, not for these" && offer?.estimatedSeconds == 100)

        // A record that chose nothing: the defaults, and the calibrated preset refused with its evidence.
        model.calibration = self.record(chosen: nil, changes: .object([:]), fingerprint: "f")
        #expect(try MethodName.qpaudioeraser.makeMethod(for: model, preset: nil).grade == .outputsOnly)
        do {
            _ = try MethodName.qpaudioeraser.makeMethod(for: model, preset: "calibrated")
            Issue.record("a calibration that chose nothing was taken")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("its calibration chose none: no candidate was indistinguishable"), "\(error)")
        }
    }

    @Test func forgetRefusesTheCalibratedPresetForAModelWithoutOne() throws {
        let (_, file) = try tinyModel("uncalibrated.safetensors")
        let command = try #require(try QPAE.parseAsRoot(
            ["forget", "--model", file.path, "--forget", "0", "--preset", "calibrated", "--out",
             file.deletingLastPathComponent().appendingPathComponent("x.safetensors").path,
             "--cache", TinyCorpus.featureCache.path]) as? ForgetCommand)
        do {
            try command.run()
            Issue.record("--preset calibrated ran on a model that records no calibration")
        } catch {
            let message = QPAE.message(for: error)
            #expect(message.contains("no calibrated setting of qpaudioeraser for \(file.path)")
                        && message.contains("run `qpae calibrate` on it first"), "\(message)")
        }
    }

    @Test func theCommandRecordsTheAuditsItRanAndForgetThenUsesTheChoice() throws {
        let (data, file) = try tinyModel("calibrate-me.safetensors")
        let folder = file.deletingLastPathComponent()
        let out = folder.appendingPathComponent("calibrated-me.safetensors")
        let quickAudit = ["--oracles", "2", "--audit-setting", "relearnShots=[2]", "--audit-setting", "relearnCheckpoints=[2]",
                          "--audit-setting", "relearnDraws=1", "--audit-setting", "retainOnlyLearningRates=[0.001]",
                          "--audit-setting", "probeFolds=2"]
        let command = try #require(try QPAE.parseAsRoot(
            ["calibrate", "--model", file.path, "--forget", data.classes[1], "--method", "qpaudioeraser", "--preset", "regrowth",
             "--candidate", "", "--candidate", "epsilon=0.25 mixesBias=true", "--setting", "epsilon=0.3", "--seeds", "2", "--out", out.path,
             "--json", folder.appendingPathComponent("calibration.json").path, "--cache", TinyCorpus.featureCache.path]
            + quickAudit) as? CalibrateCommand)
        try command.run()
        let original = try TrainedModel(contentsOf: file)
        let calibrated = try TrainedModel(contentsOf: out)
        #expect(calibrated.parameterFingerprint == original.parameterFingerprint)          // the weights unchanged
        #expect(original.calibration == nil)                                               // --model untouched
        let record = try #require(calibrated.calibration)
        #expect(record.classes == [data.classes[1]] && record.seeds == [0, 1] && record.oracleCount == 2)
        #expect(record.modelFingerprint == original.parameterFingerprint && record.preset == "regrowth")
        #expect(record.candidates.map(\.changes) == [try JSONValue(parsing: #"{"epsilon": 0.3}"#),      // --setting under each
                                                      try JSONValue(parsing: #"{"epsilon": 0.25, "mixesBias": true}"#)])
        #expect(try Data(contentsOf: folder.appendingPathComponent("calibration.json")).isEmpty == false)
        let tried = try #require(record.candidates.first?.trials.first)

        // Each verdict is the audit's: the same run audited apart gives the same verdict and failures.
        let again = try forgetClasses([1], in: try TrainedModel(contentsOf: file), data: data,
                                      method: try MethodName.qpaudioeraser.makeMethod(preset: "regrowth", changes: record.candidates[0].changes),
                                      seed: 0)
        var configuration = AuditConfiguration()
        configuration.probeFolds = 2
        configuration.relearnShots = [2]
        configuration.relearnCheckpoints = [2]
        configuration.relearnDraws = 1
        configuration.retainOnlyLearningRates = [1e-3]
        let audit = try auditModel(again.model, original: original, data: data, forgetClasses: [1], oracleCount: 2,
                                   configuration: configuration)
        #expect(tried.verdict == audit.verdict && tried.failedTests == audit.failures.map(\.test))
        #expect(tried.retainAccuracy == again.after.forget?.retainAccuracy)
        #expect(record.chosen == Calibration.choice(among: record.candidates, seeds: 2))

        // forget on the calibrated checkpoint: the choice by default, graded calibrated, or the defaults.
        let forget = try #require(try QPAE.parseAsRoot(
            ["forget", "--model", out.path, "--forget", data.classes[2], "--out", folder.appendingPathComponent("f.safetensors").path,
             "--json", folder.appendingPathComponent("f.json").path, "--cache", TinyCorpus.featureCache.path]) as? ForgetCommand)
        try forget.run()
        let report = try EvaluationReport(contentsOf: folder.appendingPathComponent("f.json"))
        let unlearning = try #require(report.unlearning)
        if let chosen = record.chosen {
            #expect(unlearning.grade == .calibrated && unlearning.preset == "calibrated")
            // Not audited for this class: the exact erasure is still offered, saying why.
            #expect(unlearning.fallback?.reason == "the erasure was not audited: its setting passed the audit for the "
                        + "model's calibration classes, not for these")
            let expected = try MethodName.qpaudioeraser.makeMethod(preset: "regrowth", changes: record.candidates[chosen].changes)
            #expect(unlearning.run.settings == expected.settings)
            #expect(report.markdown.contains("Grade: \(ErasureGrade.calibrated.explanation)."))
        } else {
            #expect(unlearning.grade == .outputsOnly && unlearning.preset == nil && unlearning.fallback != nil)
            #expect(unlearning.run.settings == QPAudioEraser().settings)
        }
    }

    @Test(arguments: [
        (["--in-place", "--seeds", "0"], "--seeds 0: must be 1 or more"),
        (["--in-place", "--candidate", "perturbation=-1"], "--candidate \"perturbation=-1\":"),
        (["--in-place", "--method", "scrub"], "name the settings to try with --candidate"),
        (["--in-place", "--preset", "calibrated"], "--preset calibrated: calibrate from a named preset"),
        ([], "give either --out FILE for the calibrated checkpoint or --in-place"),
    ])
    func badCalibrationOptionsAreRefused(flags: [String], expected: String) {
        let message: String?
        do {
            _ = try QPAE.parseAsRoot(["calibrate", "--model", "m.safetensors", "--forget", "george"] + flags)
            message = nil
        } catch {
            message = QPAE.message(for: error)
        }
        #expect(message?.contains(expected) == true, "\(message ?? "accepted")")
    }
}
