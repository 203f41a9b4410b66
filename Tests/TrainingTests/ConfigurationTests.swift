import Foundation
import Tensors
import Testing
@testable import Training

/// Settings as JSON: partial changes over a configuration, the errors that name the field, and the flat
/// settings reports record.
@Suite struct ConfigurationTests {
    private static let recipe = TrainingConfiguration(epochs: 30, batchSize: 32, learningRate: 1e-3, seed: 7,
                                                      validationFraction: 0.1, earlyStoppingPatience: 8)

    @Test func theCosineScheduleWarmsUpThenEndsAtZeroOnTheLastUpdate() {
        let recipe = TrainingConfiguration(epochs: 4, learningRate: 1e-3, schedule: .cosine, warmupFraction: 0.1)
        let schedule = recipe.learningRateSchedule(stepsPerEpoch: 25)      // updates 0 … 99, warm-up 10 (round(0.1 · 99))
        #expect(schedule.learningRate(at: 0) == 0 && schedule.learningRate(at: 5) == 5e-4)
        #expect(schedule.learningRate(at: 10) == 1e-3 && schedule.learningRate(at: 99) == 0)
        #expect(abs(schedule.learningRate(at: 10 + 89 / 2) - 5e-4) < 1e-5, "half way down the cosine, half the peak")
        #expect(TrainingConfiguration(epochs: 4).learningRateSchedule(stepsPerEpoch: 25) == .constant(1e-3))
    }

    @Test func aRecipeRecordedBeforeSchedulesAndMasksReadsAsConstantWithoutMasks() throws {
        let old = #"{"epochs":5,"batchSize":32,"learningRate":0.001,"weightDecay":0,"seed":3,"validationFraction":0.1,"earlyStoppingPatience":null}"#
        let recipe = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(old.utf8))
        #expect(recipe == TrainingConfiguration(epochs: 5, seed: 3, validationFraction: 0.1))
        #expect(recipe.schedule == .constant && !recipe.masking.isActive)
        var changed = try recipe.applying(.object(["schedule": .string("cosine"), "masking": .object(["timeMasks": .integer(2)])]))
        #expect(changed.schedule == .cosine && changed.masking.timeMasks == 2)
        changed.masking.frequencyMasks = -1
        #expect(throws: ConfigurationError.self) { try changed.validate() }
    }

    @Test func masksCoverRunsOfFramesAndBandsAndNothingElse() {
        let masking = SpectrogramMasking(timeMasks: 1, maximumTimeWidth: 5, frequencyMasks: 1, maximumFrequencyWidth: 3)
        var generator = SplitMix64(seed: 9)
        var values = [Float](repeating: 1, count: 2 * 8 * 20)              // two examples of 8 bands × 20 frames
        masking.apply(to: &values, bands: 8, frames: 20, using: &generator)
        for example in 0 ..< 2 {
            let block = Array(values[example * 160 ..< (example + 1) * 160])
            let zeroBands = (0 ..< 8).filter { band in (0 ..< 20).allSatisfy { block[band * 20 + $0] == 0 } }
            let zeroFrames = (0 ..< 20).filter { frame in (0 ..< 8).allSatisfy { block[$0 * 20 + frame] == 0 } }
            #expect(zeroBands.count <= 3 && zeroFrames.count <= 5)
            #expect(zeroBands == Array(zeroBands.first.map { $0 ..< $0 + zeroBands.count } ?? 0 ..< 0), "one run of bands")
            #expect(zeroFrames == Array(zeroFrames.first.map { $0 ..< $0 + zeroFrames.count } ?? 0 ..< 0), "one run of frames")
            // Every zero lies in a masked band or frame.
            for band in 0 ..< 8 { for frame in 0 ..< 20 where block[band * 20 + frame] == 0 {
                #expect(zeroBands.contains(band) || zeroFrames.contains(frame))
            } }
        }
        #expect(values.contains(0), "seed 9 draws at least one non-empty mask")
        var untouched = [Float](repeating: 1, count: 160)
        SpectrogramMasking().apply(to: &untouched, bands: 8, frames: 20, using: &generator)
        #expect(untouched.allSatisfy { $0 == 1 } && !SpectrogramMasking().isActive)
    }

    @Test func changesNameOnlyWhatTheyChange() throws {
        let changed = try Self.recipe.applying(JSONValue(parsing: #"{"batchSize": 64, "earlyStoppingPatience": null}"#))
        var expected = Self.recipe
        expected.batchSize = 64
        expected.earlyStoppingPatience = nil
        #expect(changed == expected)
        #expect(try Self.recipe.applying(.object([:])) == Self.recipe)
    }

    @Test func aSeedAboveWhatADoubleHoldsSurvives() throws {
        let seed = UInt64.max - 1
        let changed = try Self.recipe.applying(.object(["seed": .unsigned(seed)]))
        #expect(changed.seed == seed)
        #expect(try JSONValue(encoding: changed)["seed"] == .unsigned(seed))
        #expect(try JSONValue(parsing: "9007199254740993") == .integer(9_007_199_254_740_993))   // 2⁵³ + 1
    }

    @Test(arguments: [
        (#"{"batchSize": 0}"#, "batchSize", "setting batchSize = 0: must be 1 or more"),
        (#"{"validationFraction": 1}"#, "validationFraction", "setting validationFraction = 1.0: must be in 0.0 to below 1.0"),
        (#"{"learningRate": -1}"#, "learningRate", "setting learningRate = -1.0: must be a finite number, 0 or more"),
        (#"{"validationFraction": 0}"#, "earlyStoppingPatience", "must be used with a validationFraction above 0"),
        (#"{"batchsize": 64}"#, "batchsize", "has no setting 'batchsize' (its settings here: batchSize, earlyStoppingPatience"),
        (#"{"epochs": "many"}"#, "epochs", "setting epochs: "),
        (#"{"schedule": "linear"}"#, "schedule", "setting schedule: no such choice 'linear' (one of: constant, cosine)"),
        (#"[1, 2]"#, "", "settings must be a JSON object of fields, not [1,2]"),
    ])
    func badChangesNameTheField(changes: String, field: String, message: String) throws {
        let error = #expect(throws: ConfigurationError.self) { try Self.recipe.applying(JSONValue(parsing: changes)) }
        #expect(error?.field == field)
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "accepted")")
    }

    @Test func anOwnerAndAPrefixNameWhoseSettingItIs() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationError.within(owner: "recipe") {
                try ConfigurationError.within(prefix: "batchPlan") { try Check.count("size", 0, atLeast: 1) }
            }
        }
        #expect(error?.description == "recipe setting batchPlan.size = 0: must be 1 or more")
    }

    @Test func settingsAreTheEncodedFieldsFlattened() throws {
        #expect(Self.recipe.settings == ["epochs": "30", "batchSize": "32", "learningRate": "0.001", "weightDecay": "0",
                                         "seed": "7", "validationFraction": "0.1", "earlyStoppingPatience": "8",
                                         "schedule": "constant", "warmupFraction": "0.05", "masking.timeMasks": "0",
                                         "masking.maximumTimeWidth": "10", "masking.frequencyMasks": "0",
                                         "masking.maximumFrequencyWidth": "8"])
        var without = Self.recipe
        without.earlyStoppingPatience = nil
        #expect(without.settings["earlyStoppingPatience"] == "null")        // listed, so changes can set it
        let nested = try JSONValue(parsing: #"{"a": {"b": [3, 5], "c": "x"}, "d": [], "e": true}"#)
        #expect(nested.flattened() == ["a.b": "3,5", "a.c": "x", "d": "none", "e": "true"])
    }

    @Test func settingAPathMakesTheObjectsOnTheWay() throws {
        var value = JSONValue.object(["epochs": .integer(1)])
        value.set(.number(0.5), at: "batchPlan.retainFraction")
        value.set(.bool(true), at: "batchPlan.balancesForgetExamples")
        #expect(value == (try JSONValue(parsing: #"{"epochs": 1, "batchPlan": {"retainFraction": 0.5, "balancesForgetExamples": true}}"#)))
        #expect(value.description == #"{"batchPlan":{"balancesForgetExamples":true,"retainFraction":0.5},"epochs":1}"#)
    }

    @Test func mergingWritesTheOtherObjectOverThisOneAtEveryDepth() throws {
        let base = try JSONValue(parsing: #"{"epochs": 2, "batchPlan": {"retainFraction": 0.5, "examples": "retain"}, "without": ["a", "b"]}"#)
        let changes = try JSONValue(parsing: #"{"batchPlan": {"retainFraction": 1}, "without": ["c"], "lambda": 3}"#)
        #expect(base.merging(changes) == (try JSONValue(parsing:
            #"{"epochs": 2, "batchPlan": {"retainFraction": 1, "examples": "retain"}, "without": ["c"], "lambda": 3}"#)))
        #expect(base.merging(.object([:])) == base)
        #expect(JSONValue.integer(1).merging(changes) == changes)             // a value that is not an object is replaced
    }

    @Test func numbersCompareByValue() throws {
        #expect(JSONValue.number(2) == .integer(2))
        #expect(JSONValue.number(2.5) != .integer(2))
        #expect(try JSONValue(parsing: JSONValue.number(2).description) == .number(2))
        #expect(JSONValue.string("2") != .integer(2))
    }
}
