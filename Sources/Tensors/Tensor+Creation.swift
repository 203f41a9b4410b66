extension Tensor {
    /// A tensor of `shape` with every element equal to `value`.
    public static func full(_ shape: [Int], value: Float) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: shape.elementCount, repeating: value))
    }

    /// A tensor of `shape` filled with zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, value: 0) }

    /// A tensor of `shape` filled with ones.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, value: 1) }

    /// `[start, start + step, …]` up to but excluding `end` (NumPy `arange`).
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        checkPrecondition(step != 0, "arange step must not be 0")
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [count]) { buffer in
            for i in buffer.indices { buffer[i] = start + Float(i) * step }
        }
    }

    /// The one-hot encoding of `labels`: shape `[labels.count, classCount]`, row `i` has a 1 at `labels[i]`.
    public static func oneHot(_ labels: [Int], classCount: Int) -> Tensor {
        var result = zeros([labels.count, classCount])
        result.withUnsafeMutableBufferPointer { buffer in
            for (row, label) in labels.enumerated() {
                checkPrecondition(label >= 0 && label < classCount, "label \(label) out of range 0..<\(classCount)")
                buffer[row * classCount + label] = 1
            }
        }
        return result
    }
}
