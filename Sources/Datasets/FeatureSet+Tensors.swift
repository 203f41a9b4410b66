import Foundation
import Tensors

extension FeatureSet {
    /// The examples at `indices` as one batch `[B, 1, melBands, frames]` (NCHW), normalised with
    /// `statistics` when given: the hand-over from the audio front end to the models.
    public func batch(_ indices: [Int], normalizedWith statistics: NormalizationStatistics? = nil) -> Tensor {
        var values = [Float]()
        values.reserveCapacity(indices.count * featureCount)
        for index in indices {
            checkPrecondition(index >= 0 && index < count, "example \(index) out of range 0..<\(count)")
            values.append(contentsOf: features(at: index))
        }
        statistics?.normalize(&values)
        return Tensor(shape: [indices.count] + featureShape, scalars: values)
    }
}

/// Where the built-in synthetic corpus lives when the user names no data: `$QPAE_CACHE/synthetic`, else
/// `~/.cache/qpaudioeraser/synthetic` (XDG), generated there once by `SyntheticCorpus.ensure`.
extension SyntheticCorpus {
    public static var defaultCacheFolder: URL {
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["QPAE_CACHE"], !cache.isEmpty {
            return URL(fileURLWithPath: cache).appendingPathComponent("synthetic")
        }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("qpaudioeraser/synthetic")
    }

    /// The data folder to use: `path` when the user gave one, else the synthetic corpus's speakers
    /// (or, with `accents`, its accent recordings), generated on first use with `seed`.
    public static func dataFolder(for path: URL?, accents: Bool = false, seed: UInt64 = 0) throws -> URL {
        if let path { return path }
        let root = try ensure(at: defaultCacheFolder, seed: seed)
        return root.appendingPathComponent(accents ? accentsFolderName : speakersFolderName)
    }
}
