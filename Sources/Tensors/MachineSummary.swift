import Foundation

/// The machine a result came from, as reports record it: the processor, the instruction set the
/// kernels use and which library runs the matrix products.
public struct MachineSummary: Codable, Sendable, Equatable {
    /// The `model name` of `/proc/cpuinfo` with its family and model (a KVM guest may hide the exact
    /// model name: family 25 model 17 is a Zen 4 "Genoa").
    public var processor: String
    /// ``MatrixKernels/instructionSet``, e.g. `AVX-512 BF16`.
    public var instructionSet: String
    /// ``MatrixKernels/summary``.
    public var matrixProducts: String

    /// One line: `AMD EPYC (family 25, model 17), AVX-512 BF16; matrix products: …`.
    public var markdown: String { "\(processor), \(instructionSet); matrix products: \(matrixProducts)" }

    /// This machine.
    public static var current: MachineSummary {
        let fields = ProcessorFields.read()
        let identity = [fields["cpu family"].map { "family \($0)" }, fields["model"].map { "model \($0)" }].compactMap { $0 }
        return MachineSummary(processor: (fields["model name"] ?? "unknown") + (identity.isEmpty ? "" : " (\(identity.joined(separator: ", ")))"),
                              instructionSet: MatrixKernels.instructionSet.description, matrixProducts: MatrixKernels.summary)
    }
}

/// The first processor's fields of `/proc/cpuinfo` (Linux; empty elsewhere), e.g. `model name`,
/// `cpu family`, `model`, `cpu MHz`.
public enum ProcessorFields {
    public static func read() -> [String: String] {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }
}
