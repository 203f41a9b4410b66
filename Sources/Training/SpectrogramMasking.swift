import Tensors

/// SpecAugment's masking (Park et al., 2019, without time warping) of a batch of normalised log-mel
/// examples, `[n, 1, bands, frames]`: in each example, `timeMasks` runs of frames and `frequencyMasks`
/// runs of mel bands are set to 0, the normalised mean. Each run's width is drawn uniformly from
/// `0 … maximumTimeWidth` (`0 … maximumFrequencyWidth`) and its start uniformly where it fits, as
/// torchaudio's `TimeMasking` / `FrequencyMasking` draw them.
///
/// ```swift
/// let masking = SpectrogramMasking(timeMasks: 2, maximumTimeWidth: 10, frequencyMasks: 2, maximumFrequencyWidth: 8)
/// var generator = SplitMix64(seed: 7)
/// masking.apply(to: &values, bands: 64, frames: 96, using: &generator)
/// ```
public struct SpectrogramMasking: Codable, Equatable, Sendable {
    public var timeMasks: Int
    public var maximumTimeWidth: Int
    public var frequencyMasks: Int
    public var maximumFrequencyWidth: Int

    public init(timeMasks: Int = 0, maximumTimeWidth: Int = 10, frequencyMasks: Int = 0, maximumFrequencyWidth: Int = 8) {
        self.timeMasks = timeMasks
        self.maximumTimeWidth = maximumTimeWidth
        self.frequencyMasks = frequencyMasks
        self.maximumFrequencyWidth = maximumFrequencyWidth
    }

    /// Whether any mask is drawn.
    public var isActive: Bool { (timeMasks > 0 && maximumTimeWidth > 0) || (frequencyMasks > 0 && maximumFrequencyWidth > 0) }

    /// Masks every example of `values` (examples of `bands × frames`, mel-major) in place.
    public func apply<G: RandomNumberGenerator>(to values: inout [Float], bands: Int, frames: Int, using generator: inout G) {
        let size = bands * frames
        for start in stride(from: 0, to: values.count, by: size) {
            for _ in 0 ..< timeMasks {
                let width = Int.random(in: 0 ... min(maximumTimeWidth, frames), using: &generator)
                let first = Int.random(in: 0 ... frames - width, using: &generator)
                for band in 0 ..< bands { for frame in first ..< first + width { values[start + band * frames + frame] = 0 } }
            }
            for _ in 0 ..< frequencyMasks {
                let width = Int.random(in: 0 ... min(maximumFrequencyWidth, bands), using: &generator)
                let first = Int.random(in: 0 ... bands - width, using: &generator)
                for band in first ..< first + width { for frame in 0 ..< frames { values[start + band * frames + frame] = 0 } }
            }
        }
    }
}
