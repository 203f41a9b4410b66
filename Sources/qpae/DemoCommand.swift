import ArgumentParser
import Experiments
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "See what QPAudioEraser does, on built-in synthetic voices, in a few minutes.",
        discussion: """
        Makes the synthetic corpus with espeak-ng (once; it is cached), trains a small CNN to recognise \
        its speakers, evaluates it on held-out clips and prints the tables. The checkpoint and the \
        reports (JSON and Markdown) are written to --out.
        """)

    @Option(help: ArgumentHelp("Folder for the checkpoint and the reports.", valueName: "folder"))
    var out = "qpae-demo"

    @Option(help: "Seeds the corpus, the split and the training.")
    var seed: UInt64 = 0

    @Option(help: "Training epochs.")
    var epochs = 12

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs \(epochs) must be at least 1") }
    }

    func run() throws {
        var demo = Demo(output: URL(fileURLWithPath: out))
        demo.seed = seed
        demo.epochs = epochs
        _ = try demo.run()
    }
}
