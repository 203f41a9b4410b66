import Foundation

/// The command-line options: `[--threads N] [--quick]`.
struct Options {
    var threads: Int?
    var quick = false

    /// Parses `arguments` (without the program name); exits with a message naming the bad flag.
    init(_ arguments: [String]) {
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--quick":
                quick = true
            case "--threads":
                guard let value = remaining.popFirst(), let count = Int(value), count >= 1 else {
                    Self.fail("--threads needs a positive integer, e.g. --threads 1")
                }
                threads = count
            case "--help", "-h":
                print("usage: tensors-benchmark [--threads N] [--quick]")
                exit(0)
            default:
                Self.fail("unknown argument '\(argument)'; usage: tensors-benchmark [--threads N] [--quick]")
            }
        }
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("tensors-benchmark: \(message)\n".utf8))
        exit(2)
    }
}
