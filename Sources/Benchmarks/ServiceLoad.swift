import Foundation
import Tensors
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `qpae-benchmark service`: a bounded load on a running `qpae serve` while its workers keep the cores
/// busy. Every (model, subject) pair is submitted once and retried once with the same Idempotency-Key
/// (as a portal that lost the first answer would), in a seeded shuffled order by `concurrency` clients;
/// meanwhile `concurrency` more clients read request statuses, back to back (a saturation test) or
/// paced to `statusRate` reads per second in all. Prints the latency of each kind (p50, p90, p99, max)
/// and, from the requests' own start and finish times, the jobs finished per hour.
struct ServiceLoad {
    var url: URL
    var token: String
    var models: [String]
    var subjects: [String]
    var duration: Double
    var concurrency: Int
    /// Status reads per second over all readers; 0: as fast as they are answered.
    var statusRate: Double
    var seed: UInt64

    struct Sample: Sendable { var kind: String; var seconds: Double; var status: Int }

    actor Log {
        var samples: [Sample] = []
        var ids: [String] = []
        func add(_ sample: Sample) { samples.append(sample) }
        func add(id: String) { ids.append(id) }
    }

    func request(_ method: String, _ path: String, body: String? = nil, key: String? = nil) -> URLRequest {
        var request = URLRequest(url: url.appendingPathComponent(path))
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let key { request.setValue(key, forHTTPHeaderField: "Idempotency-Key") }
        return request
    }

    func timed(_ request: URLRequest, kind: String, log: Log) async -> Data? {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try? await URLSession.shared.data(for: request)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        await log.add(Sample(kind: kind, seconds: seconds, status: (result?.1 as? HTTPURLResponse)?.statusCode ?? 0))
        return result?.0
    }

    func run() async {
        var generator = SplitMix64(seed: seed)
        var submissions: [(body: String, key: String)] = []
        for model in models {
            for (index, subject) in subjects.enumerated() {
                let body = #"{"model": "\#(model)", "subjects": ["\#(subject)"], "reference": "load \#(model) \#(index)", "seed": \#(index)}"#
                submissions += [(body, "load-\(model)-\(subject)"), (body, "load-\(model)-\(subject)")]
            }
        }
        for index in submissions.indices.reversed() {
            submissions.swapAt(index, Int(generator.next() % UInt64(index + 1)))
        }
        print("qpae-benchmark service: \(submissions.count) submits (each request once and once retried) to \(url) "
              + "by \(concurrency) clients, \(concurrency) more reading statuses "
              + (statusRate > 0 ? "at \(Int(statusRate))/s" : "back to back") + " for \(Int(duration)) s; order seed \(seed)")
        let log = Log()
        let queue = WorkQueue(submissions)
        let end = Date().addingTimeInterval(duration)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0 ..< concurrency {
                group.addTask {
                    while let (body, key) = await queue.next() {
                        if let data = await timed(request("POST", "v1/requests", body: body, key: key), kind: "submit", log: log),
                           let id = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["id"] as? String {
                            await log.add(id: id)
                        }
                    }
                }
                group.addTask {
                    var reader = SplitMix64(seed: seed &+ 1)
                    while Date() < end {
                        let ids = await log.ids
                        guard !ids.isEmpty else { try? await Task.sleep(for: .milliseconds(10)); continue }
                        let start = Date()
                        _ = await timed(request("GET", "v1/requests/\(ids[Int(reader.next() % UInt64(ids.count))])"),
                                        kind: "status", log: log)
                        if statusRate > 0 {
                            let pause = Double(concurrency) / statusRate - Date().timeIntervalSince(start)
                            if pause > 0 { try? await Task.sleep(for: .seconds(pause)) }
                        }
                    }
                }
            }
        }
        let samples = await log.samples
        var table = TextTable(textColumns: 1, "request", "count", "p50 ms", "p90 ms", "p99 ms", "max ms", "answers")
        for kind in ["submit", "status"] {
            let times = samples.filter { $0.kind == kind }.map(\.seconds).sorted()
            guard !times.isEmpty else { continue }
            func percentile(_ p: Double) -> String { String(format: "%.1f", 1000 * times[min(Int(p * Double(times.count)), times.count - 1)]) }
            let statuses = Dictionary(grouping: samples.filter { $0.kind == kind }, by: \.status)
                .map { "\($0.key): \($0.value.count)" }.sorted().joined(separator: ", ")
            table.append([kind, "\(times.count)", percentile(0.5), percentile(0.9), percentile(0.99),
                         String(format: "%.1f", 1000 * times.last!), statuses])
        }
        print(table.rendered)
        await printThroughput()
    }

    /// Jobs finished per hour, from the requests' recorded start and finish times.
    func printThroughput() async {
        var finished: [(start: Date, end: Date)] = [], states: [String: Int] = [:], before: String?
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]    // the API's times carry milliseconds
        repeat {
            let path = "v1/requests?limit=500" + (before.map { "&before=\($0)" } ?? "")
            guard let (data, _) = try? await URLSession.shared.data(for: request("GET", "")
                .with(url: URL(string: url.absoluteString + path)!)),
                  let page = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let requests = page["requests"] as? [[String: Any]] else { break }
            for request in requests {
                states[request["state"] as? String ?? "?", default: 0] += 1
                if let start = (request["startedAt"] as? String).flatMap(formatter.date(from:)),
                   let end = (request["finishedAt"] as? String).flatMap(formatter.date(from:)) {
                    finished.append((start, end))
                }
            }
            before = page["next"] as? String
        } while before != nil
        print("requests by state: " + states.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        guard let first = finished.map(\.start).min(), let last = finished.map(\.end).max(), last > first else { return }
        let hours = last.timeIntervalSince(first) / 3600
        let mean = finished.map { $0.end.timeIntervalSince($0.start) }.reduce(0, +) / Double(finished.count)
        print(String(format: "jobs finished: %d in %.1f min: %.0f jobs per hour (mean %.1f s per job)",
                     finished.count, hours * 60, Double(finished.count) / hours, mean))
    }
}

/// A shared list handed out one item at a time.
actor WorkQueue<Item: Sendable> {
    private var items: [Item]
    init(_ items: [Item]) { self.items = items.reversed() }
    func next() -> Item? { items.popLast() }
}

extension URLRequest {
    func with(url: URL) -> URLRequest {
        var copy = self
        copy.url = url
        return copy
    }
}
