import Foundation
import Synchronization

/// Keeps freed tensor buffers of 64 KiB and more for reuse.
///
/// A training step allocates and frees the same large activation and gradient buffers over and over.
/// Handed back to the system (glibc unmaps large blocks), every new buffer costs a page fault per 4 KiB
/// and the kernel's zeroing of each page — measured here at about a third of a CNN training step. The
/// pool keeps up to `capacity` bytes of freed buffers, in size classes at most 12.5% apart, and hands
/// them out again. `QPAE_BUFFER_POOL_MIB` sets the capacity (0 turns the pool off).
enum BufferPool {
    static let minimumPooledBytes = 1 << 16

    private struct FreeLists: @unchecked Sendable {   // raw pointers, only touched under the mutex
        var buffers: [Int: [UnsafeMutableRawPointer]] = [:]
        var cachedBytes = 0
    }

    private static let capacity: Int = {
        let mebibytes = ProcessInfo.processInfo.environment["QPAE_BUFFER_POOL_MIB"].flatMap { Int($0) } ?? 2048
        return max(0, mebibytes) << 20
    }()

    private static let freeLists = Mutex(FreeLists())

    /// The pooled size for a request of `byteCount` bytes: rounded up to one of 8 classes per power of two.
    static func sizeClass(_ byteCount: Int) -> Int {
        guard byteCount >= minimumPooledBytes else { return byteCount }
        let step = 1 << (Int.bitWidth - byteCount.leadingZeroBitCount - 4)   // 2^(⌊log₂ n⌋ − 3)
        return (byteCount + step - 1) / step * step
    }

    /// A 64-byte-aligned buffer of at least `byteCount` bytes; release it with the same `byteCount`.
    static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = sizeClass(byteCount)
        if size >= minimumPooledBytes,
           let reused = freeLists.withLock({ lists -> UnsafeMutableRawPointer? in
               guard let pointer = lists.buffers[size]?.popLast() else { return nil }
               lists.cachedBytes -= size
               return pointer
           }) {
            return reused
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    /// Returns a buffer from `allocate(byteCount:)`: kept for reuse while the pool has room, else freed.
    static func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = sizeClass(byteCount)
        let kept = size >= minimumPooledBytes && freeLists.withLock { lists in
            guard lists.cachedBytes + size <= capacity else { return false }
            lists.buffers[size, default: []].append(pointer)
            lists.cachedBytes += size
            return true
        }
        if !kept { pointer.deallocate() }
    }
}

extension BufferPool {
    /// Runs `body` with a scratch buffer of `count` floats from the pool (uninitialised).
    static func withScratch<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let byteCount = max(count, 1) * MemoryLayout<Float>.stride
        let raw = allocate(byteCount: byteCount)
        defer { release(raw, byteCount: byteCount) }
        return try body(raw.bindMemory(to: Float.self, capacity: max(count, 1)))
    }
}
