import Foundation

extension ErasureService {
    /// Starts ``ServiceSettings/workerCount`` workers that take requests as they come: each polls the
    /// database for a request it may claim (``ServiceDatabase/claimNextRequest(worker:lease:)``), so
    /// requests submitted to any instance sharing the database reach it, and a request whose worker died
    /// is taken over once its lease runs out.
    public func startWorkers() {
        for index in 0 ..< settings.workerCount {
            let worker = "\(instance)/\(index + 1)"
            workerStarted()
            Task.detached { [self] in
                defer { workerStopped() }
                while !isStopping {
                    if await !runNextRequest(worker: worker) {
                        try? await Task.sleep(for: .seconds(settings.pollInterval))
                    }
                }
            }
        }
    }

    /// Asks the workers to stop after their current job and waits up to `timeout` seconds for them.
    public func stopWorkers(timeout: TimeInterval = 5) async {
        beginStopping()
        let end = Date().addingTimeInterval(timeout)
        while runningWorkers > 0, Date() < end { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// Claims the next request that may run and carries it out; `false` when none may run now.
    ///
    /// The job itself runs on a thread of its own (it keeps a core busy for seconds to hours and must
    /// not hold a thread the HTTP server answers on) while this task renews the lease every third of
    /// its length and writes the job's progress in the order it was reported.
    @discardableResult
    public func runNextRequest(worker: String? = nil) async -> Bool {
        let worker = worker ?? "\(instance)/direct"
        let claimed: ErasureRequest?
        do {
            claimed = try await database.claimNextRequest(worker: worker, lease: settings.lease)
        } catch {
            log("cannot take a request from the queue: \(error)")
            return false
        }
        guard let request = claimed else { return false }
        await run(request, worker: worker)
        return true
    }

    private func run(_ request: ErasureRequest, worker: String) async {
        let start = Date()
        log("request \(request.id): \(worker) forgets \(request.subjects.count) subject(s) from \(request.model) "
            + "version \(request.baseVersion ?? 0) with \(request.method) (attempt \(request.attempts))")
        let database = database, settings = settings
        let (reports, reporter) = AsyncStream.makeStream(of: (ErasureRequest.State, String, Double?).self,
                                                         bufferingPolicy: .bufferingNewest(16))
        let progress = Task {
            for await (state, phase, fraction) in reports {
                try? await database.setProgress(of: request.id, worker: worker, state: state, phase: phase, progress: fraction)
            }
        }
        let renewal = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(settings.lease / 3))
                guard !Task.isCancelled else { return }
                do {
                    try await database.renewLease(of: request.id, worker: worker, lease: settings.lease)
                } catch {
                    log("request \(request.id): \(error)")
                    return
                }
            }
        }
        defer {
            renewal.cancel()
            reporter.finish()
        }
        do {
            let model = try await database.model(named: request.model)
            let base = try await database.version(request.baseVersion ?? model.activeVersion, of: request.model)
            let job = ErasureJob(request: request, model: model, base: base, store: store, featureCache: featureCache,
                                 settings: settings) { state, phase, fraction in reporter.yield((state, phase, fraction)) }
            let result = try await onOwnThread { try job.run() }
            reporter.finish()
            await progress.value                     // every report written before the request ends
            switch result {
            case let .promote(sha256, forgottenClasses, outcome, record):
                let entry = try await database.complete(request.id, worker: worker, sha256: sha256,
                                                        forgottenClasses: forgottenClasses, outcome: outcome,
                                                        identity: identity, record: record)
                metrics.recordJob(seconds: Date().timeIntervalSince(start), state: .completed, verdict: outcome.audit?.verdict)
                log("request \(request.id): completed, ledger entry \(entry.sequence)")
            case let .needsExactFallback(outcome):
                try await database.finish(request.id, worker: worker, state: .needsExactFallback, error: nil, outcome: outcome)
                metrics.recordJob(seconds: Date().timeIntervalSince(start), state: .needsExactFallback,
                                  verdict: outcome.audit?.verdict)
                log("request \(request.id): the audit says \"\(outcome.audit?.verdict ?? "?")\": needs the exact fallback")
            }
        } catch ServiceError.leaseLost(let id) {
            log("request \(id): another worker took it over while \(worker) ran it; this run's result is dropped")
        } catch {
            try? await database.finish(request.id, worker: worker, state: .failed, error: "\(error)", outcome: nil)
            metrics.recordJob(seconds: Date().timeIntervalSince(start), state: .failed, verdict: nil)
            log("request \(request.id): failed: \(error)")
        }
    }

    func log(_ message: String) {
        FileHandle.standardError.write(Data("[\(ISO8601DateFormatter().string(from: Date()))] \(message)\n".utf8))
    }
}

/// Runs `body` on a new thread with a large stack (backward passes of deep models recurse) and returns
/// its result to the awaiting task without blocking any of Swift's cooperative threads.
func onOwnThread<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = "qpae-job"
        thread.stackSize = 64 << 20
        thread.start()
    }
}
