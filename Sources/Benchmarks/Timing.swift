import Foundation

/// Wall-clock timing of repeated work: warm-up runs first, then a fixed number of timed repetitions.
///
/// Several candidates that should be compared (direct `cblas_sgemm` against the engine, say) are timed
/// round-robin, one repetition of each in turn, so a burst of load from another process on this shared
/// 2-core machine hits all of them alike instead of spoiling one column of the table.

/// How many untimed and timed runs each measurement makes.
struct RepetitionPlan: Sendable {
    /// Runs before timing starts: they fault in the memory, fill the caches and start BLAS's threads.
    var warmUps: Int
    /// Timed runs; the tables report their median (the GEMM table also the fastest).
    var repetitions: Int
}

/// The times of the timed runs of one piece of work, in seconds.
struct Timings: Sendable {
    let seconds: [Double]

    /// The median run: the figure the tables lead with, robust against a few disturbed runs.
    var median: Double {
        let sorted = seconds.sorted()
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }

    /// The fastest run: the closest to what the code does on an otherwise idle machine.
    var best: Double { seconds.min() ?? .nan }

    /// The median in milliseconds.
    var medianMilliseconds: Double { median * 1e3 }

    /// GFLOP/s at the median time for work of `flops` floating-point operations.
    func gigaflopsPerSecond(_ flops: Double) -> Double { flops / median / 1e9 }
}

/// Runs each of `candidates` `plan.warmUps` times untimed, then `plan.repetitions` times timed,
/// one repetition of each candidate in turn; returns one ``Timings`` per candidate, in order.
///
/// Each closure is the whole measured work, and whatever it returns is consumed by ``Sink`` so the
/// optimizer cannot drop the call.
func measureRoundRobin(_ plan: RepetitionPlan, _ candidates: [() -> Float]) -> [Timings] {
    let clock = ContinuousClock()
    var sink = Sink()
    for _ in 0..<plan.warmUps {
        for candidate in candidates { sink.consume(candidate()) }
    }
    var samples = Array(repeating: [Double](), count: candidates.count)
    for _ in 0..<plan.repetitions {
        for (index, candidate) in candidates.enumerated() {
            var result: Float = 0
            let elapsed = clock.measure { result = candidate() }
            sink.consume(result)
            samples[index].append(elapsed.seconds)
        }
    }
    sink.publish()
    return samples.map(Timings.init)
}

/// Keeps benchmark results alive: a running sum of one value taken from each result, which is
/// written to an opaque C call at the end so the compiler must compute every result.
struct Sink {
    private var total: Float = 0

    mutating func consume(_ value: Float) { total += value }

    /// Hands the total to `getenv` with a name it will never find: an observable use the optimizer
    /// cannot remove, which prints nothing.
    func publish() {
        _ = getenv(total.isNaN ? "TENSORS_BENCHMARK_SINK_NAN" : "TENSORS_BENCHMARK_SINK")
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) * 1e-18
    }
}

/// Times the engine's candidates round-robin, then the direct OpenBLAS references round-robin, then
/// waits for OpenBLAS's worker threads to go idle. The two groups are not interleaved: after a call
/// with OpenBLAS threading its workers spin for a while (about 0.1 s), which would steal the second
/// core from the engine's own threads and spoil the engine's figures.
func measureEngineThenReference(_ plan: RepetitionPlan, engine: [() -> Float], reference: [() -> Float])
    -> (engine: [Timings], reference: [Timings]) {
    let engineTimings = measureRoundRobin(plan, engine)
    let referenceTimings = measureRoundRobin(plan, reference)
    Thread.sleep(forTimeInterval: 0.3)
    return (engineTimings, referenceTimings)
}
