import Datasets
import Foundation
import NeuralNetworks
import Testing
import Training
@testable import Unlearning

/// The registry and the configurations: one place per method for its name, defaults and ranges.
@Suite struct MethodRegistryTests {
    @Test(arguments: MethodName.allCases)
    func defaultsAreValidAndRoundTripThroughJSON(name: MethodName) throws {
        let method = try name.makeMethod()
        #expect(type(of: method).methodName == name)
        #expect(method.name == name.displayName)
        try method.configuration.validate()
        // The settings reports record are the encoded defaults, every field present.
        #expect(method.settings == name.defaultConfiguration.flattened())
        #expect(try name.makeMethod(changes: name.defaultConfiguration).settings == method.settings)
    }

    @Test(arguments: MethodName.allCases)
    func everyFieldIsASetting(name: MethodName) throws {
        func fields(_ value: Any, prefix: String = "") -> Set<String> {
            var names: Set<String> = []
            for child in Mirror(reflecting: value).children {
                guard let label = child.label else { continue }
                let path = prefix + label
                if child.value is BatchPlan { names.formUnion(fields(child.value, prefix: path + ".")) } else { names.insert(path) }
            }
            return names
        }
        let method = try name.makeMethod()
        #expect(Set(method.settings.keys) == fields(method.configuration))
        #expect(fields(method.configuration).allSatisfy(name.takes))
        #expect(!name.takes("nonsense") && !name.takes("batchPlan.nonsense"))
    }

    @Test func unlearnChecksTheConfigurationBeforeTouchingTheModel() throws {
        let speakers = try ToySpeakers(examplesPerClass: 8)
        let before = speakers.snapshot()
        var configuration = QPAudioEraser.Configuration()
        configuration.batchSize = 0
        let error = #expect(throws: ConfigurationError.self) {
            try QPAudioEraser(configuration: configuration).unlearn(speakers.model, task: try speakers.task(forget: [0]))
        }
        #expect(error?.description == "QPAudioEraser setting batchSize = 0: must be 1 or more")
        #expect(speakers.snapshot() == before)
    }

    @Test func changesAreCheckedAndNameTheMethod() {
        let error = #expect(throws: ConfigurationError.self) {
            try MethodName.scrub.makeMethod(changes: .object(["momentum": .number(1)]))
        }
        #expect(error?.description == "SCRUB setting momentum = 1.0: must be in 0.0 to below 1.0")
        #expect(throws: ConfigurationError.self) {
            try MethodName.badTeacher.makeMethod(changes: .object(["batchPlan": .object(["retainFraction": .number(-1)])]))
        }
    }

    @Test func phasesAreOneVocabulary() throws {
        #expect(QPAudioEraser.Phase.allCases.map(\.rawValue) == ["interference", "superposition", "fine-tune", "entropy", "mixing"])
        let method = try MethodName.qpaudioeraser.makeMethod(changes: .object(["without": .array([.string("entropy")])]))
        let configuration = try #require(method as? QPAudioEraser).configuration
        #expect(configuration.without == [.entropy] && !configuration.runs(.entropy) && configuration.runs(.mixing))
        #expect(method.settings["without"] == "entropy")
    }

    @Test func thePaperPresetIsTheAuthorsSetting() throws {
        let paper = QPAudioEraser.Configuration.paper
        #expect(paper.phase == .pi && paper.weightScale == 1 / 2.0.squareRoot() && paper.lambda == 1)
        #expect(paper.epochs == 5 && paper.learningRate == 1e-3 && paper.batchSize == 32 && paper.epsilon == 0.5)
        #expect(!paper.mixesBias && paper.forgetTarget == .uniform && paper.rowEdit == .interference)
        #expect(paper.embeddingPull == 0 && paper.without.isEmpty && paper.perturbation == 0)
        #expect(paper.batchPlan == BatchPlan(retainFraction: 1, balancesForgetExamples: false, examples: .all))
        #expect(paper.headEdit == .mixing)
        #expect(MethodName.qpaudioeraser.presetNames == ["paper", "regrowth", "repair"])
        #expect(MethodName.allCases.filter { !$0.presetNames.isEmpty } == [.qpaudioeraser])

        let tuned = try MethodName.qpaudioeraser.makeMethod(preset: "paper", changes: .object(["lambda": .number(2)]))
        var expected = paper
        expected.lambda = 2
        #expect(try #require(tuned as? QPAudioEraser).configuration == expected)
    }

    @Test func anUnknownPresetNamesThoseThereAre() {
        let unknown = #expect(throws: ConfigurationError.self) { try MethodName.qpaudioeraser.makeMethod(preset: "fast") }
        #expect(unknown?.description == "QPAudioEraser setting preset: no preset 'fast' (its presets: paper, regrowth, repair)")
        let none = #expect(throws: ConfigurationError.self) { try MethodName.selectiveSynapticDampening.makeMethod(preset: "paper") }
        #expect(none?.description == "SSD setting preset: no preset 'paper' (this method has none)")
    }

    @Test func onlyRetrainingIsOfferedAsExact() {
        #expect(MethodName.allCases.filter { $0.grade == .exact } == [.retrain])
        #expect(ErasureGrade.outputsOnly.explanation.contains("not a privacy-grade erasure"))
    }
}
