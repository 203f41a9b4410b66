import Testing
@testable import Tensors
import TestSupport

/// Direct nested-loop convolution and pooling, written from PyTorch's definitions and sharing no code
/// with the engine, for forward values and for the pullbacks (by the chain rule on the same loops).
private struct DirectConvolution {
    let input: [Float], weight: [Float]
    let batch: Int, channels: Int, height: Int, width: Int
    let outputChannels: Int, kernelHeight: Int, kernelWidth: Int
    let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int

    var outputHeight: Int { (height + 2 * padding.0 - dilation.0 * (kernelHeight - 1) - 1) / stride.0 + 1 }
    var outputWidth: Int { (width + 2 * padding.1 - dilation.1 * (kernelWidth - 1) - 1) / stride.1 + 1 }
    var outputShape: [Int] { [batch, outputChannels, outputHeight, outputWidth] }

    /// Calls `visit(outputIndex, inputIndex, weightIndex)` for every multiply-add of the convolution.
    func forEachTerm(_ visit: (Int, Int, Int) -> Void) {
        let groupInputs = channels / groups, groupOutputs = outputChannels / groups
        for n in 0..<batch { for o in 0..<outputChannels { for oy in 0..<outputHeight { for ox in 0..<outputWidth {
            let outputIndex = ((n * outputChannels + o) * outputHeight + oy) * outputWidth + ox
            let group = o / groupOutputs
            for c in 0..<groupInputs { for ky in 0..<kernelHeight { for kx in 0..<kernelWidth {
                let y = oy * stride.0 - padding.0 + ky * dilation.0
                let x = ox * stride.1 - padding.1 + kx * dilation.1
                guard y >= 0, y < height, x >= 0, x < width else { continue }
                let inputIndex = ((n * channels + group * groupInputs + c) * height + y) * width + x
                let weightIndex = ((o * groupInputs + c) * kernelHeight + ky) * kernelWidth + kx
                visit(outputIndex, inputIndex, weightIndex)
            } } }
        } } } }
    }

    func forward() -> [Float] {
        var output = [Float](repeating: 0, count: outputShape.elementCount)
        forEachTerm { o, i, w in output[o] += input[i] * weight[w] }
        return output
    }

    func backward(_ upstream: [Float]) -> (input: [Float], weight: [Float]) {
        var dInput = [Float](repeating: 0, count: input.count), dWeight = [Float](repeating: 0, count: weight.count)
        forEachTerm { o, i, w in
            dInput[i] += upstream[o] * weight[w]
            dWeight[w] += upstream[o] * input[i]
        }
        return (dInput, dWeight)
    }
}

struct ConvolutionCase: Sendable, CustomTestStringConvertible {
    let batch: Int, channels: Int, height: Int, width: Int
    let outputChannels: Int, kernel: (Int, Int)
    let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int
    var testDescription: String {
        "N\(batch) C\(channels) \(height)×\(width) → O\(outputChannels) k\(kernel) s\(stride) p\(padding) d\(dilation) g\(groups)"
    }
}

let convolutionCases: [ConvolutionCase] = [
    .init(batch: 2, channels: 3, height: 7, width: 6, outputChannels: 4, kernel: (3, 3), stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1),
    .init(batch: 2, channels: 3, height: 7, width: 6, outputChannels: 4, kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
    .init(batch: 3, channels: 2, height: 9, width: 8, outputChannels: 3, kernel: (3, 3), stride: (2, 2), padding: (1, 1), dilation: (1, 1), groups: 1),
    .init(batch: 1, channels: 1, height: 12, width: 10, outputChannels: 4, kernel: (7, 7), stride: (2, 2), padding: (3, 3), dilation: (1, 1), groups: 1),
    .init(batch: 2, channels: 2, height: 8, width: 9, outputChannels: 2, kernel: (3, 2), stride: (1, 3), padding: (2, 0), dilation: (2, 3), groups: 1),
    .init(batch: 2, channels: 4, height: 6, width: 6, outputChannels: 6, kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 2),
    .init(batch: 2, channels: 4, height: 5, width: 5, outputChannels: 4, kernel: (3, 3), stride: (2, 1), padding: (1, 2), dilation: (1, 1), groups: 4),
    .init(batch: 3, channels: 4, height: 5, width: 4, outputChannels: 3, kernel: (1, 1), stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1),
    .init(batch: 2, channels: 4, height: 7, width: 7, outputChannels: 5, kernel: (1, 1), stride: (2, 2), padding: (0, 0), dilation: (1, 1), groups: 1),
    .init(batch: 1, channels: 2, height: 4, width: 4, outputChannels: 2, kernel: (4, 4), stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1),
    // Enough images that the engine blocks several of them into one GEMM (more than 2048 / 16 = 128).
    .init(batch: 130, channels: 1, height: 4, width: 4, outputChannels: 2, kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
]

@Suite("conv2d and pooling against direct nested loops")
struct ConvolutionReferenceTests {
    @Test(arguments: convolutionCases, [ConvolutionBackend.oneDNN, .im2col])
    func convolutionMatchesDirectLoops(_ c: ConvolutionCase, backend: ConvolutionBackend) {
        let x = Inputs.normal([c.batch, c.channels, c.height, c.width], seed: 1)
        let w = Inputs.normal([c.outputChannels, c.channels / c.groups, c.kernel.0, c.kernel.1], seed: 2)
        let reference = DirectConvolution(
            input: x.scalars, weight: w.scalars, batch: c.batch, channels: c.channels, height: c.height, width: c.width,
            outputChannels: c.outputChannels, kernelHeight: c.kernel.0, kernelWidth: c.kernel.1,
            stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        let convolve = { (p: [Tensor]) in
            Tensor.conv2d(p[0], weight: p[1], bias: nil, stride: c.stride, padding: c.padding, dilation: c.dilation,
                          groups: c.groups, backend: backend)
        }
        let output = convolve([x, w])
        let expected = Tensor(shape: reference.outputShape, scalars: reference.forward())
        let forward = closeness(output, expected)
        #expect(forward.passed, "forward: \(forward)")

        let upstream = Inputs.normal(reference.outputShape, seed: 3)
        let gradients = valueWithGradient(at: [x, w]) { p in (convolve(p) * upstream).sum() }.gradients
        let direct = reference.backward(upstream.scalars)
        let inputGradient = closeness(gradients[0], Tensor(shape: x.shape, scalars: direct.input))
        let weightGradient = closeness(gradients[1], Tensor(shape: w.shape, scalars: direct.weight), relativeTolerance: 2e-4)
        #expect(inputGradient.passed, "input gradient: \(inputGradient)")
        #expect(weightGradient.passed, "weight gradient: \(weightGradient)")
    }

    /// oneDNN must really run: a silent fallback to im2col would leave its path untested.
    @Test func oneDNNAcceptsEveryConvolutionOfTheTable() {
        for c in convolutionCases {
            for precision in Precision.allCases where precision.isAvailable {
                let geometry = OneDNNConvolution.Geometry(
                    batch: c.batch, channels: c.channels, height: c.height, width: c.width, outputChannels: c.outputChannels,
                    kernelHeight: c.kernel.0, kernelWidth: c.kernel.1, stride: [c.stride.0, c.stride.1],
                    padding: [c.padding.0, c.padding.1], dilation: [c.dilation.0, c.dilation.1], groups: c.groups,
                    precision: precision)
                #expect(OneDNNConvolution.primitives(for: geometry) != nil, "oneDNN declined \(c.testDescription) in \(precision)")
            }
        }
    }

    struct PoolingCase: Sendable, CustomTestStringConvertible {
        let kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)
        var testDescription: String { "k\(kernel) s\(stride) p\(padding)" }
    }

    static let poolingCases: [PoolingCase] = [
        .init(kernel: (2, 2), stride: (2, 2), padding: (0, 0)),
        .init(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
        .init(kernel: (3, 2), stride: (1, 2), padding: (1, 0)),
        .init(kernel: (2, 3), stride: (3, 1), padding: (0, 1)),
    ]

    /// Visits every (output index, in-bounds input index) pair of a pooling window, with the window's
    /// full area (padding included).
    private func windows(_ shape: [Int], _ c: PoolingCase, _ visit: (Int, [Int], Int) -> Void) -> [Int] {
        let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        let outputHeight = (height + 2 * c.padding.0 - c.kernel.0) / c.stride.0 + 1
        let outputWidth = (width + 2 * c.padding.1 - c.kernel.1) / c.stride.1 + 1
        for plane in 0..<planes { for oy in 0..<outputHeight { for ox in 0..<outputWidth {
            var members: [Int] = []
            for ky in 0..<c.kernel.0 { for kx in 0..<c.kernel.1 {
                let y = oy * c.stride.0 - c.padding.0 + ky, x = ox * c.stride.1 - c.padding.1 + kx
                if y >= 0 && y < height && x >= 0 && x < width { members.append((plane * height + y) * width + x) }
            } }
            visit((plane * outputHeight + oy) * outputWidth + ox, members, c.kernel.0 * c.kernel.1)
        } } }
        return [shape[0], shape[1], outputHeight, outputWidth]
    }

    @Test(arguments: poolingCases)
    func maxPoolingMatchesDirectLoops(_ c: PoolingCase) {
        let x = Inputs.spread([2, 3, 7, 8], seed: 4)
        let values = x.scalars
        var expected: [Int: Float] = [:], expectedGradient = [Float](repeating: 0, count: x.count)
        let upstream = Inputs.normal(windows(x.shape, c) { _, _, _ in }, seed: 5)
        let outputShape = windows(x.shape, c) { output, members, _ in
            let winner = members.max { values[$0] < values[$1] }!
            expected[output] = values[winner]
            expectedGradient[winner] += upstream.scalars[output]
        }
        let pool = { (x: Tensor) in x.maxPool2d(kernelSize: c.kernel, stride: c.stride, padding: c.padding) }
        let forward = closeness(pool(x), Tensor(shape: outputShape, scalars: (0..<expected.count).map { expected[$0]! }))
        #expect(forward.passed, "forward: \(forward)")
        let gradient = pullback(at: x, cotangent: upstream, of: pool)
        let backward = closeness(gradient, Tensor(shape: x.shape, scalars: expectedGradient))
        #expect(backward.passed, "gradient: \(backward)")
    }

    /// Ties and NaNs: the gradient goes to the first maximum of a row-major scan of the window, and a
    /// window with NaNs returns NaN and sends its gradient to the last of them (PyTorch's rule, a scan
    /// that takes a value when it is greater or NaN).
    @Test(arguments: poolingCases)
    func maxPoolingBreaksTiesAsARowMajorScan(_ c: PoolingCase) {
        var generator = SplitMix64(seed: 8)
        let values = (0..<(2 * 3 * 7 * 8)).map { _ -> Float in   // three levels, one value in 16 NaN
            let draw = generator.next() % 48
            return draw < 3 ? .nan : Float(draw % 3)
        }
        let x = Tensor(shape: [2, 3, 7, 8], scalars: values)
        var expected: [Int: Float] = [:], expectedGradient = [Float](repeating: 0, count: x.count)
        let upstream = Inputs.normal(windows(x.shape, c) { _, _, _ in }, seed: 9)
        _ = windows(x.shape, c) { output, members, _ in
            var winner = members[0]
            for member in members.dropFirst() where values[member] > values[winner] || values[member].isNaN { winner = member }
            expected[output] = values[winner]
            expectedGradient[winner] += upstream.scalars[output]
        }
        #expect(values.contains { $0.isNaN } && expected.values.contains { $0.isNaN } && expected.values.contains { !$0.isNaN })
        let pool = { (x: Tensor) in x.maxPool2d(kernelSize: c.kernel, stride: c.stride, padding: c.padding) }
        let output = pool(x).scalars
        #expect(output.count == expected.count)
        for (index, value) in output.enumerated() {
            let reference = expected[index]!
            #expect(value == reference || (value.isNaN && reference.isNaN), "output \(index): \(value), expected \(reference)")
        }
        #expect(pullback(at: x, cotangent: upstream, of: pool).scalars == expectedGradient)
    }

    @Test(arguments: poolingCases, [true, false])
    func averagePoolingMatchesDirectLoops(_ c: PoolingCase, includingPadding: Bool) {
        let x = Inputs.normal([2, 2, 7, 8], seed: 6)
        let values = x.scalars
        var expected: [Int: Float] = [:], expectedGradient = [Float](repeating: 0, count: x.count)
        let upstream = Inputs.normal(windows(x.shape, c) { _, _, _ in }, seed: 7)
        let outputShape = windows(x.shape, c) { output, members, area in
            let divisor = Float(includingPadding ? area : members.count)
            expected[output] = members.map { values[$0] }.reduce(0, +) / divisor
            for member in members { expectedGradient[member] += upstream.scalars[output] / divisor }
        }
        let pool = { (x: Tensor) in
            x.avgPool2d(kernelSize: c.kernel, stride: c.stride, padding: c.padding, countIncludingPadding: includingPadding)
        }
        let forward = closeness(pool(x), Tensor(shape: outputShape, scalars: (0..<expected.count).map { expected[$0]! }))
        #expect(forward.passed, "forward: \(forward)")
        let gradient = pullback(at: x, cotangent: upstream, of: pool)
        let backward = closeness(gradient, Tensor(shape: x.shape, scalars: expectedGradient))
        #expect(backward.passed, "gradient: \(backward)")
    }
}
