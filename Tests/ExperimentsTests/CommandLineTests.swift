import ArgumentParser
import Datasets
import Experiments
import Foundation
import TestSupport
import Testing
@testable import qpae

/// The message `qpae` prints for the arguments, or `nil` when they parse and validate.
private func parseMessage(_ arguments: [String]) -> String? {
    do {
        _ = try QPAE.parseAsRoot(arguments)
        return nil
    } catch {
        return QPAE.message(for: error)
    }
}

@Suite(.serialized) struct CommandLineTests {
    @Test func trainParsesItsOptions() throws {
        let out = TinyCorpus.temporaryFile("m.safetensors").path
        let command = try #require(try QPAE.parseAsRoot(
            ["train", "--data", "/data/fsdd", "--layout", "fsdd", "--model", "resnet18", "--epochs", "7",
             "--seed", "9", "--out", out]) as? TrainCommand)
        #expect(command.model == .resnet18)
        #expect(command.epochs == 7 && command.seed == 9)
        #expect(command.dataOptions.layout == .fsdd)
        #expect(command.dataOptions.data == "/data/fsdd")
    }

    @Test(arguments: [
        (["train", "--out", "x.safetensors", "--epochs", "0"], "--epochs 0 must be at least 1"),
        (["train", "--out", "x.safetensors", "--model", "vgg"], "vgg"),
        (["train", "--out", "x.safetensors", "--layout", "timit"], "timit"),
        (["train", "--out", "x.safetensors", "--test-fraction", "1.5"], "--test-fraction 1.5 must lie between 0 and 1"),
        (["train", "--out", "x.safetensors", "--patience", "3", "--validation-fraction", "0"],
         "--patience 3: must be used with a validationFraction above 0"),
        (["train", "--out", "x.safetensors", "--batch-size", "0"], "--batch-size 0: must be 1 or more"),
        (["train", "--out", "x.safetensors", "--validation-fraction", "1"], "--validation-fraction 1.0: must be in 0.0 to below 1.0"),
        (["train"], "--out"),
        (["evaluate"], "--model"),
        (["experiment", "--out", "x"], "either --preset NAME or --scenario FILE"),
        (["experiment", "--preset", "paper-single", "--out", "x", "--seeds", "0,one"], "--seeds 0,one"),
        (["experiment", "--preset", "paper-single", "--out", "x", "--methods", "ssd,magic"], "--methods ssd,magic"),
        (["experiment", "--preset", "paper-everything", "--out", "x"], "paper-everything"),
    ])
    func badArgumentsAreExplained(arguments: [String], expected: String) {
        let message = parseMessage(arguments)
        #expect(message?.contains(expected) == true, "\(message ?? "parsed")")
    }

    @Test func experimentFlagsMakeTheScenario() throws {
        let command = try #require(try QPAE.parseAsRoot(
            ["experiment", "--preset", "paper-multi", "--data", "/data/fsdd", "--model", "resnet18", "--seeds", "0,1,2",
             "--methods", "qpaudioeraser,ssd", "--out", "x"]) as? ExperimentCommand)
        let scenario = try command.makeScenario()
        #expect(scenario.name == "paper-multi" && scenario.kind == .multi)
        #expect(scenario.data == "/data/fsdd" && scenario.model == .resnet18)
        #expect(scenario.seeds == [0, 1, 2])
        #expect(scenario.methods == [.qpaudioeraser, .selectiveSynapticDampening])
        #expect(scenario.forgetSets == [["0", "4"], ["10%"]])
    }

    @Test func trainRefusesToOverwriteWithoutBeingTold() throws {
        let existing = TinyCorpus.temporaryFile("taken.safetensors")
        try Data("x".utf8).write(to: existing)
        #expect(parseMessage(["train", "--out", existing.path])?.contains("already exists") == true)
        #expect(parseMessage(["train", "--out", existing.path, "--overwrite"]) == nil)
        let missing = TinyCorpus.temporaryFile("missing.safetensors").path
        #expect(parseMessage(["train", "--out", missing, "--resume"])?.contains("no checkpoint") == true)
    }

    @Test func helpPagesTeachByExample() {
        #expect(TrainCommand.helpMessage().contains("qpae train --data ../shared/data/fsdd"))
        #expect(EvaluateCommand.helpMessage().contains("--forget <class>"))
        #expect(QPAE.helpMessage().contains("qpae demo"))
    }

    @Test func evaluateNamesAnUnknownClassAndTheKnownOnes() throws {
        let out = TinyCorpus.temporaryFile("cli.safetensors")
        let train = try #require(try QPAE.parseAsRoot(
            ["train", "--data", TinyCorpus.speakers.path, "--epochs", "1", "--batch-size", "8", "--out", out.path,
             "--validation-fraction", "0", "--cache", TinyCorpus.featureCache.path]) as? TrainCommand)
        try train.run()
        let evaluate = try #require(try QPAE.parseAsRoot(
            ["evaluate", "--model", out.path, "--forget", "nobody", "--cache", TinyCorpus.featureCache.path]) as? EvaluateCommand)
        let error = #expect(throws: DatasetError.self) { try evaluate.run() }
        #expect(error?.description.contains("unknown class 'nobody'") == true)
    }
}
