import CBLAS

/// A convolution's arithmetic as the plain GEMMs of an im2col over the whole batch, on raw buffers:
///
/// - forward `Y[O, N·P] = W[O, K]·col[K, N·P]`,
/// - backward `∂W[O, K] = ∂Y·colᵀ` and, where the input needs a gradient, `∂col[K, N·P] = Wᵀ·∂Y`,
///
/// with `K = C·KH·KW` and `P = OH·OW`. No im2col, col2im, layout copy or allocation is timed, so this is
/// the floor an im2col convolution on OpenBLAS can approach; the gap to `Tensor.conv2d` is the engine's
/// overhead (data movement, GEMM blocking, graph recording).
struct ConvolutionGEMMFloor {
    private let m: Int32, n: Int32, k: Int32
    private let needsInputGradient: Bool
    private let weight: AlignedBuffer, columns: AlignedBuffer, output: AlignedBuffer
    private let weightGradient: AlignedBuffer, columnsGradient: AlignedBuffer

    init(_ layer: ConvolutionLayer, batch: Int) {
        let patch = layer.inputChannels * layer.kernelSize * layer.kernelSize
        let positions = batch * layer.outputHeight * layer.outputWidth
        (m, n, k) = (Int32(layer.outputChannels), Int32(positions), Int32(patch))
        needsInputGradient = layer.inputNeedsGradient
        // Constant operands: GEMM speed does not depend on the values (no denormals here).
        weight = AlignedBuffer(count: layer.outputChannels * patch, repeating: 0.01)
        columns = AlignedBuffer(count: patch * positions, repeating: 0.5)
        output = AlignedBuffer(count: layer.outputChannels * positions)
        weightGradient = AlignedBuffer(count: layer.outputChannels * patch)
        columnsGradient = AlignedBuffer(count: needsInputGradient ? patch * positions : 0)
    }

    /// `Y = W·col`.
    func forward() -> Float {
        withOpenBLASThreads {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1,
                        weight.pointer, k, columns.pointer, n, 0, output.pointer, n)
            return output.pointer[0]
        }
    }

    /// `Y = W·col`, then `∂W = ∂Y·colᵀ` and (unless the layer is the stem) `∂col = Wᵀ·∂Y`, with `Y`
    /// standing in for `∂Y`.
    func forwardAndBackward() -> Float {
        withOpenBLASThreads { forwardAndBackwardProducts() }
    }

    private func forwardAndBackwardProducts() -> Float {
        var result = forward()
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, n, 1,
                    output.pointer, n, columns.pointer, n, 0, weightGradient.pointer, k)
        result += weightGradient.pointer[0]
        if needsInputGradient {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, n, m, 1,
                        weight.pointer, k, output.pointer, n, 0, columnsGradient.pointer, n)
            result += columnsGradient.pointer[0]
        }
        return result
    }
}
