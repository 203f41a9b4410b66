import AudioFeatures
import Foundation
import Testing

/// Log-mel features (SPEC §5) against `Fixtures/logmel_golden.json`, written by an independent NumPy
/// implementation in float64 (`Fixtures/generate_logmel_golden.py`, which documents the file and the
/// input formulas rebuilt here).
///
/// Tolerance on log values: absolute 1e-4. Swift runs FFTW in Float32: a 512-point FFT's error is about
/// `ε·log₂(512)` ≈ 1e-6 relative to the frame's energy, and the power, mel sums and `logf` add a few ulps,
/// so a band's power is off by ~1e-6 relative to the frame's loud bands. After `log(mel + 0.01)` an
/// absolute error δ in `mel` moves the feature by `δ/(mel + 0.01)`: ~1e-6 in loud bands, more in quiet
/// bands of loud frames, where the 0.01 offset caps it. The golden values are rounded to 6 decimals
/// (5e-7). Measured: 9.3e-6 (chirp), 1.8e-6 (noise); 1e-4 leaves 10× for other FFTW codelets and CPUs
/// while still catching any framing, window or filterbank slip (those move features by ≫1e-2).
@Suite struct LogMelTests {
    let extractor = LogMelExtractor()

    @Test(arguments: ["chirp", "noise"])
    func logMelMatchesNumPy(_ name: String) throws {
        let golden = try LogMelGolden.load()
        let expected = try #require(golden.logmel[name], "no golden log-mel for \(name)")
        let actual = extractor.logMel(example: LogMelGolden.signal(name))
        #expect(actual.count == 64 * 96)
        #expect(expected.count == 64 && expected.allSatisfy { $0.count == 96 })
        var maxError: Float = 0
        for band in 0..<64 {
            for frame in 0..<96 {
                maxError = max(maxError, abs(actual[band * 96 + frame] - expected[band][frame]))
            }
        }
        #expect(maxError <= 1e-4, "\(name): max |Swift − NumPy| = \(maxError) on log values")
    }

    @Test func melMatrixMatchesNumPy() throws {
        let golden = try LogMelGolden.load()
        let filterbank = extractor.filterbank
        #expect(filterbank.binCount == 257 && filterbank.melBandCount == 64)
        #expect(golden.mel_matrix.count == 64)
        for (band, expected) in golden.mel_matrix.enumerated() {
            let run = expected.first_bin..<(expected.first_bin + expected.weights.count)
            #expect(filterbank.bandRanges[band] == run, "band \(band): nonzero bins \(filterbank.bandRanges[band]), expected \(run)")
            for bin in 0..<257 {
                let want = run.contains(bin) ? Float(expected.weights[bin - run.lowerBound]) : 0
                #expect(abs(filterbank[bin, band] - want) <= 1e-6, "weight[\(bin), \(band)] = \(filterbank[bin, band]), expected \(want)")
            }
        }
    }

    @Test func melMatrixHasVGGishShape() {
        let filterbank = extractor.filterbank
        let binHertz = { (bin: Int) in 8_000 * Double(bin) / 256 }
        for band in 0..<64 {
            #expect(filterbank[0, band] == 0, "the DC bin has weight in band \(band)")
            let column = (0..<257).map { filterbank[$0, band] }
            let peak = column.max()!
            // Triangles peak at 1 between bins; sampled every 31.25 Hz, the narrowest (~60 Hz wide) still reach ~0.5.
            #expect(peak <= 1 && peak > 0.4, "band \(band) peaks at \(peak)")
        }
        let firstBin = filterbank.bandRanges[0].lowerBound
        let lastBin = filterbank.bandRanges[63].upperBound - 1
        #expect(binHertz(firstBin) > 125 && binHertz(firstBin - 1) <= 125, "lowest weighted bin at \(binHertz(firstBin)) Hz")
        #expect(binHertz(lastBin) < 7_500 && binHertz(lastBin + 1) >= 7_500, "highest weighted bin at \(binHertz(lastBin)) Hz")
        let starts = filterbank.bandRanges.map(\.lowerBound)
        #expect(starts == starts.sorted(), "bands do not rise in frequency: \(starts)")
        #expect(abs(hertzToMel(700) - 1127 * log(2.0)) < 1e-9)
    }

    @Test func vggishFraming() {
        let settings = LogMelSettings.vggish
        #expect(settings.frameCount == 96)
        #expect(settings.binCount == 257)
        #expect(settings.featureCount == 64 * 96)
        #expect(extractor.window.count == 400)
        #expect(extractor.window[0] == 0 && abs(extractor.window[200] - 1) < 1e-7, "periodic Hann: w[0] = 0, w[N/2] = 1")
        #expect(abs(extractor.window[1] - extractor.window[399]) < 1e-7, "periodic Hann is symmetric about N/2")
    }

    @Test func cutsLongRecordingsIntoPaddedExamples() throws {
        let golden = try LogMelGolden.load().cutting
        let signal = LogMelGolden.longSignal()
        let examples = extractor.examples(from: signal)
        #expect(examples.count == 3 && golden.example_count == 3)
        #expect(examples.allSatisfy { $0.count == 15_600 })
        #expect(Array(examples[1][0..<10]) == Array(signal[15_600..<15_610]))
        #expect(Array(examples[2][0..<8_800]) == Array(signal[31_200...]))
        #expect(examples[2][8_800...].allSatisfy { $0 == 0 }, "the last example is zero-padded at the end")
        for (index, example) in examples.enumerated() {
            let sum = example.reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - golden.sums[index]) < 1e-6, "example \(index): sum \(sum), expected \(golden.sums[index])")
            let features = extractor.logMel(example: example)
            let mean = features.reduce(0.0) { $0 + Double($1) } / Double(features.count)
            #expect(abs(mean - golden.mean_logmel[index]) < 1e-4, "example \(index): mean log-mel \(mean), expected \(golden.mean_logmel[index])")
        }
    }

    @Test(arguments: [(0, 0), (1, 1), (15_599, 1), (15_600, 1), (15_601, 2), (31_200, 2), (40_000, 3)])
    func exampleCount(samples: Int, examples: Int) {
        #expect(extractor.examples(from: [Float](repeating: 0.25, count: samples)).count == examples)
    }

    @Test func examplesCarryTheirRecording() {
        let labelled = extractor.examples(from: LogMelGolden.longSignal(), recordingID: "speaker7/utt3.flac")
        #expect(labelled.map(\.index) == [0, 1, 2])
        #expect(labelled.allSatisfy { $0.recordingID == "speaker7/utt3.flac" && $0.samples.count == 15_600 })
        #expect(extractor.examples(from: [], recordingID: "empty").isEmpty)
    }

    @Test func settingsRoundTripThroughJSON() throws {
        var settings = LogMelSettings.vggish
        #expect(try LogMelSettings(jsonString: settings.jsonString()) == settings)
        settings.melBandCount = 128
        settings.logOffset = 1e-6
        let json = try settings.jsonString()
        #expect(try LogMelSettings(jsonString: json) == settings)
        #expect(json.contains("\"melBandCount\":128"))
        #expect(try JSONDecoder().decode(LogMelSettings.self, from: JSONEncoder().encode(settings)) == settings)
    }

    @Test func otherFramingsChangeTheShape() {
        var settings = LogMelSettings.vggish
        settings.melBandCount = 128
        let wide = LogMelExtractor(settings: settings)
        #expect(wide.logMel(example: LogMelGolden.signal("noise")).count == 128 * 96)
        #expect(wide.filterbank.melBandCount == 128)
        settings.exampleLength = 32_000  // 2 s clips
        #expect(settings.frameCount == 198)
        let long = LogMelExtractor(settings: settings)
        #expect(long.logMel(example: [Float](repeating: 0, count: 32_000)).allSatisfy { abs($0 - Float(log(1e-2))) < 1e-6 }, "silence gives log(0.01)")
        #expect(long.examples(from: [Float](repeating: 1, count: 40_000)).count == 2)
    }

    @Test func concurrentExtractionIsIdentical() async {
        let signals = [LogMelGolden.signal("chirp"), LogMelGolden.signal("noise")]
        let reference = signals.map(extractor.logMel(example:))
        let shared = extractor
        let results = await withTaskGroup(of: (Int, [Float], [Float]).self) { group in
            for task in 0..<16 {
                group.addTask {
                    let signal = signals[task % 2]
                    // Half the tasks also make their own extractor, exercising the planner lock.
                    let own = task % 4 < 2 ? LogMelExtractor() : shared
                    return (task % 2, shared.logMel(example: signal), own.logMel(example: signal))
                }
            }
            var results: [(Int, [Float], [Float])] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 16)
        for (which, fromShared, fromOwn) in results {
            #expect(fromShared == reference[which] && fromOwn == reference[which])
        }
    }
}

/// `Fixtures/logmel_golden.json` and the input signals its generator describes.
private struct LogMelGolden: Decodable {
    struct Band: Decodable { let first_bin: Int; let weights: [Double] }
    struct Cutting: Decodable { let example_count: Int; let sums: [Double]; let mean_logmel: [Double] }
    let mel_matrix: [Band]
    let logmel: [String: [[Float]]]
    let cutting: Cutting

    static func load() throws -> LogMelGolden {
        let url = try #require(Bundle.module.url(forResource: "logmel_golden", withExtension: "json", subdirectory: "Fixtures"),
                               "Fixtures/logmel_golden.json is missing: run Fixtures/generate_logmel_golden.py")
        return try JSONDecoder().decode(LogMelGolden.self, from: Data(contentsOf: url))
    }

    /// The 15,600-sample inputs "chirp" and "noise", by the generator's formulas.
    static func signal(_ name: String) -> [Float] {
        switch name {
        case "chirp":
            let k = 7000.0 / 0.975
            return (0..<15_600).map { n in
                let t = Double(n) / 16_000
                return Float(0.5 * sin(2 * Double.pi * (100.0 * t + 0.5 * k * t * t)) + 0.2 * sin(2 * Double.pi * 440.0 * t))
            }
        case "noise":
            var state: UInt64 = 20_260_415
            return (0..<15_600).map { _ in
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                return Float(Double(z >> 40) / 16_777_216 - 0.5)
            }
        default:
            preconditionFailure("no golden signal named \(name)")
        }
    }

    /// The 40,000-sample "long" signal, `0.3·sin(0.05·n)`.
    static func longSignal() -> [Float] {
        (0..<40_000).map { Float(0.3 * sin(0.05 * Double($0))) }
    }
}

/// The polyphase path of `resample` against SciPy's `resample_poly` (`Fixtures/generate_resample_golden.py`).
@Suite("Polyphase resampling equals SciPy's resample_poly")
struct PolyphaseResamplingTests {
    @Test(arguments: [(8_000, 16_000, "2/1"), (48_000, 16_000, "1/3")])
    func matchesSciPy(_ source: Int, _ target: Int, _ key: String) throws {
        let url = try #require(Bundle.module.url(forResource: "resample_golden", withExtension: "json", subdirectory: "Fixtures"))
        let golden = try JSONDecoder().decode([String: [Double]].self, from: Data(contentsOf: url))
        let expected = try #require(golden[key])
        let input = (0..<1000).map { n -> Float in
            Float(0.5 * sin(2 * Double.pi * 0.01 * Double(n)) + 0.3 * sin(2 * Double.pi * 0.13 * Double(n) + 1))
        }
        let output = try resample(input, from: source, to: target)
        // Our length is round(n·up/down) (SciPy's is the ceiling); the values agree where both exist.
        #expect(output.count == Int((1000 * Double(target) / Double(source)).rounded()))
        #expect(Swift.abs(output.count - expected.count) <= 1)
        let worst = zip(output, expected).map { Swift.abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst < 2e-6, "worst difference from SciPy \(worst)")
    }
}
