import Checks
import Foundation

/// Output columns per GEMM: images are batched into one column matrix until it holds about this many
/// output positions, so the deep layers of a network (a few positions per image) still make GEMMs
/// large enough for BLAS to run at full speed.
private let targetColumnsPerProduct = 2048

/// Output maps of at most this many positions get their weight gradient as one matrix product over the
/// batch (im2col, then `∂W = ∂Y·colᵀ`) instead of from oneDNN's backward-weights kernel, which is slow on
/// tiny maps: on a Zen 5, batch 32, ResNet18's last stage (2×3 maps) took 3.5 ms per 512→512 3×3 layer
/// in bf16 (five times its forward pass) and 3.8 ms in Float32, where the product takes 1.3 and 2.4 ms;
/// at 4×6 maps (24 positions) the two are within the cost of the im2col.
private let largestPlaneForWeightGradientProduct = 16

/// How `conv2d` computes: oneDNN's kernels (the default, as PyTorch on the CPU) or im2col + OpenBLAS
/// (the reference the tests compare with, and the fallback where oneDNN declines a shape).
/// `QPAE_CONVOLUTION=im2col` selects the latter for a whole run.
enum ConvolutionBackend: Sendable {
    case oneDNN, im2col

    static let preferred: ConvolutionBackend =
        ProcessInfo.processInfo.environment["QPAE_CONVOLUTION"]?.lowercased() == "im2col" ? .im2col : .oneDNN
}

extension Tensor {
    /// 2-D cross-correlation, PyTorch's `conv2d`.
    ///
    /// - Shapes: `input` `[N, C, H, W]`, `weight` `[O, C/groups, KH, KW]`, `bias` `[O]`; result
    ///   `[N, O, OH, OW]` with `OH = ⌊(H + 2·padding − dilation·(KH − 1) − 1)/stride⌋ + 1`.
    /// - Method: oneDNN's forward, backward-data and backward-weights primitives (blocked layouts,
    ///   reordered from and to NCHW), cached per shape; on output maps of at most 16 positions the weight
    ///   gradient is one matrix product over the batch instead. Where oneDNN is unavailable: im2col over a block
    ///   of images, then one GEMM per group and block; the pullback recomputes the column matrix and
    ///   uses two more GEMMs (`∂W = ∂Y·colᵀ`, `∂col = Wᵀ·∂Y`) and col2im.
    /// - Precision: under ``Precision/bf16`` oneDNN reads input, weight and output gradient as bfloat16
    ///   and writes Float32 (forward and both gradients), as PyTorch's CPU autocast does; the im2col path
    ///   is always Float32.
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil,
                              stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                              dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
               backend: .preferred)
    }

    static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int),
                       dilation: (Int, Int), groups: Int, backend: ConvolutionBackend) -> Tensor {
        checkPrecondition(input.rank == 4 && weight.rank == 4,
                          "conv2d needs input [N, C, H, W] and weight [O, C/groups, KH, KW], got \(input.shape) and \(weight.shape)")
        let (batch, channels) = (input.shape[0], input.shape[1])
        let outputChannels = weight.shape[0]
        checkPrecondition(groups >= 1 && channels % groups == 0 && outputChannels % groups == 0
                          && weight.shape[1] == channels / groups,
                          "conv2d: input \(input.shape), weight \(weight.shape) and groups \(groups) disagree")
        checkPrecondition(bias == nil || bias!.shape == [outputChannels],
                          "conv2d: bias shape \(bias!.shape) must be [\(outputChannels)]")
        checkPrecondition(stride.0 >= 1 && stride.1 >= 1 && dilation.0 >= 1 && dilation.1 >= 1
                          && padding.0 >= 0 && padding.1 >= 0, "conv2d: invalid stride \(stride), padding \(padding) or dilation \(dilation)")
        let geometry = WindowGeometry(
            channels: channels / groups, height: input.shape[2], width: input.shape[3],
            kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            strideY: stride.0, strideX: stride.1, paddingY: padding.0, paddingX: padding.1,
            dilationY: dilation.0, dilationX: dilation.1)
        checkPrecondition(geometry.outputHeight > 0 && geometry.outputWidth > 0,
                          "conv2d: kernel \(weight.shape[2])×\(weight.shape[3]) does not fit input \(input.shape) with padding \(padding), dilation \(dilation)")
        let plan = ConvolutionPlan(geometry: geometry, batch: batch, groups: groups, outputChannels: outputChannels)
        let (x, w, needInput, needWeight) = (input.detached, weight.detached, input.isRecorded, weight.isRecorded)
        let outputShape = [batch, outputChannels, geometry.outputHeight, geometry.outputWidth]
        let oneDNNGeometry = OneDNNConvolution.Geometry(
            batch: batch, channels: channels, height: input.shape[2], width: input.shape[3],
            outputChannels: outputChannels, kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            stride: [stride.0, stride.1], padding: [padding.0, padding.1], dilation: [dilation.0, dilation.1],
            groups: groups, precision: Precision.current)
        let primitives = backend == .oneDNN ? OneDNNConvolution.primitives(for: oneDNNGeometry) : nil
        // When oneDNN's kernel computes the weight gradient, it reads the input as the forward pass
        // converted it (bf16, blocked) and the output gradient as the input gradient's pass converted it:
        // two of the four conversions of activations a training step made per layer. Tiny maps take the
        // weight gradient as a product instead (`largestPlaneForWeightGradientProduct`).
        let weightGradientIsProduct = groups == 1 && geometry.outputPlane <= largestPlaneForWeightGradientProduct
        let keepsConversions = needWeight && !weightGradientIsProduct
        var convertedInput: ConvertedOperand?
        let value = primitives.map { dnnl in
            Tensor(shape: outputShape) {
                convertedInput = dnnl.forward(input: x.storage.pointer, weight: w.storage.pointer, output: $0.baseAddress!,
                                              keepingInput: keepsConversions)
            }
        } ?? plan.forward(input: x, weight: w)
        let output = record(value, inputs: [input, weight]) { [convertedInput] g in
            guard let dnnl = primitives else {
                let gradients = plan.backward(outputGradient: g, input: x, weight: w,
                                              needInput: needInput, needWeight: needWeight)
                return [gradients.input, gradients.weight]
            }
            var convertedOutputGradient: ConvertedOperand?
            let inputGradient = needInput ? Tensor(shape: x.shape) {
                convertedOutputGradient = dnnl.backwardData(outputGradient: g.storage.pointer, weight: w.storage.pointer,
                                                            inputGradient: $0.baseAddress!, keepingOutputGradient: keepsConversions)
            } : nil
            let weightGradient: Tensor? = !needWeight ? nil
                : weightGradientIsProduct
                ? plan.weightGradientByProduct(outputGradient: g, input: x, precision: oneDNNGeometry.readsBFloat16 ? .bf16 : .fp32)
                : Tensor(shape: w.shape) {
                    dnnl.backwardWeights(input: x.storage.pointer, outputGradient: g.storage.pointer, weightGradient: $0.baseAddress!,
                                         convertedInput: convertedInput, convertedOutputGradient: convertedOutputGradient)
                }
            return [inputGradient, weightGradient]
        }
        // The bias gradient (Σ over N, OH, OW) comes from the broadcast addition's pullback.
        return bias.map { output + $0.reshaped(to: [1, outputChannels, 1, 1]) } ?? output
    }
}

/// A convolution's sizes and the blocking of images into GEMMs.
private struct ConvolutionPlan {
    let geometry: WindowGeometry
    let batch: Int, groups: Int, outputChannels: Int

    var groupOutputs: Int { outputChannels / groups }
    var imagesPerBlock: Int { max(1, min(batch, targetColumnsPerProduct / max(geometry.outputPlane, 1))) }
    var inputImageStride: Int { geometry.channels * groups * geometry.inputPlane }

    /// Calls `body(firstImage, imageCount, columns, product)` for each block of images, with pooled
    /// scratch for the block's column matrix and for one group's `[O_g, count·plane]` product.
    func forEachBlock(_ body: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let columnCount = geometry.patchLength * imagesPerBlock * geometry.outputPlane
        BufferPool.withScratch(count: columnCount + groupOutputs * imagesPerBlock * geometry.outputPlane) { scratch in
            for first in Swift.stride(from: 0, to: batch, by: imagesPerBlock) {
                body(first, min(imagesPerBlock, batch - first), scratch, scratch + columnCount)
            }
        }
    }

    func forward(input: Tensor, weight: Tensor) -> Tensor {
        let g = geometry, plane = g.outputPlane, patch = g.patchLength
        return Tensor(shape: [batch, outputChannels, g.outputHeight, g.outputWidth]) { output in
            forEachBlock { first, count, columns, product in
                for group in 0..<groups {
                    let source = input.storage.pointer + first * inputImageStride + group * g.channels * g.inputPlane
                    let directColumns = g.isPointwise && count == 1
                    if !directColumns {
                        im2col(g, input: source, imageStride: inputImageStride, imageCount: count, columns: columns)
                    }
                    let b = directColumns ? UnsafePointer(source) : UnsafePointer(columns)
                    let a = weight.storage.pointer + group * groupOutputs * patch
                    let destination = output.baseAddress! + (first * outputChannels + group * groupOutputs) * plane
                    if count == 1 {
                        gemm(m: groupOutputs, n: plane, k: patch, a, lda: patch, b, ldb: plane, destination, ldc: plane)
                    } else {
                        gemm(m: groupOutputs, n: count * plane, k: patch, a, lda: patch, b, ldb: count * plane,
                             product, ldc: count * plane)
                        // [O_g, image·plane] → [image, O_g, plane] inside the NCHW output.
                        copyStrided(shape: [count, groupOutputs, plane], from: product,
                                    strides: [plane, count * plane, 1],
                                    to: destination, strides: [outputChannels * plane, plane, 1])
                    }
                }
            }
        }
    }

    /// `∂W = ∂Y·colᵀ` for the whole batch as one product in `precision` (one group only).
    func weightGradientByProduct(outputGradient: Tensor, input: Tensor, precision: Precision) -> Tensor {
        let g = geometry, plane = g.outputPlane, width = batch * plane
        let columns = Tensor(shape: [g.patchLength, width]) {
            im2col(g, input: input.storage.pointer, imageStride: inputImageStride, imageCount: batch, columns: $0.baseAddress!)
        }
        // ∂Y as [O, image·plane].
        let upstream = Tensor(shape: [outputChannels, width]) {
            copyStrided(shape: [batch, outputChannels, plane], from: outputGradient.storage.pointer,
                        strides: [outputChannels * plane, plane, 1], to: $0.baseAddress!, strides: [plane, width, 1])
        }
        return gemm(upstream, columns, transposeA: false, transposeB: true, precision: precision)
            .reshaped(to: [outputChannels, g.channels, g.kernelHeight, g.kernelWidth])
    }

    func backward(outputGradient: Tensor, input: Tensor, weight: Tensor,
                  needInput: Bool, needWeight: Bool) -> (input: Tensor?, weight: Tensor?) {
        let g = geometry, plane = g.outputPlane, patch = g.patchLength
        var inputGradient = needInput ? Tensor.zeros(input.shape) : nil
        var weightGradient = needWeight ? Tensor.zeros(weight.shape) : nil
        forEachBlock { first, count, columns, block in
            for group in 0..<groups {
                let inputOffset = first * inputImageStride + group * g.channels * g.inputPlane
                let upstream = outputGradient.storage.pointer + (first * outputChannels + group * groupOutputs) * plane
                // ∂Y of this block and group as a [O_g, count·plane] matrix.
                let dY: UnsafePointer<Float>
                if count == 1 {
                    dY = UnsafePointer(upstream)
                } else {
                    copyStrided(shape: [count, groupOutputs, plane], from: upstream,
                                strides: [outputChannels * plane, plane, 1],
                                to: block, strides: [plane, count * plane, 1])
                    dY = UnsafePointer(block)
                }
                let width = count * plane
                let weightGroup = weight.storage.pointer + group * groupOutputs * patch
                if needWeight {
                    im2col(g, input: input.storage.pointer + inputOffset, imageStride: inputImageStride,
                           imageCount: count, columns: columns)
                    weightGradient!.withUnsafeMutableBufferPointer { dW in
                        // ∂W_g += ∂Y·colᵀ
                        gemm(transposeB: true, m: groupOutputs, n: patch, k: width, dY, lda: width, columns, ldb: width,
                             beta: 1, dW.baseAddress! + group * groupOutputs * patch, ldc: patch)
                    }
                }
                if needInput {
                    // ∂col = W_gᵀ·∂Y, then scattered back onto the input positions.
                    gemm(transposeA: true, m: patch, n: width, k: groupOutputs, weightGroup, lda: patch, dY, ldb: width,
                         columns, ldc: width)
                    inputGradient!.withUnsafeMutableBufferPointer { dX in
                        col2im(g, columns: columns, imageCount: count, input: dX.baseAddress! + inputOffset,
                               imageStride: inputImageStride)
                    }
                }
            }
        }
        return (inputGradient, weightGradient)
    }
}
