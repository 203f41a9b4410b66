// Shape operations. `reshaped` shares storage; the others copy through `copyStrided`, the one strided
// kernel, so every tensor stays contiguous and every kernel can assume it.

extension Tensor {
    /// The same elements viewed with a new shape of equal element count. One extent may be `-1`.
    public func reshaped(to newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let unknown = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != unknown }.map(\.element).elementCount
            checkPrecondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[unknown] = count / known
        }
        checkPrecondition(resolved.elementCount == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        let original = shape
        return Tensor.record(Tensor(shape: resolved, storage: storage), inputs: [self]) { g in
            [g.reshaped(to: original)]
        }
    }

    /// Inserts an axis of extent 1 at `axis` (PyTorch `unsqueeze`).
    public func expandingShape(at axis: Int) -> Tensor {
        let position = normalizedAxis(axis, rank: rank + 1)
        var newShape = shape
        newShape.insert(1, at: position)
        return reshaped(to: newShape)
    }

    /// Removes the axes of extent 1 among `axes`, or all of them when `axes` is empty (PyTorch `squeeze`).
    public func squeezingShape(at axes: [Int] = []) -> Tensor {
        let targets = Set(axes.map { normalizedAxis($0, rank: rank) })
        for axis in targets { checkPrecondition(shape[axis] == 1, "cannot squeeze axis \(axis) of shape \(shape)") }
        let kept = shape.indices.filter { targets.isEmpty ? shape[$0] != 1 : !targets.contains($0) }
        return reshaped(to: kept.map { shape[$0] })
    }

    /// Reorders the axes: output axis `i` is input axis `permutation[i]` (PyTorch `permute`).
    public func permuted(_ permutation: [Int]) -> Tensor {
        checkPrecondition(permutation.sorted() == Array(0..<rank),
                          "permutation \(permutation) is not a reordering of the axes of shape \(shape)")
        let newShape = permutation.map { shape[$0] }
        let strides = shape.contiguousStrides
        let output = Tensor(shape: newShape) { buffer in
            copyStrided(shape: newShape, from: storage.pointer, strides: permutation.map { strides[$0] },
                        to: buffer.baseAddress!, strides: newShape.contiguousStrides)
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (position, axis) in permutation.enumerated() { inverse[axis] = position }
        return Tensor.record(output, inputs: [self]) { g in [g.permuted(inverse)] }
    }

    /// Swaps two axes (the last two by default: the matrix transpose).
    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
        var permutation = Array(0..<rank)
        permutation.swapAt(normalizedAxis(first, rank: rank), normalizedAxis(second, rank: rank))
        return permuted(permutation)
    }

    /// Materialises this tensor broadcast to `target` (NumPy `broadcast_to`, PyTorch `expand` + copy).
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        let output = Tensor(shape: target) { buffer in
            copyStrided(shape: target, from: storage.pointer, strides: broadcastStrides(of: shape, to: target),
                        to: buffer.baseAddress!, strides: target.contiguousStrides)
        }
        let original = shape
        return Tensor.record(output, inputs: [self]) { g in [g.unbroadcast(to: original)] }
    }

    /// Elements `range` (taking every `step`-th) along `axis`; the other axes are kept whole.
    public func slice(alongAxis axis: Int, _ range: Range<Int>, step: Int = 1) -> Tensor {
        let axis = normalizedAxis(axis, rank: rank)
        checkPrecondition(range.lowerBound >= 0 && range.upperBound <= shape[axis] && step >= 1,
                          "slice \(range) step \(step) out of bounds for axis \(axis) of shape \(shape)")
        var newShape = shape
        newShape[axis] = (range.count + step - 1) / step
        var strides = shape.contiguousStrides
        let offset = range.lowerBound * strides[axis]
        strides[axis] *= step
        let output = Tensor(shape: newShape) { buffer in
            copyStrided(shape: newShape, from: storage.pointer + offset, strides: strides,
                        to: buffer.baseAddress!, strides: newShape.contiguousStrides)
        }
        let original = shape
        return Tensor.record(output, inputs: [self]) { g in
            var gradient = Tensor.zeros(original)
            gradient.withUnsafeMutableBufferPointer { buffer in
                copyStrided(shape: newShape, from: g.storage.pointer, strides: newShape.contiguousStrides,
                            to: buffer.baseAddress! + offset, strides: strides)
            }
            return [gradient]
        }
    }

    /// Pads with `value`: `widths[i]` gives the elements added before and after axis `i`
    /// (one pair per axis, outermost first). Negative widths are not supported.
    public func padded(_ widths: [(before: Int, after: Int)], value: Float = 0) -> Tensor {
        checkPrecondition(widths.count == rank, "padding needs one (before, after) pair per axis of \(shape)")
        checkPrecondition(widths.allSatisfy { $0.before >= 0 && $0.after >= 0 }, "negative padding")
        let newShape = zip(shape, widths).map { $0 + $1.before + $1.after }
        let outerStrides = newShape.contiguousStrides
        let offset = zip(widths, outerStrides).map { $0.before * $1 }.reduce(0, +)
        var output = Tensor.full(newShape, value: value)
        output.withUnsafeMutableBufferPointer { buffer in
            copyStrided(shape: shape, from: storage.pointer, strides: shape.contiguousStrides,
                        to: buffer.baseAddress! + offset, strides: outerStrides)
        }
        let original = shape
        return Tensor.record(output, inputs: [self]) { g in
            [Tensor(shape: original) { buffer in
                copyStrided(shape: original, from: g.storage.pointer + offset, strides: outerStrides,
                            to: buffer.baseAddress!, strides: original.contiguousStrides)
            }]
        }
    }

    /// Joins tensors along an existing axis; all other extents must agree.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        checkPrecondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0].shape
        let axis = normalizedAxis(axis, rank: first.count)
        for tensor in tensors {
            checkPrecondition(tensor.rank == first.count && tensor.shape.indices.allSatisfy { $0 == axis || tensor.shape[$0] == first[$0] },
                              "cannot concatenate shapes \(tensors.map(\.shape)) along axis \(axis)")
        }
        var newShape = first
        newShape[axis] = tensors.map { $0.shape[axis] }.reduce(0, +)
        let outputStrides = newShape.contiguousStrides
        let starts = tensors.map { $0.shape[axis] }.reduce(into: [0]) { $0.append($0.last! + $1) }
        let output = Tensor(shape: newShape) { buffer in
            for (tensor, start) in zip(tensors, starts) {
                copyStrided(shape: tensor.shape, from: tensor.storage.pointer, strides: tensor.shape.contiguousStrides,
                            to: buffer.baseAddress! + start * outputStrides[axis], strides: outputStrides)
            }
        }
        let needed = tensors.map(\.isRecorded)
        return record(output, inputs: tensors) { g in
            zip(starts, needed).enumerated().map { index, pair in
                pair.1 ? g.slice(alongAxis: axis, pair.0..<starts[index + 1]) : nil
            }
        }
    }

    /// Joins tensors of one shape along a new axis.
    public static func stack(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        concatenate(tensors.map { $0.expandingShape(at: axis) }, alongAxis: axis)
    }
}
