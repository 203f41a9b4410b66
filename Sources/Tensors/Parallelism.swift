import Checks
import CBLAS
import Dispatch
import Foundation
import Synchronization

/// How many threads the engine's kernels use, matrix products included (OpenBLAS itself runs
/// single-threaded: `gemm` splits products over the engine's threads, see `Kernels/GEMM.swift`).
///
/// Defaults to the `QPAE_THREADS` environment variable, or else the number of active cores. On a busy
/// 2-core machine one thread is faster than two (the other core is taken), so tests and background jobs
/// set `QPAE_THREADS=1`; a benchmark on an idle machine uses both cores.
public enum ComputeThreads {
    private static let current = Atomic<Int>(initialCount)

    private static let initialCount: Int = {
        let requested = ProcessInfo.processInfo.environment["QPAE_THREADS"].flatMap { Int($0) }
        openblas_set_num_threads(1)
        return max(1, requested ?? ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// The thread count in force.
    public static var count: Int { current.load(ordering: .relaxed) }

    /// Sets the thread count for the engine's loops and products.
    public static func set(_ count: Int) {
        checkPrecondition(count >= 1, "thread count must be at least 1, got \(count)")
        _ = initialCount
        current.store(count, ordering: .relaxed)
    }
}

extension ComputeThreads {
    /// Splits `0..<count` into one contiguous chunk per thread and runs `body` on each, in parallel when
    /// `count × costPerItem` is large enough to pay for it: for loops outside the engine over unsafe
    /// buffers (optimizer updates). Chunks are disjoint; `body` must not write outside its chunk.
    public static func forEachChunk(of count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        parallelChunks(count, costPerItem: costPerItem, body)
    }
}

/// Below this many elements a loop runs on the calling thread: waking a second thread costs more.
let parallelThreshold = 1 << 16

/// Splits `0..<count` into one contiguous chunk per thread and runs `body` on each chunk, in parallel
/// when `count × costPerItem` is large enough to pay for it.
func parallelChunks(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = min(ComputeThreads.count, count)
    guard threads > 1, count * costPerItem >= parallelThreshold else {
        if count > 0 { body(0..<count) }
        return
    }
    let chunk = (count + threads - 1) / threads
    withoutActuallyEscaping(body) { body in
        // The chunks are disjoint and `concurrentPerform` returns only when all are done, so handing the
        // non-Sendable body to the worker threads is safe.
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let start = thread * chunk
            let end = min(start + chunk, count)
            if start < end { shared.value(start..<end) }
        }
    }
}

/// Carries a value across a concurrency boundary the compiler cannot check; each use says why it is safe.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
