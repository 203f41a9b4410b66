import Foundation
import Synchronization

/// The service's counters and histograms, in Prometheus' text format (`/metrics`): HTTP latency per
/// route, job durations, job outcomes and audit verdicts. The queue's length is read from the database
/// at each scrape, so it is right after a restart too.
public final class ServiceMetrics: Sendable {
    /// Upper bounds of the histograms' buckets, in seconds.
    static let httpBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
    static let jobBuckets: [Double] = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600]

    struct Histogram {
        var bucketCounts: [Int]
        var count = 0
        var sum = 0.0

        init(buckets: Int) { bucketCounts = Array(repeating: 0, count: buckets) }

        mutating func observe(_ value: Double, bounds: [Double]) {
            for (index, bound) in bounds.enumerated() where value <= bound { bucketCounts[index] += 1 }
            count += 1
            sum += value
        }
    }

    private struct State {
        var http: [String: Histogram] = [:]          // "METHOD route status"
        var jobs: [String: Histogram] = [:]          // by final state
        var verdicts: [String: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// One HTTP request answered: its method, route pattern (`/requests/{id}`), status and latency.
    public func recordHTTP(method: String, route: String, status: Int, seconds: Double) {
        let key = "method=\"\(method)\",route=\"\(route)\",status=\"\(status)\""
        state.withLock { state in
            state.http[key, default: Histogram(buckets: Self.httpBuckets.count)].observe(seconds, bounds: Self.httpBuckets)
        }
    }

    /// One job finished in `state` after `seconds`, with the audit's verdict when there was one.
    public func recordJob(seconds: Double, state finalState: ErasureRequest.State, verdict: String?) {
        state.withLock { state in
            state.jobs["state=\"\(finalState.rawValue)\"", default: Histogram(buckets: Self.jobBuckets.count)]
                .observe(seconds, bounds: Self.jobBuckets)
            if let verdict { state.verdicts[verdict, default: 0] += 1 }
        }
    }

    /// Everything in Prometheus' text exposition format, with the request counts per state.
    public func exposition(requestCounts: [ErasureRequest.State: Int]) -> String {
        var lines: [String] = []
        lines += ["# HELP qpae_requests Erasure requests by state.", "# TYPE qpae_requests gauge"]
        for requestState in ErasureRequest.State.allCases {
            lines.append("qpae_requests{state=\"\(requestState.rawValue)\"} \(requestCounts[requestState] ?? 0)")
        }
        lines += ["# HELP qpae_queue_length Requests waiting for a worker.", "# TYPE qpae_queue_length gauge",
                  "qpae_queue_length \(requestCounts[.queued] ?? 0)"]
        state.withLock { state in
            lines += Self.histogram("qpae_http_request_duration_seconds", help: "HTTP latency by method, route and status.",
                                    state.http, bounds: Self.httpBuckets)
            lines += Self.histogram("qpae_job_duration_seconds", help: "Wall time of erasure jobs by final state.",
                                    state.jobs, bounds: Self.jobBuckets)
            lines += ["# HELP qpae_audit_verdicts_total Audit verdicts of finished jobs.", "# TYPE qpae_audit_verdicts_total counter"]
            for (verdict, count) in state.verdicts.sorted(by: { $0.key < $1.key }) {
                lines.append("qpae_audit_verdicts_total{verdict=\"\(verdict)\"} \(count)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func histogram(_ name: String, help: String, _ series: [String: Histogram], bounds: [Double]) -> [String] {
        var lines = ["# HELP \(name) \(help)", "# TYPE \(name) histogram"]
        for (labels, histogram) in series.sorted(by: { $0.key < $1.key }) {
            for (bound, count) in zip(bounds, histogram.bucketCounts) {
                lines.append("\(name)_bucket{\(labels),le=\"\(bound)\"} \(count)")
            }
            lines.append("\(name)_bucket{\(labels),le=\"+Inf\"} \(histogram.count)")
            lines.append("\(name)_sum{\(labels)} \(histogram.sum)")
            lines.append("\(name)_count{\(labels)} \(histogram.count)")
        }
        return lines
    }
}
