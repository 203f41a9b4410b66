import Testing
import Tensors
import TestSupport

/// The kernels split large tensors across threads; the split must not change a single bit of the result.
/// Inputs here are above the engine's threshold for threading (65,536 elements).
@Suite("Threaded kernels equal single-threaded ones", .serialized)
struct ParallelKernelTests {
    private static let computations: [(String, @Sendable ([Tensor]) -> Tensor)] = [
        ("exp", { $0[0].exp() }),
        ("broadcast multiply", { $0[0] * $0[1] }),
        ("sum along axis 1", { $0[0].sum(alongAxes: [1]) }),
        ("sum along axis 3", { $0[0].sum(alongAxes: [3]) }),
        ("softmax along axis 1", { $0[0].softmax(alongAxis: 1) }),
        ("permute", { $0[0].permuted([0, 2, 3, 1]) }),
        ("batch norm", { Tensor.batchNorm($0[0], scale: nil, offset: nil).output }),
        ("layer norm", { Tensor.layerNorm($0[0], scale: nil, offset: nil) }),
        ("max pool", { $0[0].maxPool2d(kernelSize: (2, 2)) }),
        ("average pool", { $0[0].avgPool2d(kernelSize: (3, 3), stride: (1, 1), padding: (1, 1)) }),
        ("conv2d", { Tensor.conv2d($0[0], weight: $0[2], padding: (1, 1)) }),
    ]

    @Test func resultsAndGradientsAreIdentical() {
        let inputs = [Inputs.normal([8, 16, 32, 24], seed: 1), Inputs.normal([16, 1, 24], seed: 2),
                      Inputs.normal([8, 16, 3, 3], seed: 3)]
        let previous = ComputeThreads.count
        defer { ComputeThreads.set(previous) }
        for (name, body) in Self.computations {
            var results: [[Float]] = []
            for threads in [1, 2] {
                ComputeThreads.set(threads)
                let value = body(inputs)
                let gradient = valueWithGradient(at: inputs) { p in (body(p) * body(inputs)).sum() }.gradients[0]
                results.append(value.scalars + gradient.scalars)
            }
            #expect(results[0] == results[1], "\(name) differs between one and two threads")
        }
    }
}
