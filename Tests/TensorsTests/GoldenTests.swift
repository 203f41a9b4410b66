import Foundation
import Testing
import Tensors
import TestSupport

/// Forward values of the tensor ops against `Fixtures/golden.json`, written by an independent NumPy/SciPy
/// implementation (`Fixtures/generate_golden.py`, which documents the file and how to regenerate it).
///
/// Each case names an op, its inputs and parameters (Swift argument labels) and the expected outputs;
/// ``forward(_:)`` below is the one place that maps an op name to the Swift call. Every output is checked
/// for its shape and then element by element with `closeness` at its defaults, 1e-5 + 1e-4·|e|: the
/// references are float64 rounded once to Float32, while the engine accumulates in Float32 (sums of up to
/// a few dozen terms here: ~1e-6 relative). 1e-4 relative is about 800 ulps; the 1e-5 absolute part covers
/// results that cancel to near zero. The closest call is `log_softmax_last_axis_large` at about half the
/// tolerance: `x − shift` with `|x| ≈ 800` loses ~3e-5 to Float32 rounding, as PyTorch's Float32 would.
@Suite struct GoldenTests {
    @Test(arguments: try GoldenFile.load().cases)
    func matchesReference(_ golden: GoldenCase) throws {
        let outputs = try forward(golden)
        #expect(Set(outputs.keys) == Set(golden.expected.map(\.name)),
                "\(golden.name): the outputs computed differ from those expected")
        for expected in golden.expected {
            let actual = try #require(outputs[expected.name], "\(golden.name) has no output \(expected.name)")
            let comparison = closeness(actual, expected.tensor)
            #expect(comparison.passed, "\(golden.name).\(expected.name): \(comparison)")
        }
    }

    @Test func fileNamesEveryCaseOnce() throws {
        let names = try GoldenFile.load().cases.map(\.name)
        #expect(names.count >= 70, "golden.json holds only \(names.count) cases")
        #expect(Set(names).count == names.count, "duplicate case names in golden.json")
    }
}

/// Computes every output a case expects, by the op's Swift API. A parameter the case leaves out is left
/// to the Swift default, so the defaults (PyTorch's) are checked too.
private func forward(_ golden: GoldenCase) throws -> [String: Tensor] {
    let p = golden.parameters
    func input(_ name: String) throws -> Tensor { try #require(golden.optionalInput(name), "input \(name)") }
    switch golden.op {
    case "max":
        let (values, indices) = try input("x").max(alongAxis: #require(p.axis))
        return ["values": values, "indices": Tensor(shape: values.shape, scalars: indices.map(Float.init))]
    case "batchNorm":
        let (output, mean, variance) = try Tensor.batchNorm(input("x"), scale: golden.optionalInput("scale"),
                                                            offset: golden.optionalInput("offset"),
                                                            epsilon: #require(p.epsilon))
        return ["output": output, "mean": mean, "variance": variance]
    default:
        return ["output": try output(golden, input: input)]
    }
}

/// The one output of a single-output op.
private func output(_ golden: GoldenCase, input: (String) throws -> Tensor) throws -> Tensor {
    let p = golden.parameters
    func keeping() throws -> Bool { try #require(p.keepingDimensions as Bool?) }
    switch golden.op {
    case "exp": return try input("x").exp()
    case "log": return try input("x").log()
    case "squareRoot": return try input("x").squareRoot()
    case "abs": return try input("x").abs()
    case "squared": return try input("x").squared()
    case "relu": return try input("x").relu()
    case "tanh": return try input("x").tanh()
    case "sigmoid": return try input("x").sigmoid()
    case "pow": return try input("x").pow(#require(p.exponent))
    case "gelu":
        switch try #require(p.approximation) {
        case "none": return try input("x").gelu(approximation: .none)
        case "tanh": return try input("x").gelu(approximation: .tanh)
        case let other: throw GoldenFileError("\(golden.name): unknown GELU approximation \(other)")
        }
    case "clamped":
        let x = try input("x")
        switch (p.lower, p.upper) {
        case let (lower?, upper?): return x.clamped(lower: lower, upper: upper)
        case let (lower?, nil): return x.clamped(lower: lower)
        case let (nil, upper?): return x.clamped(upper: upper)
        case (nil, nil): return x.clamped()
        }

    case "add": return try input("a") + input("b")
    case "subtract": return try input("a") - input("b")
    case "multiply": return try input("a") * input("b")
    case "divide": return try input("a") / input("b")
    case "scalarArithmetic": return (1.5 - (try input("x")) * 2.5) / 4

    case "sum": return try input("x").sum(alongAxes: #require(p.axes), keepingDimensions: keeping())
    case "sumAll": return try input("x").sum()
    case "mean": return try input("x").mean(alongAxes: #require(p.axes), keepingDimensions: keeping())
    case "meanAll": return try input("x").mean()
    case "variance":
        let (x, axes) = try (input("x"), #require(p.axes))
        guard let correction = p.correction else { return x.variance(alongAxes: axes) }   // default: unbiased
        return try x.variance(alongAxes: axes, correction: correction, keepingDimensions: keeping())
    case "logSumExp": return try input("x").logSumExp(alongAxis: #require(p.axis), keepingDimensions: keeping())
    case "softmax": return try input("x").softmax(alongAxis: #require(p.axis))
    case "logSoftmax": return try input("x").logSoftmax(alongAxis: #require(p.axis))

    case "matmul":
        return try Tensor.matmul(input("a"), input("b"), transposeA: #require(p.transposeA as Bool?),
                                 transposeB: #require(p.transposeB as Bool?))
    case "conv2d":
        return try Tensor.conv2d(input("x"), weight: input("weight"), bias: golden.optionalInput("bias"),
                                 stride: pair(p.stride), padding: pair(p.padding), dilation: pair(p.dilation),
                                 groups: #require(p.groups))
    case "maxPool2d":
        return try input("x").maxPool2d(kernelSize: pair(p.kernelSize), stride: p.stride.map(pair),
                                        padding: p.padding.map(pair) ?? (0, 0))
    case "avgPool2d":
        let (x, kernel, stride, padding) = try (input("x"), pair(p.kernelSize), p.stride.map(pair),
                                                p.padding.map(pair) ?? (0, 0))
        guard let counting = p.countIncludingPadding else {   // default: count_include_pad=True
            return x.avgPool2d(kernelSize: kernel, stride: stride, padding: padding)
        }
        return x.avgPool2d(kernelSize: kernel, stride: stride, padding: padding, countIncludingPadding: counting)
    case "globalAveragePool2d": return try input("x").globalAveragePool2d()
    case "layerNorm":
        return try Tensor.layerNorm(input("x"), scale: golden.optionalInput("scale"), offset: golden.optionalInput("offset"),
                                    normalizedAxisCount: #require(p.normalizedAxisCount), epsilon: #require(p.epsilon))

    case "permuted": return try input("x").permuted(#require(p.permutation))
    case "transposed":
        guard let axes = p.axes else { return try input("x").transposed() }   // default: the last two
        return try input("x").transposed(axes[0], axes[1])
    case "padded":
        let widths = try #require(p.widths).map { (before: $0[0], after: $0[1]) }
        return try input("x").padded(widths, value: #require(p.value))
    case "slice":
        return try input("x").slice(alongAxis: #require(p.axis), #require(p.start)..<#require(p.end), step: #require(p.step))
    case "concatenate": return try Tensor.concatenate(golden.inputs.map(\.tensor), alongAxis: #require(p.axis))
    case "stack": return try Tensor.stack(golden.inputs.map(\.tensor), alongAxis: #require(p.axis))
    case "broadcast": return try input("x").broadcast(to: #require(p.shape))

    case "gather": return try input("x").gather(alongAxis: #require(p.axis), indices: #require(p.indices))
    case "indexSelect": return try input("x").indexSelect(alongAxis: #require(p.axis), indices: #require(p.indices))
    case "where": return try Tensor.where(input("condition"), input("a"), input("b"))

    default: throw GoldenFileError("\(golden.name): no Swift call for op \(golden.op); add one to output(_:input:)")
    }
}

/// `[a, b]` as the `(Int, Int)` pairs the pooling and convolution APIs take.
private func pair(_ values: [Int]?) throws -> (Int, Int) {
    let values = try #require(values)
    try #require(values.count == 2, "expected a pair, got \(values)")
    return (values[0], values[1])
}

// MARK: - Tolerance

// MARK: - The fixture file

/// `Fixtures/golden.json`, as `generate_golden.py` writes it.
struct GoldenFile: Decodable, Sendable {
    let seed: Int
    let cases: [GoldenCase]

    static func load() throws -> GoldenFile {
        guard let url = Bundle.module.url(forResource: "golden", withExtension: "json", subdirectory: "Fixtures") else {
            throw GoldenFileError("Fixtures/golden.json is missing from the test bundle; run Fixtures/generate_golden.py")
        }
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }
}

struct GoldenFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One op applied to fixed inputs, with the outputs the reference computed.
struct GoldenCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let op: String
    let inputs: [GoldenArray]
    let parameters: GoldenParameters
    let expected: [GoldenArray]

    var testDescription: String { name }

    func optionalInput(_ name: String) -> Tensor? { inputs.first { $0.name == name }?.tensor }
}

/// A named tensor: row-major Float32 values and a shape (`[]` for a scalar).
struct GoldenArray: Decodable, Sendable {
    let name: String
    let shape: [Int]
    let values: [Float]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        shape = try container.decode([Int].self, forKey: .shape)
        values = try container.decode([Float].self, forKey: .values)
        guard shape.elementCount == values.count else {
            throw DecodingError.dataCorruptedError(forKey: .values, in: container,
                                                   debugDescription: "\(name): shape \(shape) but \(values.count) values")
        }
    }

    private enum CodingKeys: String, CodingKey { case name, shape, values }

    var tensor: Tensor { Tensor(shape: shape, scalars: values) }
}

/// The parameters a case may carry, named as the Swift argument labels; absent means "use the default".
struct GoldenParameters: Decodable, Sendable {
    var axes: [Int]?, axis: Int?, keepingDimensions: Bool?, correction: Int?
    var exponent: Float?, lower: Float?, upper: Float?, approximation: String?
    var transposeA: Bool?, transposeB: Bool?
    var kernelSize: [Int]?, stride: [Int]?, padding: [Int]?, dilation: [Int]?, groups: Int?, countIncludingPadding: Bool?
    var epsilon: Float?, normalizedAxisCount: Int?
    var permutation: [Int]?, widths: [[Int]]?, value: Float?, start: Int?, end: Int?, step: Int?, shape: [Int]?
    var indices: [Int]?
}
