import ArgumentParser
import Experiments
import Service

@main
struct QPAE: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qpae",
        abstract: "QPAudioEraser: make a trained voice model forget a speaker or an accent.",
        discussion: """
        Start with `qpae demo`: it makes a small synthetic corpus, trains a speaker classifier, then \
        makes it forget two speakers one request after the other and shows the before/after tables, in \
        a few minutes, with no download.

        Your own data: `qpae train --data PATH --out model.safetensors`, then \
        `qpae forget --model model.safetensors --forget CLASS --out forgot.safetensors`, and \
        `qpae evaluate --model forgot.safetensors --forget CLASS --before model.safetensors`.
        Datasets are read in the layouts of AudioMNIST, the Free Spoken Digit Dataset, Speech Commands, \
        LibriSpeech, the Speech Accent Archive, VCTK and VoxCeleb (detected from the folder, the folder that \
        holds it or one of its subsets).
        """,
        version: QPAudioEraserVersion.withMachine,
        subcommands: [DemoCommand.self, DataCommand.self, TrainCommand.self, EvaluateCommand.self, ForgetCommand.self, AuditCommand.self, CalibrateCommand.self, MethodsCommand.self,
                      ExperimentCommand.self, ServeCommand.self, LedgerCommand.self, CertificateCommand.self]
    )
}
