/// A contiguous, 64-byte-aligned buffer of `Float`s that one or more tensors share.
///
/// Tensors are values: every operation writes a new storage, so a storage is never mutated after the
/// operation that made it returns. The only writers are the kernels filling a fresh buffer and
/// ``Tensor/withUnsafeMutableBufferPointer(_:)``, which copies first unless the storage is unique.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// Allocates `count` uninitialised floats.
    init(uninitializedCount count: Int) {
        checkPrecondition(count >= 0, "negative element count \(count)")
        self.count = count
        let raw = BufferPool.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Allocates `count` floats, all equal to `value`.
    convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    /// A copy of `count` floats starting at `source`.
    convenience init(copying source: UnsafePointer<Float>, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(from: source, count: count)
    }

    deinit {
        BufferPool.release(UnsafeMutableRawPointer(pointer), byteCount: max(count, 1) * MemoryLayout<Float>.stride)
    }
}
