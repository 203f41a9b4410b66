// Selection by index and by mask.

extension Tensor {
    /// Picks `k` elements of every lane along `axis` (PyTorch `gather(dim, index)`): `indices` holds
    /// `k` indices per lane in the layout of the output, whose shape is this shape with `axis` set to `k`.
    /// With `k = 1` and one class label per row, this reads the log-probability of each target.
    ///
    /// Pullback: the gradient is added back at the picked positions (repeated picks accumulate).
    public func gather(alongAxis axis: Int, indices: [Int]) -> Tensor {
        let axis = normalizedAxis(axis, rank: rank)
        let layout = AxisLayout(shape: shape, axis: axis)
        checkPrecondition(layout.laneCount > 0 && indices.count % layout.laneCount == 0,
                          "gather: \(indices.count) indices do not fill the \(layout.laneCount) lanes of shape \(shape) along axis \(axis)")
        let picks = indices.count / layout.laneCount
        var outputShape = shape
        outputShape[axis] = picks
        let outputLayout = AxisLayout(shape: outputShape, axis: axis)
        for index in indices {
            checkPrecondition(index >= 0 && index < layout.extent, "gather: index \(index) out of range 0..<\(layout.extent) along axis \(axis) of \(shape)")
        }
        /// Calls `body(sourceOffset, outputOffset)` for every picked element.
        func forEachPick(_ body: (Int, Int) -> Void) {
            for lane in 0..<layout.laneCount {
                let source = layout.start(ofLane: lane), target = outputLayout.start(ofLane: lane)
                for j in 0..<picks {
                    let position = target + j * layout.inner
                    body(source + indices[position] * layout.inner, position)
                }
            }
        }
        let output = Tensor(shape: outputShape) { buffer in
            forEachPick { from, to in buffer[to] = storage.pointer[from] }
        }
        let inputShape = shape
        return Tensor.record(output, inputs: [self]) { g in
            var gradient = Tensor.zeros(inputShape)
            gradient.withUnsafeMutableBufferPointer { buffer in
                forEachPick { to, from in buffer[to] += g.storage.pointer[from] }
            }
            return [gradient]
        }
    }

    /// The slices `indices` along `axis`, in that order (PyTorch `index_select`); indices may repeat.
    /// Pullback: each slice's gradient is added back to the slice it came from.
    public func indexSelect(alongAxis axis: Int, indices: [Int]) -> Tensor {
        let axis = normalizedAxis(axis, rank: rank)
        let layout = AxisLayout(shape: shape, axis: axis)
        for index in indices {
            checkPrecondition(index >= 0 && index < layout.extent, "indexSelect: index \(index) out of range 0..<\(layout.extent) along axis \(axis) of \(shape)")
        }
        var outputShape = shape
        outputShape[axis] = indices.count
        let slab = layout.inner
        let output = Tensor(shape: outputShape) { buffer in
            for outer in 0..<layout.outer {
                for (j, index) in indices.enumerated() {
                    (buffer.baseAddress! + (outer * indices.count + j) * slab)
                        .initialize(from: storage.pointer + (outer * layout.extent + index) * slab, count: slab)
                }
            }
        }
        let inputShape = shape
        return Tensor.record(output, inputs: [self]) { g in
            var gradient = Tensor.zeros(inputShape)
            gradient.withUnsafeMutableBufferPointer { buffer in
                for outer in 0..<layout.outer {
                    for (j, index) in indices.enumerated() {
                        let to = buffer.baseAddress! + (outer * layout.extent + index) * slab
                        let from = g.storage.pointer + (outer * indices.count + j) * slab
                        for i in 0..<slab { to[i] += from[i] }
                    }
                }
            }
            return [gradient]
        }
    }

    /// Element-wise choice: `a` where `condition` is non-zero, `b` elsewhere, all three broadcast
    /// together (PyTorch `where`). The gradient flows to the chosen operand only.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = broadcastShape(condition.shape, broadcastShape(a.shape, b.shape))
        let mask = withoutGradients { condition.broadcast(to: shape) }
        let (left, right) = withoutGradients { (a.broadcast(to: shape), b.broadcast(to: shape)) }
        let output = Tensor(shape: shape) { buffer in
            let (m, x, y) = (mask.storage.pointer, left.storage.pointer, right.storage.pointer)
            for i in buffer.indices { buffer[i] = m[i] != 0 ? x[i] : y[i] }
        }
        let (shapeA, shapeB, needA, needB) = (a.shape, b.shape, a.isRecorded, b.isRecorded)
        return record(output, inputs: [a, b]) { g in
            let zeros = Tensor.zeros(shape)
            return [needA ? Tensor.where(mask, g, zeros).unbroadcast(to: shapeA) : nil,
                    needB ? Tensor.where(mask, zeros, g).unbroadcast(to: shapeB) : nil]
        }
    }

    /// Inverted dropout (PyTorch `dropout(training=True)`): zeroes each element with probability `p`
    /// and scales the survivors by `1/(1 − p)`, so the expectation is unchanged. The mask is drawn from
    /// `generator`; the gradient flows through the survivors with the same scale.
    public func dropout(probability p: Float, using generator: inout some RandomNumberGenerator) -> Tensor {
        checkPrecondition(p >= 0 && p < 1, "dropout probability \(p) must be in [0, 1)")
        if p == 0 { return self }
        let keep = 1 / (1 - p)
        let mask = Tensor(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = generator.nextUnitFloat() < p ? 0 : keep }
        }
        return self * mask
    }
}

private struct Greater: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 } }
private struct Less: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 } }
private struct Equal: BinaryKernel { func callAsFunction(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }

extension Tensor {
    /// A mask (1 where true, 0 elsewhere, broadcast shape) of `self > other`; not differentiable.
    public func isGreater(than other: Tensor) -> Tensor { map(self, other, Greater()) }
    /// A mask of `self < other`; not differentiable.
    public func isLess(than other: Tensor) -> Tensor { map(self, other, Less()) }
    /// A mask of `self == other`; not differentiable.
    public func isEqual(to other: Tensor) -> Tensor { map(self, other, Equal()) }
}
