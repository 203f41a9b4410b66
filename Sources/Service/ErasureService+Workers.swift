import Foundation

extension ErasureService {
    /// Puts requests that a stopped process left running back in the queue, then starts
    /// ``ServiceSettings/workerCount`` worker threads that take requests as they come.
    ///
    /// Workers are threads of their own, not tasks: a job keeps a core busy for seconds to hours and
    /// must not hold a thread the HTTP server answers on.
    public func startWorkers() throws {
        let requeued = try database.requeueInterruptedRequests()
        if requeued > 0 { log("requeued \(requeued) request(s) interrupted by the last stop") }
        for index in 0 ..< settings.workerCount {
            let thread = Thread { [self] in
                while !isStopping {
                    if !runNextRequest() { _ = wakeUp.wait(timeout: .now() + 1) }
                }
                workerStopped()
            }
            thread.name = "qpae-worker-\(index + 1)"
            thread.stackSize = 64 << 20          // backward passes of deep models recurse
            workerStarted()
            thread.start()
        }
    }

    /// Asks the workers to stop after their current job and waits up to `timeout` seconds for them.
    public func stopWorkers(timeout: TimeInterval = 5) {
        beginStopping()
        for _ in 0 ..< settings.workerCount { wakeUp.signal() }
        let end = Date().addingTimeInterval(timeout)
        while runningWorkers > 0, Date() < end { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// Claims the next request that may run (``ServiceDatabase/claimNextRequest()``) and carries it out
    /// on this thread; `false` when none is waiting.
    @discardableResult
    public func runNextRequest() -> Bool {
        let claimed: ErasureRequest?
        do {
            claimed = try database.claimNextRequest()
        } catch {
            log("cannot take a request from the queue: \(error)")
            return false
        }
        guard let request = claimed else { return false }
        run(request)
        return true
    }

    private func run(_ request: ErasureRequest) {
        let start = Date()
        log("request \(request.id): forgetting \(request.subjects.count) subject(s) from \(request.model) "
            + "version \(request.baseVersion ?? 0) with \(request.method) (attempt \(request.attempts))")
        do {
            let model = try database.model(named: request.model)
            let base = try database.version(request.baseVersion ?? model.activeVersion, of: request.model)
            let job = ErasureJob(request: request, model: model, base: base, store: store, featureCache: featureCache,
                                 settings: settings) { [database] state, phase, progress in
                try? database.setProgress(of: request.id, state: state, phase: phase, progress: progress)
            }
            switch try job.run() {
            case let .promote(sha256, forgottenClasses, outcome, record):
                let entry = try database.complete(request.id, sha256: sha256, forgottenClasses: forgottenClasses,
                                                  outcome: outcome, identity: identity, record: record)
                metrics.recordJob(seconds: Date().timeIntervalSince(start), state: .completed, verdict: outcome.audit?.verdict)
                log("request \(request.id): completed, ledger entry \(entry.sequence)")
            case let .needsExactFallback(outcome):
                try database.finish(request.id, state: .needsExactFallback, outcome: outcome)
                metrics.recordJob(seconds: Date().timeIntervalSince(start), state: .needsExactFallback,
                                  verdict: outcome.audit?.verdict)
                log("request \(request.id): the audit says \"\(outcome.audit?.verdict ?? "?")\": needs the exact fallback")
            }
        } catch {
            try? database.finish(request.id, state: .failed, error: "\(error)")
            metrics.recordJob(seconds: Date().timeIntervalSince(start), state: .failed, verdict: nil)
            log("request \(request.id): failed: \(error)")
        }
    }

    func log(_ message: String) {
        FileHandle.standardError.write(Data("[\(ISO8601DateFormatter().string(from: Date()))] \(message)\n".utf8))
    }
}
