import Testing
import TestSupport
@testable import Tensors

/// `x` rounded to the nearest bfloat16 (ties to even), as oneDNN's reorders round.
private func bf16(_ x: Float) -> Float {
    let bits = x.bitPattern
    return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
}

private func rounded(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, scalars: t.scalars.map(bf16)) }

private func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

/// bf16 products and convolutions (``Precision/bf16``): exactly the Float32 result of the operands
/// rounded to bfloat16 (oneDNN multiplies bf16 values exactly and accumulates in Float32), forward and
/// backward — and measurably not the unrounded Float32 result, so the bf16 kernels really ran.
@Suite("bf16 products and convolutions", .enabled(if: Precision.bf16.isAvailable, "this CPU has no bf16 instructions"))
struct BF16Tests {
    struct ProductCase: CustomTestStringConvertible, Sendable {
        let a: [Int], b: [Int]
        let transposeA: Bool, transposeB: Bool
        var testDescription: String { "\(a)\(transposeA ? "ᵀ" : "")·\(b)\(transposeB ? "ᵀ" : "")" }
    }

    static let products: [ProductCase] = [
        .init(a: [33, 70], b: [70, 21], transposeA: false, transposeB: false),
        .init(a: [70, 33], b: [21, 70], transposeA: true, transposeB: true),
        .init(a: [4, 3, 17, 16], b: [4, 3, 16, 17], transposeA: false, transposeB: false),   // attention-shaped batch
        .init(a: [4, 3, 17, 16], b: [4, 3, 17, 16], transposeA: false, transposeB: true),
        .init(a: [5, 9, 24], b: [24, 8], transposeA: false, transposeB: false),               // folded to one product
        .init(a: [2, 1, 9, 12], b: [1, 3, 12, 5], transposeA: false, transposeB: false),      // broadcast batches
    ]

    @Test(arguments: products)
    func productsAreTheFloat32ProductsOfRoundedOperands(_ c: ProductCase) throws {
        let a = Inputs.normal(c.a, seed: 1), b = Inputs.normal(c.b, seed: 2)
        let multiply = { (p: [Tensor]) in Tensor.matmul(p[0], p[1], transposeA: c.transposeA, transposeB: c.transposeB) }
        let product = try Precision.withPrecision(.bf16) { multiply([a, b]) }
        let upstream = Inputs.normal(product.shape, seed: 3)
        let gradients = try Precision.withPrecision(.bf16) {
            valueWithGradient(at: [a, b]) { p in (multiply(p) * upstream).sum() }.gradients
        }
        // The reference: Float32 products of the rounded operands; the pullback's products round their
        // operands too (the upstream gradient and the other factor).
        let (ra, rb, ru) = (rounded(a), rounded(b), rounded(upstream))
        let expected = multiply([ra, rb])
        let expectedGradients = valueWithGradient(at: [ra, rb]) { p in (multiply(p) * ru).sum() }.gradients
        let forward = closeness(product, expected)
        #expect(forward.passed, "forward: \(forward)")
        for (name, (gradient, reference)) in zip(["∂a", "∂b"], zip(gradients, expectedGradients)) {
            let check = closeness(gradient, reference, relativeTolerance: 2e-4)
            #expect(check.passed, "\(name): \(check)")
        }
        #expect(largestDifference(product, multiply([a, b])) > 1e-3, "no different from Float32: bf16 did not run")
        #expect(Precision.current == .fp32, "the precision is scoped to withPrecision's body")
    }

    /// ResNet18's geometries at a batch of 32 on small images: channel counts where oneDNN picks its AMX
    /// and AVX512-BF16 kernels (the reference table's few channels run other ones).
    static let modelSizedCases: [ConvolutionCase] = [
        .init(batch: 32, channels: 1, height: 16, width: 16, outputChannels: 64, kernel: (7, 7), stride: (2, 2), padding: (3, 3), dilation: (1, 1), groups: 1),
        .init(batch: 32, channels: 64, height: 4, width: 4, outputChannels: 64, kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
        .init(batch: 32, channels: 64, height: 4, width: 4, outputChannels: 128, kernel: (3, 3), stride: (2, 2), padding: (1, 1), dilation: (1, 1), groups: 1),
        .init(batch: 32, channels: 64, height: 4, width: 4, outputChannels: 128, kernel: (1, 1), stride: (2, 2), padding: (0, 0), dilation: (1, 1), groups: 1),
        .init(batch: 32, channels: 256, height: 1, width: 1, outputChannels: 512, kernel: (3, 3), stride: (2, 2), padding: (1, 1), dilation: (1, 1), groups: 1),
        .init(batch: 32, channels: 512, height: 1, width: 1, outputChannels: 512, kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
        .init(batch: 8, channels: 64, height: 16, width: 16, outputChannels: 64, kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1),
    ]

    /// Every geometry of the convolution reference table (strides, padding, dilation, groups, 1×1 and 7×7
    /// kernels), and a larger one on which bf16 must differ measurably from Float32.
    @Test(arguments: convolutionCases + [ConvolutionCase(batch: 4, channels: 8, height: 12, width: 10, outputChannels: 16,
                                                         kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1), groups: 1)]
                     + modelSizedCases)
    func convolutionsAreTheFloat32ConvolutionsOfRoundedOperands(_ c: ConvolutionCase) throws {
        let x = Inputs.normal([c.batch, c.channels, c.height, c.width], seed: 4)
        let w = Inputs.normal([c.outputChannels, c.channels / c.groups, c.kernel.0, c.kernel.1], seed: 5)
        let convolve = { (p: [Tensor], backend: ConvolutionBackend) in
            Tensor.conv2d(p[0], weight: p[1], bias: nil, stride: c.stride, padding: c.padding, dilation: c.dilation,
                          groups: c.groups, backend: backend)
        }
        let (output, gradients) = try Precision.withPrecision(.bf16) {
            let output = convolve([x, w], .oneDNN)
            let upstream = Inputs.normal(output.shape, seed: 6)
            return (output, valueWithGradient(at: [x, w]) { p in (convolve(p, .oneDNN) * upstream).sum() }.gradients)
        }
        // The reference: Float32 convolutions of the rounded operands, or of the operands themselves where
        // the engine keeps the convolution in Float32 (an input side shorter than the stride).
        let readsBFloat16 = OneDNNConvolution.readsBFloat16(.bf16, height: c.height, width: c.width, stride: [c.stride.0, c.stride.1])
        let round = readsBFloat16 ? rounded : { $0 }
        let (rx, rw, ru) = (round(x), round(w), round(Inputs.normal(output.shape, seed: 6)))
        let expected = convolve([rx, rw], .im2col)
        let expectedGradients = valueWithGradient(at: [rx, rw]) { p in (convolve(p, .im2col) * ru).sum() }.gradients
        // Float32 sums of n products of unit-scale terms differ by about n·ε with the order of summation
        // (AMX sums in tiles): the absolute tolerance grows with the number of terms of each direction.
        let terms = [c.channels / c.groups * c.kernel.0 * c.kernel.1, c.outputChannels / c.groups * c.kernel.0 * c.kernel.1,
                     c.batch * output.shape[2] * output.shape[3]]
        let checks = zip(["forward", "∂input", "∂weight"], zip([output] + gradients, [expected] + expectedGradients))
        for ((name, (actual, reference)), n) in zip(checks, terms) {
            let check = closeness(actual, reference, absoluteTolerance: max(1e-5, Float(n) * 1e-7), relativeTolerance: 2e-4)
            #expect(check.passed, "\(name): \(check)")
        }
        if readsBFloat16 && c.outputChannels >= 16 {
            #expect(largestDifference(output, convolve([x, w], .im2col)) > 1e-3, "no different from Float32: bf16 did not run")
        }
    }
}

@Suite("Precision setting")
struct PrecisionTests {
    @Test func bf16IsRefusedWithAReasonWhereTheCPUHasNone() throws {
        #expect(Precision.bf16.isAvailable == MatrixKernels.instructionSet.hasBF16)
        if Precision.bf16.isAvailable {
            #expect(try Precision.withPrecision(.bf16) { Precision.current } == .bf16)
        } else {
            #expect(throws: PrecisionError.self) { try Precision.withPrecision(.bf16) {} }
        }
        let message = PrecisionError.unavailable(.bf16, instructionSet: "AVX2").description
        #expect(message.contains("AVX512-BF16") && message.contains("offers AVX2") && message.contains("fp32"))
    }
}
