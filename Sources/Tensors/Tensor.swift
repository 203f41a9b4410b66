/// An n-dimensional array of `Float32` in row-major order, the value every part of QPAudioEraser computes on.
///
/// Image-like tensors use the NCHW layout (`[batch, channels, height, width]`). A tensor is a value:
/// operations return new tensors and never change their inputs, so tensors can be shared freely between
/// threads. Inside `valueWithGradient(at:of:)` a tensor also carries the node that records how it
/// was computed; everywhere else it carries none, and operations build no graph.
///
/// ```swift
/// let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// let y = (x * 2 + 1).sum(alongAxes: [1])   // [2]: [15, 33]
/// ```
public struct Tensor: Sendable {
    /// The extent of each axis; `[]` for a scalar.
    public let shape: [Int]
    private(set) var storage: TensorStorage
    /// The autodiff node that produced this tensor, or `nil` when no gradient flows through it.
    private(set) var node: GradientNode?

    init(shape: [Int], storage: TensorStorage, node: GradientNode? = nil) {
        checkPrecondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        checkPrecondition(shape.elementCount == storage.count,
                          "shape \(shape) holds \(shape.elementCount) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// A tensor of the given shape whose elements are `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        checkPrecondition(shape.elementCount == scalars.count,
                          "shape \(shape) needs \(shape.elementCount) scalars, got \(scalars.count)")
        let storage = scalars.withUnsafeBufferPointer {
            TensorStorage(copying: $0.baseAddress ?? UnsafePointer(bitPattern: 64)!, count: $0.count)
        }
        self.init(shape: shape, storage: storage)
    }

    /// A rank-0 tensor holding `value`.
    public init(_ value: Float) {
        self.init(shape: [], storage: TensorStorage(count: 1, repeating: value))
    }

    /// A rank-1 tensor holding `scalars`.
    public init(_ scalars: [Float]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A tensor of `shape` filled by `body`, which receives the uninitialised destination buffer.
    init(shape: [Int], filling body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let storage = TensorStorage(uninitializedCount: shape.elementCount)
        body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
        self.init(shape: shape, storage: storage)
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The number of elements.
    public var count: Int { storage.count }

    /// All elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a one-element tensor.
    public var item: Float {
        checkPrecondition(count == 1, "item needs a tensor with one element, shape is \(shape)")
        return storage.pointer[0]
    }

    /// The element at a full multi-index, e.g. `x[1, 2]` for a rank-2 tensor.
    public subscript(_ indices: Int...) -> Float {
        checkPrecondition(indices.count == rank, "\(indices.count) indices for a tensor of shape \(shape)")
        var offset = 0
        for (axis, index) in indices.enumerated() {
            checkPrecondition(index >= 0 && index < shape[axis], "index \(indices) out of range for shape \(shape)")
            offset = offset * shape[axis] + index
        }
        return storage.pointer[offset]
    }

    /// Calls `body` with the elements; the pointer must not escape.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Calls `body` with writable elements, copying them first when another tensor shares them.
    /// Meant for optimizers and loaders that update a tensor they own; the result has no gradient node.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        node = nil
        if !isKnownUniquelyReferenced(&storage) {
            storage = TensorStorage(copying: storage.pointer, count: count)
        }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// The same values with no autodiff history: gradients do not flow through the result.
    public var detached: Tensor {
        node == nil ? self : Tensor(shape: shape, storage: storage)
    }

    /// Whether this tensor is being recorded for differentiation.
    public var isRecorded: Bool { node != nil }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
