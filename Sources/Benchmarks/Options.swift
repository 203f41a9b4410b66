import Foundation
import Tensors

/// The command line: `[kernels|models] [--threads N] [--quick] [--models a,b] [--rounds N] [--no-pytorch] [--single MODEL]`.
struct Options {
    enum Command: String { case kernels, models, features, service }

    var command = Command.kernels
    var threads: Int?
    var quick = false
    /// `models`: which architectures, by their command-line names.
    var models = ["cnn", "resnet18", "vit-tiny"]
    /// `models`: how many times to alternate ours and PyTorch's measurements (each figure is its median round).
    var rounds = 1
    /// `models`: skip the PyTorch comparison.
    var withPyTorch = true
    /// `models`, internal: measure this one model in this process and print one JSON line (the parent
    /// runs each model in a fresh process so that peak-memory figures do not mix).
    var single: String?
    /// `models`, internal: with `--single`, only this phase (`train` or `infer`).
    var phase: String?
    /// `models`: our precisions to measure (`--precisions fp32,bf16`); bf16 by default where the CPU has it.
    var precisions: [Precision] = Precision.allCases.filter(\.isAvailable)
    /// `features`: the dataset folder (default: the shared FSDD copy beside the checkout).
    var dataPath: String?
    /// `service`: the server, a requester's or operator's token, the models and subjects to ask for,
    /// how long to keep reading statuses, how many clients of each kind, and the seed of the order.
    var url = URL(string: "http://127.0.0.1:8080/")!
    var token = ProcessInfo.processInfo.environment["QPAE_TOKEN"] ?? ""
    var serviceModels: [String] = []
    var subjects: [String] = []
    var duration = 60.0
    var concurrency = 4
    var statusRate = 0.0
    var seed: UInt64 = 0

    static let usage = "usage: qpae-benchmark [kernels|models|features] [--threads N] [--quick] [--models cnn,resnet18,vit-tiny] [--precisions fp32,bf16] [--rounds N] [--no-pytorch] [--data FOLDER]\n"
        + "       qpae-benchmark service --url URL --models m1,m2 --subjects s1,s2 [--duration SECONDS] [--concurrency N] [--status-rate PER_SECOND] [--seed N] (token in QPAE_TOKEN)"

    /// Parses `arguments` (without the program name); exits with a message naming the bad flag.
    init(_ arguments: [String]) {
        var remaining = arguments[...]
        if let first = remaining.first, let command = Command(rawValue: first) {
            self.command = command
            remaining = remaining.dropFirst()
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--quick":
                quick = true
            case "--no-pytorch":
                withPyTorch = false
            case "--threads":
                guard let value = remaining.popFirst(), let count = Int(value), count >= 1 else {
                    Self.fail("--threads needs a positive integer, e.g. --threads 1")
                }
                threads = count
            case "--rounds":
                guard let value = remaining.popFirst(), let count = Int(value), count >= 1 else {
                    Self.fail("--rounds needs a positive integer, e.g. --rounds 3")
                }
                rounds = count
            case "--models":
                guard let value = remaining.popFirst() else { Self.fail("--models needs a list, e.g. --models cnn,vit-tiny") }
                models = value.split(separator: ",").map(String.init)
                serviceModels = models
            case "--precisions":
                guard let value = remaining.popFirst() else { Self.fail("--precisions needs a list, e.g. --precisions fp32,bf16") }
                precisions = value.split(separator: ",").map { name in
                    guard let precision = Precision(rawValue: String(name)) else { Self.fail("unknown precision '\(name)': fp32 or bf16") }
                    do { try precision.checkAvailable() } catch { Self.fail("\(error)") }
                    return precision
                }
            case "--subjects":
                guard let value = remaining.popFirst() else { Self.fail("--subjects needs a list, e.g. --subjects george,lucas") }
                subjects = value.split(separator: ",").map(String.init)
            case "--url":
                guard let value = remaining.popFirst(), let parsed = URL(string: value.hasSuffix("/") ? value : value + "/") else {
                    Self.fail("--url needs the server's address, e.g. http://127.0.0.1:8080")
                }
                url = parsed
            case "--duration", "--concurrency", "--seed", "--status-rate":
                guard let value = remaining.popFirst(), let number = Double(value),
                      number >= 1 || (["--seed", "--status-rate"].contains(argument) && number >= 0) else {
                    Self.fail("\(argument) needs a positive number")
                }
                switch argument {
                case "--duration": duration = number
                case "--concurrency": concurrency = Int(number)
                case "--status-rate": statusRate = number
                default: seed = UInt64(number)
                }
            case "--single":
                guard let value = remaining.popFirst() else { Self.fail("--single needs a model name") }
                single = value
            case "--phase":
                guard let value = remaining.popFirst(), ["train", "infer"].contains(value) else {
                    Self.fail("--phase needs train or infer")
                }
                phase = value
            case "--data":
                guard let value = remaining.popFirst() else { Self.fail("--data needs a folder") }
                dataPath = value
            case "--help", "-h":
                print(Self.usage)
                exit(0)
            default:
                Self.fail("unknown argument '\(argument)'; \(Self.usage)")
            }
        }
    }

    /// The arguments that reproduce these options in a child process measuring one model.
    func childArguments(model: String, phase: String, precision: Precision) -> [String] {
        ["models", "--single", model, "--phase", phase, "--precisions", precision.rawValue]
            + (threads.map { ["--threads", "\($0)"] } ?? []) + (quick ? ["--quick"] : [])
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("qpae-benchmark: \(message)\n".utf8))
        exit(2)
    }
}
