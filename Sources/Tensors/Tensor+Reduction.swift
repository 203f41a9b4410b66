import Checks
import Foundation

// Reductions along axes. Results keep reduced axes with extent 1 when `keepingDimensions` is true
// (PyTorch `keepdim=True`) and drop them otherwise.

extension Tensor {
    /// The shape after reducing `axes`, either kept with extent 1 or removed.
    private func reducedShape(_ axes: Set<Int>, keepingDimensions: Bool) -> [Int] {
        keepingDimensions ? shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
                          : shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
    }

    /// Σ over `axes`;  the pullback broadcasts the gradient back over the reduced axes.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let resolved = Set(axes.map { normalizedAxis($0, rank: rank) })
        var output = self.detached
        for axis in resolved.sorted(by: >) where shape[axis] != 1 {
            output = sumKernel(output, axis: axis)
        }
        let kept = reducedShape(resolved, keepingDimensions: true)
        output = Tensor(shape: reducedShape(resolved, keepingDimensions: keepingDimensions), storage: output.storage)
        let original = shape
        return Tensor.record(output, inputs: [self]) { g in [g.reshaped(to: kept).broadcast(to: original)] }
    }

    /// Σ of all elements, as a rank-0 tensor.
    public func sum() -> Tensor {
        reshaped(to: [count]).sum(alongAxes: [0])
    }

    /// The mean over `axes`.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let resolved = Set(axes.map { normalizedAxis($0, rank: rank) })
        let reducedCount = resolved.map { shape[$0] }.elementCount
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Float(reducedCount)
    }

    /// The mean of all elements, as a rank-0 tensor.
    public func mean() -> Tensor { sum() / Float(Swift.max(count, 1)) }

    /// `Σ(x − x̄)² / (n − correction)` over `axes`: `correction: 0` is the population variance (batch
    /// norm's), `1` the unbiased sample variance (PyTorch `var`'s default).
    public func variance(alongAxes axes: [Int], correction: Int = 1, keepingDimensions: Bool = false) -> Tensor {
        let resolved = Set(axes.map { normalizedAxis($0, rank: rank) })
        let n = resolved.map { shape[$0] }.elementCount
        checkPrecondition(n > correction, "variance of \(n) elements with correction \(correction)")
        let centered = self - mean(alongAxes: axes, keepingDimensions: true)
        return centered.squared().sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Float(n - correction)
    }

    /// The largest element along `axis` and its index (the first one on ties), like PyTorch `max(dim)`.
    /// The gradient flows to the selected element only.
    public func max(alongAxis axis: Int, keepingDimensions: Bool = false) -> (values: Tensor, indices: [Int]) {
        let axis = normalizedAxis(axis, rank: rank)
        checkPrecondition(shape[axis] > 0, "max along empty axis \(axis) of shape \(shape)")
        let layout = AxisLayout(shape: shape, axis: axis)
        var indices = [Int](repeating: 0, count: layout.laneCount)
        let values = Tensor(shape: reducedShape([axis], keepingDimensions: keepingDimensions)) { output in
            let x = storage.pointer, destination = output.baseAddress!
            indices.withUnsafeMutableBufferPointer { indexBuffer in
                let best = indexBuffer.baseAddress!
                forEachLane(layout) { lane, start, stride in
                    var bestIndex = 0, bestValue = x[start]
                    for j in 1..<layout.extent where !bestValue.isNaN {
                        let value = x[start &+ j &* stride]
                        if value > bestValue || value.isNaN { (bestValue, bestIndex) = (value, j) }
                    }
                    destination[lane] = bestValue
                    best[lane] = bestIndex
                }
            }
        }
        let original = shape
        let chosen = indices
        let recorded = Tensor.record(values, inputs: [self]) { g in
            var gradient = Tensor.zeros(original)
            gradient.withUnsafeMutableBufferPointer { buffer in
                for (lane, index) in chosen.enumerated() {
                    buffer[layout.start(ofLane: lane) + index * layout.inner] = g.storage.pointer[lane]
                }
            }
            return [gradient]
        }
        return (recorded, indices)
    }

    /// The index of the largest element along `axis` for every lane (PyTorch `argmax`).
    public func argmax(alongAxis axis: Int) -> [Int] {
        withoutGradients { max(alongAxis: axis).indices }
    }

    /// `log Σ exp(x)` along `axis`, computed as `m + log Σ exp(x − m)` with `m` the lane maximum, so
    /// large logits do not overflow;  ∂/∂x = softmax(x).
    public func logSumExp(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        let axis = normalizedAxis(axis, rank: rank)
        let layout = AxisLayout(shape: shape, axis: axis)
        let output = Tensor(shape: reducedShape([axis], keepingDimensions: keepingDimensions)) { output in
            let x = storage.pointer, destination = output.baseAddress!
            forEachLane(layout, costPerElement: 8) { lane, start, stride in
                let (maximum, total) = laneMaximumAndExpSum(x + start, stride, layout.extent)
                destination[lane] = maximum + Foundation.log(total)
            }
        }
        let input = detached
        var kept = shape
        kept[axis] = 1
        return Tensor.record(output, inputs: [self]) { g in [g.reshaped(to: kept) * input.softmax(alongAxis: axis)] }
    }

    /// `exp(xᵢ − m) / Σⱼ exp(xⱼ − m)` along `axis` (numerically stable);
    /// pullback `y ⊙ (g − Σ g⊙y)`.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        let axis = normalizedAxis(axis, rank: rank)
        let y = softmaxKernel(alongAxis: axis, logarithmic: false)
        return Tensor.record(y, inputs: [self]) { g in
            [y * (g - (g * y).sum(alongAxes: [axis], keepingDimensions: true))]
        }
    }

    /// `xᵢ − m − log Σⱼ exp(xⱼ − m)` along `axis` (numerically stable);
    /// pullback `g − softmax(x)·Σg`.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        let axis = normalizedAxis(axis, rank: rank)
        let y = softmaxKernel(alongAxis: axis, logarithmic: true)
        return Tensor.record(y, inputs: [self]) { g in
            [g - y.exp() * g.sum(alongAxes: [axis], keepingDimensions: true)]
        }
    }

    /// Softmax or log-softmax of every lane along `axis`, shifted by the lane maximum `m`.
    private func softmaxKernel(alongAxis axis: Int, logarithmic: Bool) -> Tensor {
        let layout = AxisLayout(shape: shape, axis: axis)
        let count = layout.extent
        return Tensor(shape: shape) { output in
            let x = storage.pointer, y = output.baseAddress!
            forEachLane(layout, costPerElement: 8) { _, start, stride in
                if stride == 1 {
                    // Contiguous lane: exp(x − m) into the output (a loop LLVM vectorises), then its sum.
                    let (source, destination) = (x + start, y + start)
                    let maximum = contiguousMaximum(source, count)
                    for j in 0..<count { destination[j] = VectorMath.exp(source[j] - maximum) }
                    let total = contiguousSum(destination, count)
                    if logarithmic {
                        let shift = maximum + Foundation.log(total)
                        for j in 0..<count { destination[j] = source[j] - shift }
                    } else {
                        let scale = 1 / total
                        for j in 0..<count { destination[j] *= scale }
                    }
                    return
                }
                let (maximum, total) = laneMaximumAndExpSum(x + start, stride, count)
                let (shift, scale) = (maximum + Foundation.log(total), 1 / total)
                for j in 0..<count {
                    let k = start &+ j &* stride
                    y[k] = logarithmic ? x[k] - shift : VectorMath.exp(x[k] - maximum) * scale
                }
            }
        }
    }
}

/// The maximum of a lane (`count` elements `stride` apart) and `Σ exp(x − maximum)` over it; an all −∞
/// lane gets maximum 0, avoiding ∞ − ∞.
@inline(__always)
private func laneMaximumAndExpSum(_ x: UnsafePointer<Float>, _ stride: Int, _ count: Int) -> (Float, Float) {
    var maximum = -Float.infinity
    for j in 0..<count { maximum = Swift.max(maximum, x[j &* stride]) }
    if maximum == -.infinity { maximum = 0 }
    var total: Float = 0
    for j in 0..<count { total += VectorMath.exp(x[j &* stride] - maximum) }
    return (maximum, total)
}
