import Checks
import CDNNL
import Synchronization

/// Convolutions through oneDNN (Intel's deep-learning kernels, the ones PyTorch runs on the CPU):
/// blocked AVX-512 layouts, reached by reorders from and to our NCHW tensors. About 1.4× the speed of
/// im2col + OpenBLAS for ResNet's 3×3 layers here (../shared/PLATFORM.md). The im2col path stays as the
/// reference the tests compare with, and as the fallback when oneDNN rejects a shape.
///
/// One `OneDNNConvolution` holds the primitives of one geometry — forward, backward data, backward
/// weights and their reorders — made once (creating them takes milliseconds) and cached.
final class OneDNNConvolution: @unchecked Sendable {   // immutable after init; execution is serialised
    struct Geometry: Hashable {
        let batch: Int, channels: Int, height: Int, width: Int
        let outputChannels: Int, kernelHeight: Int, kernelWidth: Int
        let stride: [Int], padding: [Int], dilation: [Int]
        let groups: Int
        /// bf16: inputs of every direction in bfloat16, results (output, gradients) in Float32.
        let precision: Precision

        var readsBFloat16: Bool { OneDNNConvolution.readsBFloat16(precision, height: height, width: width, stride: stride) }
    }

    /// Whether the operands are read as bfloat16: in bf16, except where an input side is shorter than
    /// its stride (a 1×1 map into a stride-2 3×3 convolution, ResNet18's last stage on small inputs).
    /// There oneDNN 2.6.3's AMX backward-weights kernel writes wrong weight gradients, as large as the
    /// gradients themselves (found by sweeping ResNet18's geometries on a Sapphire Rapids Xeon; every
    /// other geometry matched); such convolutions are tiny and run in Float32.
    static func readsBFloat16(_ precision: Precision, height: Int, width: Int, stride: [Int]) -> Bool {
        precision == .bf16 && height >= stride[0] && width >= stride[1]
    }

    /// Primitives by geometry (`nil` where oneDNN declined), and the lock that serialises execution.
    /// Every primitive uses a user-managed scratchpad, taken from the buffer pool for each execution:
    /// the library-managed one is bound to the thread that made the primitive, and crashed when tests
    /// ran convolutions from several threads.
    private static let cache = Mutex<[Geometry: OneDNNConvolution?]>([:])

    /// The primitives for `geometry`, made on first use; `nil` when oneDNN is unavailable or declines.
    static func primitives(for geometry: Geometry) -> OneDNNConvolution? {
        if let cached = cache.withLock({ $0[geometry] }) { return cached }
        let made = OneDNNConvolution(geometry)
        cache.withLock { $0[geometry] = .some(made) }
        return made
    }

    private let forward: OneDNNStep, backwardData: OneDNNStep, backwardWeights: OneDNNStep

    private init?(_ g: Geometry) {
        guard let engine = OneDNN.engine else { return nil }
        let outputHeight = (g.height + 2 * g.padding[0] - g.dilation[0] * (g.kernelHeight - 1) - 1) / g.stride[0] + 1
        let outputWidth = (g.width + 2 * g.padding[1] - g.dilation[1] * (g.kernelWidth - 1) - 1) / g.stride[1] + 1
        let sourceDims = [g.batch, g.channels, g.height, g.width].map(Int64.init)
        let outputDims = [g.batch, g.outputChannels, outputHeight, outputWidth].map(Int64.init)
        let weightDims = (g.groups > 1 ? [g.groups, g.outputChannels / g.groups] : [g.outputChannels])
            .map(Int64.init) + [g.channels / g.groups, g.kernelHeight, g.kernelWidth].map(Int64.init)
        let weightTag = g.groups > 1 ? dnnl_goihw : dnnl_oihw
        // Each direction reads operands in the precision's type and writes Float32 (the same in fp32).
        let operand = g.readsBFloat16 ? dnnl_bf16 : dnnl_f32
        guard let source = MemoryDescriptor(sourceDims, dnnl_nchw), let output = MemoryDescriptor(outputDims, dnnl_nchw),
              let weights = MemoryDescriptor(weightDims, weightTag),
              let anySource = MemoryDescriptor(sourceDims, dnnl_format_tag_any, operand),
              let anyOutput = MemoryDescriptor(outputDims, dnnl_format_tag_any, operand),
              let anyWeights = MemoryDescriptor(weightDims, dnnl_format_tag_any, operand),
              let sourceResult = MemoryDescriptor(sourceDims, dnnl_format_tag_any),
              let outputResult = MemoryDescriptor(outputDims, dnnl_format_tag_any),
              let weightsResult = MemoryDescriptor(weightDims, dnnl_format_tag_any) else { return nil }
        let strides = g.stride.map(Int64.init), dilates = g.dilation.map { Int64($0 - 1) }
        let padding = g.padding.map(Int64.init)

        var forwardDescriptor = dnnl_convolution_desc_t()
        var backwardDataDescriptor = dnnl_convolution_desc_t()
        var backwardWeightsDescriptor = dnnl_convolution_desc_t()
        var (s, w, o) = (anySource.value, anyWeights.value, anyOutput.value)
        var (sourceOut, weightsOut, outputOut) = (sourceResult.value, weightsResult.value, outputResult.value)
        guard dnnl_dilated_convolution_forward_desc_init(&forwardDescriptor, dnnl_forward_training, dnnl_convolution_direct,
                                                         &s, &w, nil, &outputOut, strides, dilates, padding, padding) == dnnl_success,
              dnnl_dilated_convolution_backward_data_desc_init(&backwardDataDescriptor, dnnl_convolution_direct,
                                                               &sourceOut, &w, &o, strides, dilates, padding, padding) == dnnl_success,
              dnnl_dilated_convolution_backward_weights_desc_init(&backwardWeightsDescriptor, dnnl_convolution_direct,
                                                                  &s, &weightsOut, nil, &o, strides, dilates, padding, padding) == dnnl_success,
              let forward = OneDNNStep(&forwardDescriptor, hint: nil, engine: engine,
                                 arguments: [(DNNL_ARG_SRC, source, dnnl_query_src_md, .input),
                                             (DNNL_ARG_WEIGHTS, weights, dnnl_query_weights_md, .input),
                                             (DNNL_ARG_DST, output, dnnl_query_dst_md, .output)]),
              let backwardData = OneDNNStep(&backwardDataDescriptor, hint: forward.descriptor, engine: engine,
                                      arguments: [(DNNL_ARG_DIFF_DST, output, dnnl_query_diff_dst_md, .input),
                                                  (DNNL_ARG_WEIGHTS, weights, dnnl_query_weights_md, .input),
                                                  (DNNL_ARG_DIFF_SRC, source, dnnl_query_diff_src_md, .output)]),
              let backwardWeights = OneDNNStep(&backwardWeightsDescriptor, hint: forward.descriptor, engine: engine,
                                         arguments: [(DNNL_ARG_SRC, source, dnnl_query_src_md, .input),
                                                     (DNNL_ARG_DIFF_DST, output, dnnl_query_diff_dst_md, .input),
                                                     (DNNL_ARG_DIFF_WEIGHTS, weights, dnnl_query_diff_weights_md, .output)])
        else { return nil }
        (self.forward, self.backwardData, self.backwardWeights) = (forward, backwardData, backwardWeights)
    }

    /// `output ← conv(input, weight)`, all in NCHW / OIHW. With `keepingInput`, the input as converted
    /// for the kernel is returned (`nil` where it needed no conversion), for ``backwardWeights``.
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 keepingInput: Bool = false) -> ConvertedOperand? {
        forward.run([UnsafeMutableRawPointer(mutating: input), UnsafeMutableRawPointer(mutating: weight), UnsafeMutableRawPointer(output)],
                    keeping: keepingInput ? [DNNL_ARG_SRC] : [])[DNNL_ARG_SRC]
    }

    /// `inputGradient ← convᵀ(outputGradient, weight)`. With `keepingOutputGradient`, the output gradient
    /// as converted for the kernel is returned, for ``backwardWeights``.
    func backwardData(outputGradient: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      inputGradient: UnsafeMutablePointer<Float>, keepingOutputGradient: Bool = false) -> ConvertedOperand? {
        backwardData.run([UnsafeMutableRawPointer(mutating: outputGradient), UnsafeMutableRawPointer(mutating: weight),
                          UnsafeMutableRawPointer(inputGradient)],
                         keeping: keepingOutputGradient ? [DNNL_ARG_DIFF_DST] : [])[DNNL_ARG_DIFF_DST]
    }

    /// `weightGradient ← Σ input ⋆ outputGradient`, reading `convertedInput` and `convertedOutputGradient`
    /// (kept by ``forward`` and ``backwardData`` from the same data) where they are in this kernel's layout.
    func backwardWeights(input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         weightGradient: UnsafeMutablePointer<Float>,
                         convertedInput: ConvertedOperand? = nil, convertedOutputGradient: ConvertedOperand? = nil) {
        backwardWeights.run([UnsafeMutableRawPointer(mutating: input), UnsafeMutableRawPointer(mutating: outputGradient),
                             UnsafeMutableRawPointer(weightGradient)],
                            reusing: [DNNL_ARG_SRC: convertedInput, DNNL_ARG_DIFF_DST: convertedOutputGradient].compactMapValues { $0 })
    }
}

