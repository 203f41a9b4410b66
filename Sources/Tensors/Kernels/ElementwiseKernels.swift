/// A function of one `Float` applied to every element. Kernels are structs so that the generic loops
/// below are specialised and inlined per kernel: no closure call per element.
protocol UnaryKernel {
    func callAsFunction(_ x: Float) -> Float
}

/// A function of two `Float`s applied element by element, with NumPy broadcasting.
protocol BinaryKernel {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

/// Applies `kernel` to every element of `x`.
func map<K: UnaryKernel>(_ x: Tensor, _ kernel: K) -> Tensor {
    Tensor(shape: x.shape) { output in
        let source = x.storage.pointer
        let destination = output.baseAddress!
        parallelChunks(x.count, costPerItem: 4) { range in
            for i in range { destination[i] = kernel(source[i]) }
        }
    }
}

/// Applies `kernel` to the elements of `a` and `b` broadcast to their common shape.
func map<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _ kernel: K) -> Tensor {
    if a.shape == b.shape {
        return Tensor(shape: a.shape) { output in
            let x = a.storage.pointer, y = b.storage.pointer, destination = output.baseAddress!
            parallelChunks(a.count, costPerItem: 2) { range in
                for i in range { destination[i] = kernel(x[i], y[i]) }
            }
        }
    }
    let shape = broadcastShape(a.shape, b.shape)
    let (runs, strides) = collapseAxes(
        shape: shape,
        strides: [broadcastStrides(of: a.shape, to: shape), broadcastStrides(of: b.shape, to: shape)])
    let length = runs[runs.count - 1]
    let strideA = strides[0][runs.count - 1], strideB = strides[1][runs.count - 1]
    let rowCount = runs.elementCount / length
    return Tensor(shape: shape) { output in
        let x = a.storage.pointer, y = b.storage.pointer, destination = output.baseAddress!
        parallelChunks(rowCount, costPerItem: length * 2) { rows in
            for row in rows {
                var offsetA = 0, offsetB = 0, remainder = row
                for axis in stride(from: runs.count - 2, through: 0, by: -1) {
                    let index = remainder % runs[axis]
                    remainder /= runs[axis]
                    offsetA &+= index &* strides[0][axis]
                    offsetB &+= index &* strides[1][axis]
                }
                applyRow(kernel, x + offsetA, strideA, y + offsetB, strideB, destination + row &* length, length)
            }
        }
    }
}

@inline(__always)
private func applyRow<K: BinaryKernel>(_ kernel: K, _ a: UnsafePointer<Float>, _ strideA: Int,
                                       _ b: UnsafePointer<Float>, _ strideB: Int,
                                       _ output: UnsafeMutablePointer<Float>, _ length: Int) {
    switch (strideA, strideB) {
    case (1, 1):
        for i in 0..<length { output[i] = kernel(a[i], b[i]) }
    case (1, 0):
        let value = b[0]
        for i in 0..<length { output[i] = kernel(a[i], value) }
    case (0, 1):
        let value = a[0]
        for i in 0..<length { output[i] = kernel(value, b[i]) }
    default:
        for i in 0..<length { output[i] = kernel(a[i &* strideA], b[i &* strideB]) }
    }
}

/// Copies the elements of a strided view into a strided destination: the one kernel behind permute,
/// broadcast, slice, pad and concatenate. Both stride lists have `shape.count` entries, in elements.
func copyStrided(shape: [Int], from source: UnsafePointer<Float>, strides sourceStrides: [Int],
                 to destination: UnsafeMutablePointer<Float>, strides destinationStrides: [Int]) {
    guard shape.elementCount > 0 else { return }
    let (runs, strides) = collapseAxes(shape: shape, strides: [sourceStrides, destinationStrides])
    let last = runs.count - 1
    let length = runs[last], inner = (strides[0][last], strides[1][last])
    let rowCount = runs.elementCount / length
    parallelChunks(rowCount, costPerItem: length) { rows in
        for row in rows {
            var from = 0, to = 0, remainder = row
            for axis in stride(from: last - 1, through: 0, by: -1) {
                let index = remainder % runs[axis]
                remainder /= runs[axis]
                from &+= index &* strides[0][axis]
                to &+= index &* strides[1][axis]
            }
            let s = source + from, d = destination + to
            if inner == (1, 1) {
                d.update(from: s, count: length)
            } else {
                for i in 0..<length { d[i &* inner.1] = s[i &* inner.0] }
            }
        }
    }
}
