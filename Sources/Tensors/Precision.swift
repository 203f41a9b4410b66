/// The number format convolutions and matrix products compute in.
///
/// `bf16` is mixed precision as PyTorch's CPU autocast does it: the operands of every convolution and
/// matrix product (forward and backward) are rounded to bfloat16 and multiplied by oneDNN's bf16
/// kernels (AVX512-BF16 dot products, AMX tiles), accumulating and returning Float32. Weights, the
/// optimizer's state, gradients as stored, and every reduction (sums, softmax, normalisation, losses)
/// stay Float32.
public enum Precision: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case fp32, bf16

    public var description: String { rawValue }

    /// The precision in force for the current task: `fp32` unless ``withPrecision(_:_:)`` says otherwise.
    @TaskLocal public static var current: Precision = .fp32

    /// Runs `body` with convolutions and products in `precision`.
    ///
    /// - Throws: ``PrecisionError/unavailable(_:instructionSet:)`` for bf16 on a CPU without bf16
    ///   instructions (emulating them would be slower than fp32).
    public static func withPrecision<Value>(_ precision: Precision, _ body: () throws -> Value) throws -> Value {
        try precision.checkAvailable()
        return try $current.withValue(precision, operation: body)
    }

    /// The async form of ``withPrecision(_:_:)``.
    public static func withPrecision<Value>(_ precision: Precision, _ body: () async throws -> Value) async throws -> Value {
        try precision.checkAvailable()
        return try await $current.withValue(precision, operation: body)
    }

    /// Whether this CPU runs it natively.
    public var isAvailable: Bool { self == .fp32 || MatrixKernels.instructionSet.hasBF16 }

    /// - Throws: ``PrecisionError/unavailable(_:instructionSet:)`` when this CPU cannot run it natively.
    public func checkAvailable() throws {
        guard isAvailable else { throw PrecisionError.unavailable(self, instructionSet: MatrixKernels.instructionSet.description) }
    }
}

public enum PrecisionError: Error, Equatable, CustomStringConvertible {
    case unavailable(Precision, instructionSet: String)

    public var description: String {
        switch self {
        case let .unavailable(precision, instructionSet):
            "\(precision) needs a CPU with AVX512-BF16 or AMX (Intel Cooper Lake, Sapphire Rapids or later; AMD Zen 4 or later); "
                + "this one offers \(instructionSet) (\(MachineSummary.current.processor)): use fp32"
        }
    }
}
