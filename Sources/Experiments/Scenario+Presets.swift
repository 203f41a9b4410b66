import Models
import Unlearning

extension Scenario {
    /// The experiments of the paper (SPEC §8), runnable on any dataset.
    public enum Preset: String, CaseIterable, Codable, Sendable {
        /// Forget class 0 with every method.
        case paperSingle = "paper-single"
        /// Classes 0 and 4 at once; and 10% of the classes at once.
        case paperMulti = "paper-multi"
        /// Six requests in sequence (classes 0, 1, …, 5; at most all but one class).
        case paperSequential = "paper-sequential"
        /// The CNN on accents, forget spanish (the synthetic accents unless a dataset is given).
        case paperAccent = "paper-accent"
        /// QPAudioEraser without each of its parts (``QPAudioEraser/Phase``), and with λ ∈ {0.5, 1, 2}.
        case paperAblation = "paper-ablation"
    }

    /// The preset's scenario on `data` (the synthetic corpus when `nil`) with `model` (CNN by default),
    /// its examples cut consecutively from each recording as the paper's VGGish front end does and the
    /// model trained at a constant learning rate as the paper's code does.
    public static func preset(_ preset: Preset, data: String? = nil, model: Architecture = .cnn,
                              seeds: [UInt64] = [0]) -> Scenario {
        var scenario = paperScenario(preset, data: data, model: model, seeds: seeds)
        scenario.examples = .consecutive
        scenario.recipe.schedule = .constant
        return scenario
    }

    private static func paperScenario(_ preset: Preset, data: String?, model: Architecture, seeds: [UInt64]) -> Scenario {
        switch preset {
        case .paperSingle:
            return Scenario(name: preset.rawValue, kind: .single, data: data, model: model, forgetSets: [["0"]], seeds: seeds)
        case .paperMulti:
            return Scenario(name: preset.rawValue, kind: .multi, data: data, model: model,
                            forgetSets: [["0", "4"], ["10%"]], seeds: seeds)
        case .paperSequential:
            return Scenario(name: preset.rawValue, kind: .sequential, data: data, model: model,
                            forgetSets: (0 ..< 6).map { [String($0)] }, seeds: seeds)
        case .paperAccent:
            return Scenario(name: preset.rawValue, kind: .single, data: data, layout: data == nil ? .accent : nil,
                            model: model, forgetSets: [["spanish"]], seeds: seeds)
        case .paperAblation:
            let without = QPAudioEraser.Phase.allCases.map { part in
                Variant(name: "without \(part.title)", preset: "paper",
                        configuration: .object(["without": .array([.string(part.rawValue)])]))
            }
            let lambdas = [("0.5", 0.5), ("2", 2)].map { name, value in
                Variant(name: "λ = \(name)", preset: "paper", configuration: .object(["lambda": .number(value)]))
            }
            return Scenario(name: preset.rawValue, kind: .single, data: data, model: model, methods: [.retrain],
                            forgetSets: [["0"]], seeds: seeds, variants: [Variant(name: "full", preset: "paper")] + without + lambdas)
        }
    }
}
