import Checks
import Foundation

/// Shows how far a long job has come, on standard error.
///
/// On a terminal (`isatty(2)`) one line is redrawn in place with `\r`, at most ten times a second:
/// `extracting [########------------]  40%  1200/3000  412.3/s  ETA 4.4 s`. Elsewhere (a log file, CI)
/// a plain line is written each time another 10% is done, so logs stay short. ``finish()`` writes the
/// final line with the total time. Any thread may call ``advance(by:)``; calls are serialised by a lock.
///
/// ```swift
/// let progress = ProgressReporter(total: recordings.count, label: "extracting")
/// let (features, report) = try extractFeatures(for: recordings, progress: progress)
/// ```
public final class ProgressReporter: @unchecked Sendable {
    /// Items the job has in all.
    public let total: Int
    /// What the job is called at the start of each line.
    public let label: String
    /// Whether the line is redrawn in place (a terminal) rather than written every 10%.
    public let isLive: Bool

    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private let start = DispatchTime.now().uptimeNanoseconds
    private var done = 0
    private var lastDrawn: UInt64 = 0
    private var nextReportedTenth = 1
    private var isFinished = false

    /// Makes a reporter for `total` items.
    ///
    /// - Parameters:
    ///   - live: redraw one line in place; by default when standard error is a terminal.
    ///   - write: where text goes; standard error by default (tests pass a collector).
    public init(total: Int, label: String = "extracting", live: Bool = isatty(2) != 0,
                write: @escaping @Sendable (String) -> Void = ProgressReporter.writeToStandardError) {
        checkPrecondition(total >= 0, "ProgressReporter: total \(total) must not be negative")
        self.total = total
        self.label = label
        self.isLive = live
        self.write = write
    }

    /// Writes `text` to standard error unbuffered.
    public static func writeToStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Items done so far.
    public var completed: Int { lock.withLock { done } }

    /// Counts `count` more items done and redraws or reports when due.
    public func advance(by count: Int = 1) {
        lock.withLock {
            guard !isFinished else { return }
            done = min(total, done + count)
            let now = DispatchTime.now().uptimeNanoseconds
            if isLive {
                if now - lastDrawn >= 100_000_000 || done == total {
                    lastDrawn = now
                    write("\r" + bar(now: now))
                }
            } else if total > 0 {
                let tenths = done * 10 / total
                if tenths >= nextReportedTenth && done < total {
                    nextReportedTenth = tenths + 1
                    write(line(now: now) + "\n")
                }
            }
        }
    }

    /// Writes the final line (`… done 3000/3000 in 7.3 s (411.0/s)`); later calls do nothing.
    public func finish() {
        lock.withLock {
            guard !isFinished else { return }
            isFinished = true
            let seconds = elapsed(now: DispatchTime.now().uptimeNanoseconds)
            let summary = "\(label): done \(done)/\(total) in \(Self.format(seconds)) s (\(rate(seconds: seconds))/s)"
            write(isLive ? "\r" + summary + "\u{1B}[K\n" : summary + "\n")
        }
    }

    private func elapsed(now: UInt64) -> Double { Double(now - start) / 1e9 }

    private func rate(seconds: Double) -> String {
        seconds > 0 ? String(format: "%.1f", Double(done) / seconds) : "–"
    }

    private func eta(seconds: Double) -> String {
        guard done > 0, seconds > 0 else { return "?" }
        return Self.format(Double(total - done) * seconds / Double(done)) + " s"
    }

    private func percent() -> Int { total == 0 ? 100 : done * 100 / total }

    private func bar(now: UInt64) -> String {
        let seconds = elapsed(now: now)
        let bar = Self.bar(completed: done, of: total, width: 20)
        let percentText = String(percent()).leftPadded(to: 3)
        return "\(label) [\(bar)] \(percentText)%  \(done)/\(total)  \(rate(seconds: seconds))/s  "
            + "ETA \(eta(seconds: seconds))\u{1B}[K"
    }

    private func line(now: UInt64) -> String {
        let seconds = elapsed(now: now)
        return "\(label): \(percent())% (\(done)/\(total)), \(rate(seconds: seconds))/s, ETA \(eta(seconds: seconds))"
    }

    static func format(_ seconds: Double) -> String { String(format: "%.1f", seconds) }

    /// A bar of `width` characters for `completed` of `total` items: `#` for the share done (rounded
    /// down), `-` for the rest; a full bar when `total` is 0. The brackets are the caller's.
    ///
    ///     ProgressReporter.bar(completed: 40, of: 94, width: 10)      // "####------"
    public static func bar(completed: Int, of total: Int, width: Int) -> String {
        checkPrecondition(width >= 0 && total >= 0,
                          "ProgressReporter.bar: width \(width) and total \(total) must not be negative")
        let filled = total == 0 ? width : min(width, max(0, completed) * width / total)
        return String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    }

    /// A duration as progress lines show it, short and at a precision that matters: tenths of a second
    /// below 10 s (`4.4s`), whole seconds below a minute (`42s`), then minutes and seconds (`1m12s`),
    /// then hours and minutes (`2h05m`); `?` for a negative or non-finite value (no estimate yet).
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 9.95 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3_600 { return "\(whole / 60)m" + String(format: "%02ds", whole % 60) }
        return "\(whole / 3_600)h" + String(format: "%02dm", whole / 60 % 60)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
