import Checks
import CBLAS
import CDNNL
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
    runConcurrently(threads) { thread in
        let start = thread * chunk
        let end = min(start + chunk, count)
        if start < end { body(start..<end) }
    }
}

/// Runs `body(0)`, …, `body(iterations − 1)`, each once, on up to `ComputeThreads.count` threads, and
/// returns when all are done.
///
/// The threads are OpenMP's (libgomp's `GOMP_parallel`, what `#pragma omp parallel` compiles to), the
/// same that run oneDNN's convolutions and products: after a parallel region libgomp's threads spin a
/// while for the next one, and with a second pool (Dispatch's) beside them that spinning took 13–20%
/// of a 2-core machine away from the engine's own loops (measured in `perf`). Nested inside another
/// region, `body` runs on the calling thread.
func runConcurrently(_ iterations: Int, _ body: (Int) -> Void) {
    let threads = min(iterations, ComputeThreads.count)
    guard threads > 1 else {
        for index in 0 ..< iterations { body(index) }
        return
    }
    withoutActuallyEscaping(body) { body in
        // `GOMP_parallel` returns only when every thread has finished, so the non-escaping body and
        // the context on this stack outlive every use.
        var context = ParallelRegion(body: body, iterations: iterations)
        withUnsafeMutablePointer(to: &context) { pointer in
            GOMP_parallel({ raw in
                let region = raw!.assumingMemoryBound(to: ParallelRegion.self)
                let (thread, threads) = (Int(omp_get_thread_num()), Int(omp_get_num_threads()))
                for index in stride(from: thread, to: region.pointee.iterations, by: threads) { region.pointee.body(index) }
            }, pointer, UInt32(threads), 0)
        }
    }
}

/// What each thread of a ``runConcurrently(_:_:)`` region reads.
private struct ParallelRegion {
    let body: (Int) -> Void
    let iterations: Int
}
