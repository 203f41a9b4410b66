import CBLAS
import Tensors

/// A 64-byte-aligned array of `Float`s outside any tensor, for the direct `cblas_sgemm` calls that set
/// the speed the engine is compared with. Freed when the last reference goes.
final class AlignedBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// `count` floats, all equal to `value`.
    init(count: Int, repeating value: Float = 0) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: value, count: count)
    }

    /// A copy of the elements of `tensor`.
    convenience init(copying tensor: Tensor) {
        self.init(count: tensor.count)
        tensor.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: $0.count) }
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}

/// Runs `body` with OpenBLAS using the engine's thread count. The engine keeps OpenBLAS single-threaded
/// and splits products over its own threads; the direct `cblas_sgemm` references it is compared with
/// use OpenBLAS's own threading, as any other program calling it would.
func withOpenBLASThreads<R>(_ body: () -> R) -> R {
    openblas_set_num_threads(Int32(ComputeThreads.count))
    defer { openblas_set_num_threads(1) }
    return body()
}
