import Datasets
import Foundation
import Tensors

/// `qpae-benchmark features`: decode + resample + log-mel for every recording of a dataset (default: the
/// Free Spoken Digit Dataset beside the checkout), cold and then from the feature cache, and the same
/// features by `scripts/reference/features_numpy.py` (NumPy/SciPy, one process, one BLAS thread) in the
/// same run.
func runFeaturesBenchmark(_ options: Options) {
    let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let root = options.dataPath.map { URL(fileURLWithPath: $0) }
        ?? checkout.deletingLastPathComponent().appendingPathComponent("shared/data/fsdd")
    let index: DatasetIndex
    do { index = try DatasetIndex(root: root) } catch { Options.fail("\(error)") }
    let cacheFolder = FileManager.default.temporaryDirectory.appendingPathComponent("qpae-benchmark-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: cacheFolder) }
    let cache = FeatureCache(folder: cacheFolder)
    let clock = ContinuousClock()
    func run() -> (seconds: Double, examples: Int, fromCache: Bool, checksum: Double) {
        var result: (FeatureSet, ExtractionReport, Bool)?
        let elapsed = clock.measure {
            do { result = try cache.features(for: index.recordings, threadCount: ComputeThreads.count) } catch {
                Options.fail("feature extraction failed: \(error)")
            }
        }
        let (features, _, fromCache) = result!
        return (elapsed.seconds, features.count, fromCache, features.values.reduce(0.0) { $0 + Double($1) })
    }
    print("Features benchmark: \(index.recordings.count) recordings of \(root.path) (\(index.layout.rawValue)),"
          + " VGGish log-mel 1×64×96, \(ComputeThreads.count) thread(s)")
    let cold = run(), cached = run()
    var table = TextTable(textColumns: 1, "pipeline", "seconds", "clips/s", "examples", "checksum")
    func row(_ name: String, _ seconds: Double, _ examples: Int, _ checksum: Double) {
        table.append([name, Format.fixed(seconds, 3), Format.fixed(Double(index.recordings.count) / seconds, 0),
                      "\(examples)", Format.fixed(checksum, 1)])
    }
    row("ours, cold (decode, resample, log-mel)", cold.seconds, cold.examples, cold.checksum)
    row("ours, from the feature cache", cached.seconds, cached.examples, cached.checksum)
    if let reference = numpyReference(folder: root.appendingPathComponent("recordings"), processes: ComputeThreads.count) {
        row("NumPy/SciPy (\(reference.processes) process(es))", reference.seconds, reference.examples, reference.checksum)
    } else {
        print("NumPy/SciPy: scripts/reference/features_numpy.py failed or is absent; row left out")
    }
    print(table.rendered)
    print("checksum: the sum of all feature values in Double; 8 → 16 kHz goes through the same polyphase filter in both.")
}

/// The reference pipeline's figures, run with one BLAS thread per process.
private func numpyReference(folder: URL, processes: Int) -> (seconds: Double, examples: Int, checksum: Double, processes: Int)? {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/reference/features_numpy.py")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "python3", script.path, folder.path, "--json",
                         "--processes", "\(processes)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    guard (try? process.run()) != nil else { return nil }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let json = try? JSONSerialization.jsonObject(with: output) as? [String: Any],
          let seconds = json["seconds"] as? Double, let examples = json["examples"] as? Int,
          let checksum = json["checksum"] as? Double else { return nil }
    return (seconds, examples, checksum, processes)
}
