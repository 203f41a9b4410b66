// Batch and layer normalisation as fused operations: one pass for the statistics, one for the output,
// and a hand-written pullback (the textbook formula, cheaper and more stable than the composite graph).

extension Tensor {
    /// Batch normalisation with batch statistics (training mode), PyTorch `batch_norm(training=True)`.
    ///
    /// `x` is `[N, C, …]`; statistics are per channel over N and the trailing axes:
    /// `y = γ·(x − μ)/√(σ² + ε) + β`. Returns the output with the batch mean and the *biased* batch
    /// variance (`[C]` each, no gradient), from which a layer updates its running statistics (PyTorch
    /// updates `running_var` with the unbiased variance, `σ²·M/(M − 1)` for `M` values per channel).
    ///
    /// Pullback, with `x̂ = (x − μ)/σ`, `M` values per channel: `∂β = Σ∂y`, `∂γ = Σ∂y·x̂`,
    /// `∂x = γ/(σM)·(M·∂y − ∂β − x̂·∂γ)`.
    public static func batchNorm(_ x: Tensor, scale: Tensor?, offset: Tensor?, epsilon: Float = 1e-5)
        -> (output: Tensor, mean: Tensor, variance: Tensor) {
        checkPrecondition(x.rank >= 2, "batchNorm needs [N, C, …], got \(x.shape)")
        let (batch, channels) = (x.shape[0], x.shape[1])
        let spatial = x.count / Swift.max(batch * channels, 1)
        let valuesPerChannel = batch * spatial
        checkPrecondition(valuesPerChannel > 0, "batchNorm needs at least one value per channel, shape \(x.shape)")
        checkPrecondition(scale.map { $0.shape == [channels] } ?? true && offset.map { $0.shape == [channels] } ?? true,
                          "batchNorm: scale \(scale?.shape ?? []) and offset \(offset?.shape ?? []) must be [\(channels)]")
        var means = [Float](repeating: 0, count: channels)
        var variances = [Float](repeating: 0, count: channels)
        let gamma = scale?.scalars ?? [Float](repeating: 1, count: channels)
        let beta = offset?.scalars ?? [Float](repeating: 0, count: channels)
        let source = x.storage.pointer
        /// Calls `body(row)` for the N contiguous rows of `spatial` values of channel `c`.
        func rows(of channel: Int, _ body: (Int) -> Void) {
            for n in 0..<batch { body((n * channels + channel) * spatial) }
        }
        means.withUnsafeMutableBufferPointer { meanBuffer in
            variances.withUnsafeMutableBufferPointer { varianceBuffer in
                let (meanOut, varianceOut) = (meanBuffer.baseAddress!, varianceBuffer.baseAddress!)
                parallelChunks(channels, costPerItem: 2 * valuesPerChannel) { range in
                    for c in range {
                        var total: Float = 0
                        rows(of: c) { total += contiguousSum(source + $0, spatial) }
                        let mean = total / Float(valuesPerChannel)
                        var squares: Float = 0
                        rows(of: c) { squares += contiguousSquaredDeviationSum(source + $0, spatial, center: mean) }
                        meanOut[c] = mean
                        varianceOut[c] = squares / Float(valuesPerChannel)
                    }
                }
            }
        }
        let inverseDeviations = variances.map { 1 / ($0 + epsilon).squareRoot() }
        let output = Tensor(shape: x.shape) { output in
            let destination = output.baseAddress!
            parallelChunks(channels, costPerItem: valuesPerChannel) { range in
                for c in range {
                    let a = gamma[c] * inverseDeviations[c], b = beta[c] - means[c] * a
                    rows(of: c) { start in for i in 0..<spatial { destination[start &+ i] = source[start &+ i] * a + b } }
                }
            }
        }
        let input = x.detached
        let needScale = scale?.isRecorded ?? false, needOffset = offset?.isRecorded ?? false
        let recorded = record(output, inputs: [x] + [scale, offset].compactMap { $0 }) { g in
            let upstream = g.storage.pointer, source = input.storage.pointer
            var sumGradient = [Float](repeating: 0, count: channels)
            var sumGradientNormalized = [Float](repeating: 0, count: channels)
            var inputGradient = Tensor.zeros(input.shape)
            inputGradient.withUnsafeMutableBufferPointer { buffer in
                let destination = buffer.baseAddress!
                sumGradient.withUnsafeMutableBufferPointer { sums in
                    sumGradientNormalized.withUnsafeMutableBufferPointer { products in
                        let (sumOut, productOut) = (sums.baseAddress!, products.baseAddress!)
                        parallelChunks(channels, costPerItem: 3 * valuesPerChannel) { range in
                            for c in range {
                                let mean = means[c], inverse = inverseDeviations[c]
                                // ∂β = Σ∂y;  ∂γ = Σ∂y·(x − μ)/σ.
                                var dBeta: Float = 0, centeredDot: Float = 0
                                rows(of: c) { start in
                                    dBeta += contiguousSum(upstream + start, spatial)
                                    centeredDot += contiguousCenteredDot(upstream + start, source + start, spatial, center: mean)
                                }
                                let dGamma = centeredDot * inverse
                                sumOut[c] = dBeta
                                productOut[c] = dGamma
                                let m = Float(valuesPerChannel)
                                let factor = gamma[c] * inverse / m
                                rows(of: c) { start in
                                    for i in 0..<spatial {
                                        let normalized = (source[start &+ i] - mean) * inverse
                                        destination[start &+ i] = factor * (m * upstream[start &+ i] - dBeta - normalized * dGamma)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            var gradients: [Tensor?] = [inputGradient]
            if scale != nil { gradients.append(needScale ? Tensor(sumGradientNormalized) : nil) }
            if offset != nil { gradients.append(needOffset ? Tensor(sumGradient) : nil) }
            return gradients
        }
        return (recorded, Tensor(means), Tensor(variances))
    }

    /// Layer normalisation over the last `normalizedAxisCount` axes, PyTorch `layer_norm`:
    /// `y = γ·(x − μ)/√(σ² + ε) + β` with μ, σ² (biased) per row of `D` values; γ and β have the shape
    /// of those trailing axes.
    ///
    /// Pullback, with `x̂` the normalised row and `ĝ = ∂y·γ`: `∂x = (D·ĝ − Σĝ − x̂·Σĝx̂)/(σD)`,
    /// `∂γ = Σ_rows ∂y·x̂`, `∂β = Σ_rows ∂y`.
    public static func layerNorm(_ x: Tensor, scale: Tensor?, offset: Tensor?, normalizedAxisCount: Int = 1,
                                 epsilon: Float = 1e-5) -> Tensor {
        checkPrecondition(normalizedAxisCount >= 1 && normalizedAxisCount <= x.rank,
                          "layerNorm over \(normalizedAxisCount) axes of shape \(x.shape)")
        let normalizedShape = Array(x.shape.suffix(normalizedAxisCount))
        checkPrecondition(scale.map { $0.shape == normalizedShape } ?? true && offset.map { $0.shape == normalizedShape } ?? true,
                          "layerNorm: scale \(scale?.shape ?? []) and offset \(offset?.shape ?? []) must be \(normalizedShape)")
        let width = normalizedShape.elementCount
        let rows = x.count / Swift.max(width, 1)
        let gamma = scale?.scalars ?? [Float](repeating: 1, count: width)
        let beta = offset?.scalars ?? [Float](repeating: 0, count: width)
        var means = [Float](repeating: 0, count: rows)
        var inverseDeviations = [Float](repeating: 0, count: rows)
        let output = Tensor(shape: x.shape) { output in
            let source = x.storage.pointer, destination = output.baseAddress!
            means.withUnsafeMutableBufferPointer { meanBuffer in
                inverseDeviations.withUnsafeMutableBufferPointer { inverseBuffer in
                    let (meanOut, inverseOut) = (meanBuffer.baseAddress!, inverseBuffer.baseAddress!)
                    parallelChunks(rows, costPerItem: 3 * width) { range in
                        for row in range {
                            let input = source + row &* width, out = destination + row &* width
                            let mean = contiguousSum(input, width) / Float(width)
                            let squares = contiguousSquaredDeviationSum(input, width, center: mean)
                            let inverse = 1 / (squares / Float(width) + epsilon).squareRoot()
                            for i in 0..<width { out[i] = (input[i] - mean) * inverse * gamma[i] + beta[i] }
                            meanOut[row] = mean
                            inverseOut[row] = inverse
                        }
                    }
                }
            }
        }
        let input = x.detached
        let needScale = scale?.isRecorded ?? false, needOffset = offset?.isRecorded ?? false
        return record(output, inputs: [x] + [scale, offset].compactMap { $0 }) { g in
            let upstream = g.storage.pointer, source = input.storage.pointer
            let inputGradient = Tensor(shape: input.shape) { buffer in
                let destination = buffer.baseAddress!
                parallelChunks(rows, costPerItem: 4 * width) { range in
                    for row in range {
                        let base = row &* width
                        let (mean, inverse) = (means[row], inverseDeviations[row])
                        var sum: Float = 0, dot: Float = 0
                        for i in 0..<width {
                            let scaled = upstream[base &+ i] * gamma[i]
                            sum += scaled
                            dot += scaled * (source[base &+ i] - mean) * inverse
                        }
                        let d = Float(width)
                        for i in 0..<width {
                            let normalized = (source[base &+ i] - mean) * inverse
                            destination[base &+ i] = inverse / d * (d * upstream[base &+ i] * gamma[i] - sum - normalized * dot)
                        }
                    }
                }
            }
            var dGamma = [Float](repeating: 0, count: width), dBeta = [Float](repeating: 0, count: width)
            if needScale || needOffset {
                for row in 0..<rows {
                    let base = row * width
                    let (mean, inverse) = (means[row], inverseDeviations[row])
                    for i in 0..<width {
                        let dy = upstream[base + i]
                        dBeta[i] += dy
                        dGamma[i] += dy * (source[base + i] - mean) * inverse
                    }
                }
            }
            var gradients: [Tensor?] = [inputGradient]
            if scale != nil { gradients.append(needScale ? Tensor(shape: normalizedShape, scalars: dGamma) : nil) }
            if offset != nil { gradients.append(needOffset ? Tensor(shape: normalizedShape, scalars: dBeta) : nil) }
            return gradients
        }
    }
}
