import Foundation

/// HTK mel scale, `mel = 1127 · ln(1 + f/700)` (VGGish `hertz_to_mel`).
@inlinable
public func hertzToMel(_ hertz: Double) -> Double {
    1127.0 * Foundation.log(1.0 + hertz / 700.0)
}

/// Triangular mel filters exactly as VGGish's `mel_features.spectrogram_to_mel_matrix`.
///
/// The `binCount = fftLength/2 + 1` spectrum bins sit at `linspace(0, sampleRate/2, binCount)` Hz.
/// `melBandCount + 2` edges are equally spaced in HTK mel between `lowestFrequency` and
/// `highestFrequency`; band `b` rises from edge `b` to 1 at edge `b+1` and falls to 0 at edge `b+2`,
/// measured in mel: `w = max(0, min((m − lo)/(c − lo), (hi − m)/(hi − c)))`. No area normalisation;
/// the DC bin (0 Hz) gets no weight in any band. Computed in Double, stored in Float.
///
/// Layout: ``weights`` is `[binCount × melBandCount]` row-major (`weights[bin * melBandCount + band]`),
/// as VGGish's matrix, so `mel = power · weights` for a row of powers. Each band's nonzero bins are a
/// contiguous range, kept in ``bandRanges`` with their weights for a sparse product.
public struct MelFilterbank: Sendable, Hashable {
    /// Bins of the one-sided spectrum (`num_spectrogram_bins`, 257 for VGGish).
    public let binCount: Int
    /// Mel bands (`num_mel_bins`, 64 for VGGish).
    public let melBandCount: Int
    /// `[binCount × melBandCount]`, row-major.
    public let weights: [Float]
    /// For each band, the half-open range of bins with nonzero weight (empty if none).
    public let bandRanges: [Range<Int>]
    /// For each band, its nonzero weights concatenated in band order; band `b` starts at `bandOffsets[b]`.
    let packedWeights: [Float]
    let bandOffsets: [Int]

    /// Builds the filterbank from `settings` (its sample rate, FFT length, mel band count and edges).
    public init(settings: LogMelSettings) {
        settings.validate()
        let binCount = settings.binCount
        let bands = settings.melBandCount
        let nyquist = Double(settings.sampleRate) / 2
        let binMels = (0..<binCount).map { bin in
            hertzToMel(nyquist * Double(bin) / Double(binCount - 1))
        }
        let lowMel = hertzToMel(settings.lowestFrequency)
        let highMel = hertzToMel(settings.highestFrequency)
        let edgeCount = bands + 2
        let edges = (0..<edgeCount).map { i in
            lowMel + (highMel - lowMel) * Double(i) / Double(edgeCount - 1)
        }
        var weights = [Float](repeating: 0, count: binCount * bands)
        var ranges: [Range<Int>] = []
        var packed: [Float] = []
        var offsets: [Int] = []
        for band in 0..<bands {
            let (lower, center, upper) = (edges[band], edges[band + 1], edges[band + 2])
            var first = Int.max, last = -1
            offsets.append(packed.count)
            for bin in 1..<binCount {  // bin 0 (DC) gets no weight
                let rising = (binMels[bin] - lower) / (center - lower)
                let falling = (upper - binMels[bin]) / (upper - center)
                let weight = Float(max(0, min(rising, falling)))
                guard weight > 0 else { continue }
                weights[bin * bands + band] = weight
                first = min(first, bin)
                last = bin
            }
            let range = last < 0 ? 0..<0 : first..<(last + 1)
            ranges.append(range)
            packed.append(contentsOf: range.map { weights[$0 * bands + band] })
        }
        offsets.append(packed.count)
        self.binCount = binCount
        self.melBandCount = bands
        self.weights = weights
        self.bandRanges = ranges
        self.packedWeights = packed
        self.bandOffsets = offsets
    }

    /// The weight of `bin` in `band`.
    public subscript(bin: Int, band: Int) -> Float { weights[bin * melBandCount + band] }
}
