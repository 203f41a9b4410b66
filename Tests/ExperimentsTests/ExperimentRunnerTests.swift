import Audit
import Datasets
import Experiments
import Foundation
import Models
import Tensors
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import Testing
import Training
import Unlearning

private func tinyScenario(kind: Scenario.Kind = .single, forgetSets: [[String]] = [["0"]],
                          seeds: [UInt64] = [0, 1]) -> Scenario {
    Scenario(name: "tiny-\(kind.rawValue)", kind: kind, data: TinyCorpus.speakers.path, model: .cnn,
                    recipe: TrainingConfiguration(epochs: 2, batchSize: 8, learningRate: 3e-3, seed: 0),
                    methods: [.qpaudioeraser, .paperSD], forgetSets: forgetSets, seeds: seeds,
                    variants: [.init(name: "one epoch", configuration: .object(["epochs": .integer(1)]))])
}

private func runner(_ scenario: Scenario, _ folder: URL, log: @escaping (String) -> Void = { _ in }) -> ExperimentRunner {
    let runner = ExperimentRunner(scenario: scenario, output: folder)
    runner.featureCache = TinyCorpus.featureCache
    runner.log = log
    runner.observer = .silent
    return runner
}

/// Whether `text` parses as XML (the report is written as well-formed XHTML-compatible HTML).
private func isWellFormed(_ text: String) -> Bool {
    XMLParser(data: Data(text.utf8)).parse()
}

@Suite(.serialized) struct ExperimentRunnerTests {
    @Test func aTinyScenarioProducesEveryTableAndAWellFormedReport() throws {
        let folder = TinyCorpus.temporaryFile("experiment")
        let results = try runner(tinyScenario(), folder).run()
        #expect(results.runs.count == 2 * 3)                            // 2 seeds × (retrain, variant, SD)
        #expect(results.labels == ["Retrain", "QPAudioEraser (one epoch)", "SD (paper code)"])
        for run in results.runs where run.method == .retrain {
            #expect(run.timeRatio == 1 && run.gapToRetrain == 0)
        }
        for run in results.runs where run.method != .retrain {
            #expect(run.timeRatio != nil && run.gapToRetrain != nil)
        }
        let markdown = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("## Forget set 1"))
        #expect(markdown.contains("| QPAudioEraser (one epoch)"))
        #expect(markdown.contains(" ± "))                                // two seeds give a deviation
        let csv = try String(contentsOf: folder.appendingPathComponent("report.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 6)
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(isWellFormed(html))
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)   // per class, probabilities, scatter, MIA
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").count - 1
                == html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1)
        let stored = try JSONDecoder().decode(ExperimentResults.self,
                                              from: Data(contentsOf: folder.appendingPathComponent("results.json")))
        #expect(stored.runs == results.runs)
    }

    @Test func anInterruptedExperimentResumesWithoutRedoingFinishedRuns() throws {
        let folder = TinyCorpus.temporaryFile("resume")
        let scenario = tinyScenario(seeds: [0])
        let first = try runner(scenario, folder).run()
        // Lose one run, as if the process had stopped before it.
        let lost = folder.appendingPathComponent("runs/seed-0/set-1/sd-paper-code.json")
        try FileManager.default.removeItem(at: lost)
        nonisolated(unsafe) var lines: [String] = []
        let second = try runner(scenario, folder) { lines.append($0) }.run()
        #expect(lines.filter { $0.contains("done before, skipped") }.count == 2)
        #expect(lines.contains { $0.contains("SD (paper code): FA") })
        #expect(!lines.contains { $0.contains("training the original") })
        #expect(second.runs.filter { $0.method != .paperSD } == first.runs.filter { $0.method != .paperSD })

        var other = scenario
        other.name = "another"
        let error = #expect(throws: ExperimentError.self) { try runner(other, folder).run() }
        #expect(error?.description.contains("holds the results of another scenario") == true)
    }

    @Test func anOriginalWhoseTrainingWasInterruptedIsResumedNotTakenAsFinished() throws {
        let folder = TinyCorpus.temporaryFile("interrupted")
        let scenario = tinyScenario(seeds: [0])
        // One of the recipe's two epochs, stopped there: a checkpoint with the trainer's state beside it.
        let data = try PreparedData(DataRequest(path: TinyCorpus.speakers, featureCache: TinyCorpus.featureCache))
        let original = folder.appendingPathComponent("models/seed-0/original.safetensors")
        try FileManager.default.createDirectory(at: original.deletingLastPathComponent(), withIntermediateDirectories: true)
        var firstEpoch = scenario.recipe
        firstEpoch.epochs = 1
        var generator = SplitMix64(seed: 0)
        let model = Architecture.cnn.makeModel(classCount: data.classes.count, inputSize: (64, 96), using: &generator)
        let trainer = Trainer(model: model, features: data.train.features, labels: data.train.labels,
                              configuration: firstEpoch, checkpointURL: original,
                              checkpointMetadata: TrainedModel(model: model, architecture: .cnn, data: data,
                                                               statistics: data.train.features.normalizationStatistics(),
                                                               seed: 0).metadata)
        try trainer.train()
        #expect(FileManager.default.fileExists(atPath: Trainer.trainingStateURL(forCheckpoint: original).path))

        nonisolated(unsafe) var lines: [String] = []
        _ = try runner(scenario, folder) { lines.append($0) }.run()
        #expect(lines.contains { $0.contains("resuming the original") })
        #expect(!FileManager.default.fileExists(atPath: Trainer.trainingStateURL(forCheckpoint: original).path))
        #expect(try TrainedModel(contentsOf: original).metadata.additional["epoch"] == "2")
    }

    @Test func aSequenceKeepsEveryClassButOneAndReportsEachRequest() throws {
        let folder = TinyCorpus.temporaryFile("sequence")
        let results = try runner(tinyScenario(kind: .sequential, forgetSets: [["0"], ["1"], ["2"]], seeds: [0]), folder).run()
        #expect(results.notes.contains { $0.contains("cut to 2 requests") })
        #expect(results.sets.map(\.number) == [1, 2])
        let second = results.runs.filter { $0.set == 2 }
        #expect(second.allSatisfy { $0.earlierForgotten.map(\.name) == [results.dataset.classes[0]] })
        #expect(results.markdown.contains("## RA / FA after each request"))
        #expect(results.html.components(separatedBy: "<svg").count - 1 == 6)   // + RA and FA lines
        // Only the latest model of each method is kept.
        let models = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("models/seed-0").path)
        #expect(models.filter { $0.contains("request-1") }.isEmpty)
        #expect(models.filter { $0.contains("request-2") }.count == 3)
    }

    @Test func scenarioFilesAndPresetsDecode() throws {
        let json = #"{"name": "x", "kind": "multi", "forgetSets": [["0", "4"], ["10%"]], "methods": ["ssd", "scrub"]}"#
        let scenario = try JSONDecoder().decode(Scenario.self, from: Data(json.utf8))
        #expect(!scenario.audit && scenario.oracles == 3 && scenario.auditConfiguration == AuditConfiguration())
        let audited = try JSONDecoder().decode(Scenario.self, from: Data(
            #"{"name": "x", "kind": "single", "forgetSets": [["0"]], "audit": true, "oracles": 4, "auditSettings": {"relearnDraws": 1}}"#.utf8))
        #expect(audited.audit && audited.oracles == 4 && audited.auditConfiguration.relearnDraws == 1)
        #expect(try JSONDecoder().decode(Scenario.self, from: JSONEncoder().encode(audited)) == audited)
        #expect(scenario.model == .cnn && scenario.seeds == [0] && scenario.recipe == Scenario.defaultRecipe)
        #expect(scenario.methods == [.selectiveSynapticDampening, .scrub])
        let classes = (0 ..< 20).map { "s\($0)" }
        #expect(try scenario.resolvedForgetSets(classes: classes) == [[0, 4], [0, 1]])
        #expect(try scenario.resolvedForgetSets(classes: Array(classes.prefix(6))) == [[0, 4], [0]])
        for preset in Scenario.Preset.allCases {
            let made = Scenario.preset(preset)
            #expect(try JSONDecoder().decode(Scenario.self, from: JSONEncoder().encode(made)) == made)
        }
        #expect(Scenario.preset(.paperAccent).layout == .accent)
        #expect(Scenario.defaultRecipe.schedule == .cosine)
        #expect(Scenario.Preset.allCases.allSatisfy { Scenario.preset($0).recipe.schedule == .constant }, "the paper's recipe")
        let ablation = Scenario.preset(.paperAblation).variants                // full, each part off, two λ
        #expect(ablation.map(\.name) == ["full", "without destructive interference", "without superposition labels",
                                         "without uncertainty fine-tune", "without entropy term",
                                         "without entanglement mixing", "λ = 0.5", "λ = 2"])
        let methods = try ablation.map { try #require(try $0.makeMethod() as? QPAudioEraser).configuration }
        #expect(methods.dropFirst().prefix(5).map(\.without) == QPAudioEraser.Phase.allCases.map { [$0] })
        #expect(methods.suffix(2).map(\.lambda) == [0.5, 2])
        #expect(ablation.allSatisfy { $0.preset == "paper" })                 // the paper's, whatever the defaults
        #expect(methods.first == QPAudioEraser.Configuration.paper)

        // A variant names only what it changes; the rest keeps QPAudioEraser's defaults.
        let partial = #"{"name": "v", "configuration": {"epochs": 1, "batchPlan": {"retainFraction": 0.25}, "forgetTarget": "retained-uniform"}}"#
        let variant = try JSONDecoder().decode(Scenario.Variant.self, from: Data(partial.utf8))
        #expect(variant.method == .qpaudioeraser)
        var expected = QPAudioEraser.Configuration()
        expected.epochs = 1
        expected.batchPlan.retainFraction = 0.25
        expected.forgetTarget = .retainedUniform
        #expect(try #require(try variant.makeMethod() as? QPAudioEraser).configuration == expected)

        // A variant may start from a preset; its changes apply over it.
        let preset = #"{"name": "p", "preset": "paper", "configuration": {"epochs": 0}}"#
        var paper = QPAudioEraser.Configuration.paper
        paper.epochs = 0
        let fromPreset = try JSONDecoder().decode(Scenario.Variant.self, from: Data(preset.utf8))
        #expect(try #require(try fromPreset.makeMethod() as? QPAudioEraser).configuration == paper)
        #expect(try JSONDecoder().decode(Scenario.Variant.self, from: JSONEncoder().encode(fromPreset)) == fromPreset)
    }

    @Test(arguments: [
        (#""variants": [{"name": "v", "configuration": {"epochs": -1}}]"#,
         "variant 'v': QPAudioEraser setting epochs = -1: must be 0 or more"),
        (#""variants": [{"name": "v", "configuration": {"batchSize": 0}}]"#,
         "variant 'v': QPAudioEraser setting batchSize = 0: must be 1 or more"),
        (#""variants": [{"name": "v", "configuration": {"batchPlan": {"retainFraction": 2}}}]"#,
         "QPAudioEraser setting batchPlan.retainFraction = 2.0: must be in 0.0…1.0"),
        (#""variants": [{"name": "v", "configuration": {"epoch": 2}}]"#, "QPAudioEraser has no setting 'epoch'"),
        (#""variants": [{"name": "v", "method": "ssd", "configuration": {"epsilon": 0.2}}]"#, "SSD has no setting 'epsilon'"),
        (#""variants": [{"name": "v", "configuration": {"epochs": "five"}}]"#, "QPAudioEraser setting epochs:"),
        (#""variants": [{"name": "v", "configuration": {"forgetTarget": "nobody"}}]"#, "QPAudioEraser setting forgetTarget:"),
        (#""variants": [{"name": "v"}, {"name": "v", "method": "scrub"}]"#, "the name 'v' is used twice"),
        (#""variants": [{"name": "v", "preset": "fast"}]"#, "QPAudioEraser setting preset: no preset 'fast' (its presets: paper, regrowth, repair)"),
        (#""recipe": {"batchSize": 0}"#, "recipe setting batchSize = 0: must be 1 or more"),
        (#""recipe": {"epochs": -1}"#, "recipe setting epochs = -1: must be 0 or more"),
        (#""recipe": {"patience": 3}"#, "recipe has no setting 'patience'"),
        (#""seeds": []"#, "seeds: give at least one seed"),
        (#""model": "vgg""#, "model:"),
        (#""audit": true, "auditSettings": {"relearnDraws": 0}"#, "audit setting relearnDraws = 0: must be 1 or more"),
        (#""audit": true, "oracles": 1"#, "oracles: 1: the audit's band needs at least 2"),
    ])
    func aScenarioFileWithABadValueIsRefusedNamingIt(field: String, expected: String) throws {
        let file = TinyCorpus.temporaryFile("bad-scenario.json")
        try Data(#"{"name": "bad", "kind": "single", "forgetSets": [["0"]], "#.utf8 + Data(field.utf8) + Data("}".utf8))
            .write(to: file)
        let error = #expect(throws: ExperimentError.self) { try Scenario(contentsOf: file) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("scenario \(file.path): "), "\(text)")
        #expect(text.contains(expected), "\(text)")
    }

    @Test func aRunnerRefusesABadScenarioBeforeTouchingAnything() throws {
        var scenario = tinyScenario()
        scenario.recipe.batchSize = 0
        let folder = TinyCorpus.temporaryFile("refused")
        let error = #expect(throws: ExperimentError.self) { try runner(scenario, folder).run() }
        #expect(error?.description.contains("recipe setting batchSize = 0") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }

    @Test func variantsOfAnyMethodRunInPlaceOfItsDefaults() throws {
        var scenario = tinyScenario(seeds: [0])
        scenario.methods = [.paperSD]
        scenario.variants = [.init(name: "small step", method: .paperSD, configuration: .object(["stepSize": .number(0.01)])),
                             .init(name: "one epoch", configuration: .object(["epochs": .integer(1)]))]
        let results = try runner(scenario, TinyCorpus.temporaryFile("variants")).run()
        #expect(results.labels == ["Retrain", "SD (paper code) (small step)", "QPAudioEraser (one epoch)"])
        #expect(results.runs.first { $0.variant == "small step" }?.run.settings["stepSize"] == "0.01")
        #expect(results.runs.first { $0.variant == "one epoch" }?.run.epochLosses.count == 1)
    }

    @Test func anAuditedScenarioReportsEachRunsVerdict() throws {
        var scenario = tinyScenario(seeds: [0])
        scenario.methods = [.paperSD]
        scenario.audit = true
        scenario.oracles = 2
        scenario.auditConfiguration.probeFolds = 2
        scenario.auditConfiguration.relearnShots = [2]
        scenario.auditConfiguration.relearnCheckpoints = [2]
        scenario.auditConfiguration.relearnDraws = 1
        scenario.auditConfiguration.retainOnlyLearningRates = [1e-3]
        let folder = TinyCorpus.temporaryFile("audited")
        let results = try runner(scenario, folder).run()
        #expect(results.runs.count == 3 && results.runs.allSatisfy { $0.audit?.oracleCount == 2 })
        let table = try #require(results.auditTable(set: 1))
        #expect(table.rows.map { $0[0] } == ["original", "oracles (2)", "Retrain", "SD (paper code)", "QPAudioEraser (one epoch)"])
        #expect(table.rows[0][1] == results.runs[0].audit?.originalVerdict.rawValue)
        #expect(results.markdown.contains("### Audit against models retrained without"))
        #expect(results.html.contains("Relearning with 2 forget clips per batch"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("models/seed-0/original.oracles").path))
    }
}

