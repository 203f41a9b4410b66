import ArgumentParser
import Experiments
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "See what QPAudioEraser does, on built-in synthetic voices, in a few minutes.",
        discussion: """
        Makes the synthetic corpus with espeak-ng (once; it is cached), trains a small CNN to recognise \
        its speakers and evaluates it on held-out clips; then forgets the first speaker with \
        QPAudioEraser, and the second in a later request, printing the before/after table of each and \
        re-testing the first. Checkpoints and reports (JSON and Markdown) are written to --out.
        """)

    @Option(help: ArgumentHelp("Folder for the checkpoint and the reports.", valueName: "folder"))
    var out = "qpae-demo"

    @Option(help: "Seeds the corpus, the split and the training.")
    var seed: UInt64 = 0

    @Option(help: "Training epochs (the unlearning uses QPAudioEraser's defaults).")
    var epochs = 12

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs \(epochs) must be at least 1") }
    }

    @OptionGroup var compute: PrecisionOption

    func run() throws { try compute.scope(execute) }

    private func execute() throws {
        var demo = Demo(output: URL(fileURLWithPath: out))
        demo.seed = seed
        demo.epochs = epochs
        _ = try demo.run()
    }
}
