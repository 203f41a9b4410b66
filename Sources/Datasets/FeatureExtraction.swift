import Checks
import AudioFeatures
import Foundation

/// What a feature extraction did: how many recordings and examples, which files were skipped and why.
///
/// A corrupt file in a folder of thousands is never silently dropped: it is listed in ``skipped`` with
/// the decoder's message and counted in ``summary``.
public struct ExtractionReport: Equatable, Sendable {
    /// Recordings asked for (extracted + skipped).
    public var recordingCount: Int
    /// Examples produced.
    public var exampleCount: Int
    /// Recordings that could not be decoded or resampled, with the reason (an ``AudioError`` message).
    public var skipped: [DatasetIndex.SkippedFile]
    /// Per recording id: examples kept and windows dropped (``WindowCounts``); skipped files have none.
    public var windows: [String: WindowCounts]
    /// Remarks about how the features were obtained (loaded from cache, cache stale or unreadable, …).
    public var notes: [String]
    /// Wall-clock seconds the extraction (or the cache load) took.
    public var seconds: Double

    public init(recordingCount: Int, exampleCount: Int, skipped: [DatasetIndex.SkippedFile] = [],
                windows: [String: WindowCounts] = [:], notes: [String] = [], seconds: Double = 0) {
        self.recordingCount = recordingCount
        self.exampleCount = exampleCount
        self.skipped = skipped
        self.windows = windows
        self.notes = notes
        self.seconds = seconds
    }

    /// Recordings that were skipped.
    public var skippedCount: Int { skipped.count }

    /// The windows kept and dropped over all recordings.
    public var windowTotals: WindowCounts { windows.values.reduce(WindowCounts(), +) }

    /// One line: `60 recordings → 64 examples, 1 skipped (unreadable), 0.41 s (146.3 recordings/s)`,
    /// with the windows dropped when there were any (`…, windows: 3 dropped as mostly silence`).
    public var summary: String {
        let rate = seconds > 0
            ? String(format: ", %.2f s (%.1f recordings/s)", seconds, Double(recordingCount) / seconds) : ""
        let totals = windowTotals
        let dropped = totals.droppedAsSilence + totals.silentRecordings > 0 ? ", windows: \(totals.droppedDescription)" : ""
        let notesText = notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")
        return "\(recordingCount) recordings → \(exampleCount) examples, \(skippedCount) skipped (unreadable)"
            + dropped + rate + notesText
    }
}

/// Turns recordings into log-mel features (SPEC §5): decode, mix to mono, resample to
/// `settings.sampleRate`, cut into `exampleLength` examples (on the speech under `settings.windowing`,
/// else consecutively with the last zero-padded; ``LogMelExtractor/windowPlan(for:)``), log-mel each.
///
/// Recordings run in parallel on `threadCount` threads (`DispatchQueue.concurrentPerform`, each worker
/// claiming the next recording, so long and short files balance); every result is stored at its
/// recording's position, so the output order is the input order whatever the thread count. A file that
/// cannot be read (any ``AudioError``) is skipped and listed in the report, or rethrown when
/// `failOnUnreadable` is set (the error of the earliest such recording among those reached).
public struct FeatureExtractor: Sendable {
    /// The framing and mel constants.
    public let settings: LogMelSettings
    /// Throw on the first unreadable file instead of skipping it.
    public var failOnUnreadable: Bool
    /// Worker threads; all cores by default.
    public var threadCount: Int
    private let extractor: LogMelExtractor

    public init(settings: LogMelSettings = .vggish, failOnUnreadable: Bool = false,
                threadCount: Int = ProcessInfo.processInfo.activeProcessorCount) {
        checkPrecondition(threadCount > 0, "FeatureExtractor: threadCount \(threadCount) must be positive")
        self.settings = settings
        self.failOnUnreadable = failOnUnreadable
        self.threadCount = threadCount
        extractor = LogMelExtractor(settings: settings)
    }

    /// The log-mel features of each example of one recording, `featureCount` values each, and the
    /// windows kept and dropped.
    ///
    /// - Throws: ``AudioError`` naming the file when it cannot be decoded or resampled.
    public func features(of recording: Recording) throws -> (examples: [[Float]], windows: WindowCounts) {
        let decoded = try decodeAudio(at: recording.url)
        let samples = try resample(decoded.samples, from: decoded.sampleRate, to: settings.sampleRate)
        let plan = extractor.windowPlan(for: samples)
        return (plan.starts.map { extractor.logMel(example: extractor.example(of: samples, from: $0)) }, plan.counts)
    }

    /// Extracts every recording, in input order, skipping (or, with `failOnUnreadable`, throwing on)
    /// unreadable files. `progress` advances once per recording and is finished at the end.
    public func extract(_ recordings: [Recording], progress: ProgressReporter? = nil) throws
        -> (features: FeatureSet, report: ExtractionReport) {
        let start = DispatchTime.now().uptimeNanoseconds
        let slots = ResultSlots(count: recordings.count)
        let workers = min(threadCount, recordings.count)
        if workers > 0 {
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while let index = slots.claim() {
                    do {
                        let (examples, windows) = try self.features(of: recordings[index])
                        slots.store(.features(examples, windows), at: index)
                    } catch let error as AudioError {
                        if failOnUnreadable { slots.fail(error, at: index) } else {
                            slots.store(.skipped(error.description), at: index)
                        }
                    } catch {
                        slots.fail(error, at: index)
                    }
                    progress?.advance()
                }
            }
        }
        progress?.finish()
        if let error = slots.firstFailure { throw error }

        var values: [Float] = []
        var recordingIDs: [String] = []
        var exampleIndices: [Int] = []
        var skipped: [DatasetIndex.SkippedFile] = []
        var windows: [String: WindowCounts] = [:]
        let outcomes = slots.outcomes
        let exampleTotal = outcomes.reduce(0) { total, outcome in
            if case .features(let examples, _) = outcome { total + examples.count } else { total }
        }
        values.reserveCapacity(exampleTotal * settings.featureCount)
        for (recording, outcome) in zip(recordings, outcomes) {
            switch outcome {
            case .features(let examples, let counts):
                windows[recording.id] = counts
                for (position, example) in examples.enumerated() {
                    values.append(contentsOf: example)
                    recordingIDs.append(recording.id)
                    exampleIndices.append(position)
                }
            case .skipped(let reason):
                skipped.append(DatasetIndex.SkippedFile(path: recording.url.path, reason: reason))
            case nil:
                fatalError("FeatureExtractor: recording \(recording.id) was never processed")
            }
        }
        let features = FeatureSet(settings: settings, values: values, recordingIDs: recordingIDs,
                                  exampleIndices: exampleIndices)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let report = ExtractionReport(recordingCount: recordings.count, exampleCount: features.count,
                                      skipped: skipped, windows: windows, seconds: seconds)
        return (features, report)
    }
}

/// Extracts the log-mel features of `recordings` on all cores; see ``FeatureExtractor``.
///
/// ```swift
/// let progress = ProgressReporter(total: split.train.count)
/// let (features, report) = try extractFeatures(for: split.train, progress: progress)
/// print(report.summary)   // "2400 recordings → 2412 examples, 0 skipped (unreadable), …"
/// ```
///
/// - Throws: with `failOnUnreadable`, the ``AudioError`` of an unreadable file.
public func extractFeatures(for recordings: [Recording], settings: LogMelSettings = .vggish,
                            failOnUnreadable: Bool = false, progress: ProgressReporter? = nil) throws
    -> (features: FeatureSet, report: ExtractionReport) {
    try FeatureExtractor(settings: settings, failOnUnreadable: failOnUnreadable).extract(recordings, progress: progress)
}

/// What became of one recording.
private enum Outcome: Sendable {
    case features([[Float]], WindowCounts)
    case skipped(String)
}

/// The per-recording results of a parallel extraction, indexed like the input; guarded by a lock
/// (one short critical section per recording, negligible beside the milliseconds of decoding).
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var stopped = false
    private var failures: [(index: Int, error: any Error)] = []
    private(set) var outcomes: [Outcome?]

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    /// The next recording to process, or `nil` when all are taken or a fatal error stopped the run.
    func claim() -> Int? {
        lock.withLock {
            guard !stopped, next < outcomes.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func store(_ outcome: Outcome, at index: Int) { lock.withLock { outcomes[index] = outcome } }

    func fail(_ error: any Error, at index: Int) {
        lock.withLock {
            stopped = true
            failures.append((index, error))
        }
    }

    /// The error of the earliest recording that failed fatally.
    var firstFailure: (any Error)? { lock.withLock { failures.min { $0.index < $1.index }?.error } }
}
