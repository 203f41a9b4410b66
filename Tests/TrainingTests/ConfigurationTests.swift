import Foundation
import Testing
@testable import Training

/// Settings as JSON: partial changes over a configuration, the errors that name the field, and the flat
/// settings reports record.
@Suite struct ConfigurationTests {
    private static let recipe = TrainingConfiguration(epochs: 30, batchSize: 32, learningRate: 1e-3, seed: 7,
                                                      validationFraction: 0.1, earlyStoppingPatience: 8)

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
                                         "seed": "7", "validationFraction": "0.1", "earlyStoppingPatience": "8"])
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

    @Test func numbersCompareByValue() throws {
        #expect(JSONValue.number(2) == .integer(2))
        #expect(JSONValue.number(2.5) != .integer(2))
        #expect(try JSONValue(parsing: JSONValue.number(2).description) == .number(2))
        #expect(JSONValue.string("2") != .integer(2))
    }
}
