import Foundation

/// How busy the machine was apart from this process: on a shared 2-core machine another build can take
/// a core mid-run and halve a two-thread figure, so every report says how much CPU others used.
///
/// Compares the busy time of all CPUs (`/proc/stat`: user, nice, system, irq, softirq, steal) with this
/// process's own CPU time (`getrusage`) over the same wall-clock interval.
struct BackgroundLoad {
    private let start: Snapshot

    /// Starts measuring now.
    init() {
        start = Snapshot()
    }

    /// The 1-, 5- and 15-minute load averages from `/proc/loadavg`, as written there.
    static var loadAverages: String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// One line: the cores' worth of CPU that other processes (and the hypervisor, as steal) used on
    /// average since ``init()``.
    func summary() -> String {
        let end = Snapshot()
        let wall = end.wall - start.wall
        guard wall > 0, let busyStart = start.machineBusy, let busyEnd = end.machineBusy else {
            return "Other processes during this run: unknown (no /proc/stat)"
        }
        let others = max(0, (busyEnd - busyStart) - (end.ownCPU - start.ownCPU)) / wall
        let steal = ((end.steal ?? 0) - (start.steal ?? 0)) / wall
        return "Other processes during this run: \(Format.fixed(others, 2)) cores busy on average"
            + " (of which hypervisor steal \(Format.fixed(steal, 2))); this process used"
            + " \(Format.fixed((end.ownCPU - start.ownCPU) / wall, 2)) cores over \(Format.fixed(wall, 1)) s"
    }

    /// CPU and wall-clock times at one moment, in seconds.
    private struct Snapshot {
        let wall: Double
        let ownCPU: Double
        /// Busy time of all CPUs together, `nil` where `/proc/stat` cannot be read.
        let machineBusy: Double?
        let steal: Double?

        init() {
            wall = Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            ownCPU = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
            // First line: "cpu user nice system idle iowait irq softirq steal guest guest_nice" in ticks.
            let text = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? ""
            let ticks = text.split(separator: "\n").first.map { $0.split(separator: " ").dropFirst().compactMap { Double($0) } }
            let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
            if let ticks, ticks.count >= 8, hertz > 0 {
                machineBusy = [0, 1, 2, 5, 6, 7].map { ticks[$0] }.reduce(0, +) / hertz
                steal = ticks[7] / hertz
            } else {
                (machineBusy, steal) = (nil, nil)
            }
        }
    }
}
