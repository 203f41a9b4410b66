/// Shape arithmetic shared by every operation. A shape is `[Int]`, outermost axis first.
extension Sequence where Element == Int {
    /// The number of elements a tensor of this shape holds (1 for the scalar shape `[]`).
    public var elementCount: Int { reduce(1, *) }
}

extension Array where Element == Int {
    /// Row-major strides, in elements, of a contiguous tensor of this shape.
    var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: count)
        var running = 1
        for axis in indices.reversed() {
            strides[axis] = running
            running *= self[axis]
        }
        return strides
    }
}

/// The shape two operands broadcast to, NumPy's rule: align trailing axes; each pair of extents must be
/// equal or one of them 1.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = Swift.max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
        let x = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
        let y = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
        checkPrecondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
        result[axis] = x == 1 ? y : x
    }
    return result
}

/// Strides that read a tensor of `shape` as if it had `target` shape (stride 0 on broadcast axes).
func broadcastStrides(of shape: [Int], to target: [Int]) -> [Int] {
    checkPrecondition(shape.count <= target.count, "cannot broadcast shape \(shape) to \(target)")
    let offset = target.count - shape.count
    let own = shape.contiguousStrides
    return (0..<target.count).map { axis in
        guard axis >= offset else { return 0 }
        let extent = shape[axis - offset]
        checkPrecondition(extent == target[axis] || extent == 1, "cannot broadcast shape \(shape) to \(target)")
        return extent == 1 ? 0 : own[axis - offset]
    }
}

/// Resolves a possibly negative axis (`-1` is the last) against `rank`, trapping when out of range.
func normalizedAxis(_ axis: Int, rank: Int, function: String = #function) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    checkPrecondition(resolved >= 0 && resolved < Swift.max(rank, 1),
                      "\(function): axis \(axis) out of range for rank \(rank)")
    return resolved
}

/// Merges adjacent axes that every operand walks contiguously, so kernels loop over as few and as long
/// runs as possible. `strides` holds one stride list per operand, all of `shape.count` entries.
func collapseAxes(shape: [Int], strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    var outShape: [Int] = []
    var outStrides: [[Int]] = Array(repeating: [], count: strides.count)
    for axis in shape.indices where shape[axis] != 1 {
        if let last = outShape.indices.last,
           strides.indices.allSatisfy({ strides[$0][axis] * shape[axis] == outStrides[$0][last] }) {
            outShape[last] *= shape[axis]
            for operand in strides.indices { outStrides[operand][last] = strides[operand][axis] }
        } else {
            outShape.append(shape[axis])
            for operand in strides.indices { outStrides[operand].append(strides[operand][axis]) }
        }
    }
    if outShape.isEmpty {
        return ([1], strides.map { _ in [1] })
    }
    return (outShape, outStrides)
}
