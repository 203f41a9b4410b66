import Checks
import Foundation

/// Where examples are taken from a recording: on its speech, found from frame energy relative to the
/// recording's own floor and peak (as Kaldi's `compute-vad` and `librosa.effects.trim` work).
///
/// Each analysis frame (the log-mel framing: `windowLength` samples every `hopLength`) gets its energy
/// `10·log10(mean x² + 1e-10)` dB. The recording's **floor** is the 10th percentile of its frames'
/// energies and its **peak** the loudest frame; a frame is speech when it lies above
/// `floor + speechThreshold · (peak − floor)`. The speech span runs from the first speech frame's start
/// to the last one's end. Then:
/// - **a recording whose peak is below ``silenceLevel`` dBFS** is silent and gives no example;
/// - **a recording whose floor is within ``minimumDynamicRange`` dB of its peak** (steady noise, a tone)
///   has nothing to tell speech from, and the whole recording is its span;
/// - **a recording shorter than one and a half examples** gives one example centred on its speech, kept
///   inside the recording when the recording is longer than an example (else the recording sits whole
///   inside the example, zeros around it);
/// - **a longer recording** is cut into its sounds: runs of speech frames, joined across pauses shorter
///   than ``pauseLength``; sounds shorter than ``shortestSound`` (clicks, breaths) are dropped unless
///   nothing longer is there. A sound shorter than one and a half examples gives one example centred on
///   it (a word in a recording of words, however short, is never split between two examples); a longer
///   one is covered by examples spread evenly over it, about ``hop`` samples apart (their number rounded
///   to the nearest whole), and an example whose frames are less than ``minimumSpeechFraction`` speech is
///   dropped (most of it pauses), the most speech-filled one kept if none reaches it.
///
/// ```swift
/// var settings = LogMelSettings.vggish
/// settings.windowing = ExampleWindowing()          // what LogMelSettings.recommended holds
/// let plan = LogMelExtractor(settings: settings).windowPlan(for: samples)
/// plan.starts               // [4_210]: one example, samples 4_210 ..< 19_810
/// ```
public struct ExampleWindowing: Codable, Hashable, Sendable {
    /// Where between the floor (0) and the peak (1) of a recording's frame energies, in dB, speech begins.
    /// Default 0.3.
    public var speechThreshold: Double
    /// The share of an example's frames that must be speech for it to be kept, in sounds longer than one
    /// and a half examples. Default 0.3.
    public var minimumSpeechFraction: Double
    /// About how many samples lie between the starts of consecutive examples in a long sound; `nil` is
    /// `exampleLength` (examples side by side). Less than `exampleLength` overlaps them, for classes with few recordings.
    public var hop: Int?

    /// Pauses shorter than this (seconds) join the sounds on either side.
    public static let pauseLength = 0.3
    /// Sounds shorter than this (seconds) in a long recording are not speech.
    public static let shortestSound = 0.1
    /// A recording whose loudest frame is below this level (dB relative to full scale 1.0) is silent.
    public static let silenceLevel = -80.0
    /// A recording whose floor is within this many dB of its peak has no silence to trim.
    public static let minimumDynamicRange = 10.0

    public init(speechThreshold: Double = 0.3, minimumSpeechFraction: Double = 0.3, hop: Int? = nil) {
        self.speechThreshold = speechThreshold
        self.minimumSpeechFraction = minimumSpeechFraction
        self.hop = hop
    }

    /// Traps with the offending value when the settings cannot place examples.
    public func validate() {
        checkPrecondition(0 < speechThreshold && speechThreshold < 1,
                          "ExampleWindowing: speechThreshold \(speechThreshold) must lie between 0 and 1")
        checkPrecondition(0 <= minimumSpeechFraction && minimumSpeechFraction <= 1,
                          "ExampleWindowing: minimumSpeechFraction \(minimumSpeechFraction) must lie in 0…1")
        checkPrecondition(hop.map { $0 > 0 } ?? true, "ExampleWindowing: hop \(hop ?? 0) must be positive")
    }
}

/// Where one recording's examples lie and what was left out.
public struct WindowPlan: Equatable, Sendable {
    /// The first sample of each example; negative (or so late that the example runs past the end) where
    /// a short recording is centred in a longer example, the samples outside it being zeros.
    public var starts: [Int]
    /// The samples judged to hold speech, first speech frame to last; `nil` for a silent recording.
    public var speech: Range<Int>?
    /// What was dropped and why.
    public var counts: WindowCounts
}

/// Per recording (and summed over many): examples kept, and windows dropped with the reason.
public struct WindowCounts: Codable, Hashable, Sendable {
    /// Examples taken.
    public var kept: Int
    /// Windows of a long recording dropped for too little speech: sounds shorter than
    /// ``ExampleWindowing/shortestSound``, and examples in a long sound that are mostly pauses.
    public var droppedAsSilence: Int
    /// Recordings that gave no example because nothing in them rose above ``ExampleWindowing/silenceLevel``.
    public var silentRecordings: Int

    public init(kept: Int = 0, droppedAsSilence: Int = 0, silentRecordings: Int = 0) {
        self.kept = kept
        self.droppedAsSilence = droppedAsSilence
        self.silentRecordings = silentRecordings
    }

    public static func + (a: WindowCounts, b: WindowCounts) -> WindowCounts {
        WindowCounts(kept: a.kept + b.kept, droppedAsSilence: a.droppedAsSilence + b.droppedAsSilence,
                     silentRecordings: a.silentRecordings + b.silentRecordings)
    }

    /// `3 dropped as mostly silence, 1 silent recording`, or `none dropped`.
    public var droppedDescription: String {
        var parts: [String] = []
        if droppedAsSilence > 0 { parts.append("\(droppedAsSilence) dropped as mostly silence") }
        if silentRecordings > 0 { parts.append("\(silentRecordings) silent recording\(silentRecordings == 1 ? "" : "s")") }
        return parts.isEmpty ? "none dropped" : parts.joined(separator: ", ")
    }
}

/// Which analysis frames of a signal are speech (see ``ExampleWindowing``).
public struct SpeechActivity: Equatable, Sendable {
    /// Energy of each frame in dB.
    public var energies: [Double]
    /// Whether each frame is speech.
    public var isSpeech: [Bool]
    /// The floor (10th percentile) and the peak of ``energies``.
    public var floor: Double, peak: Double

    /// Frames of `frameLength` samples every `hop`; a signal shorter than one frame is one frame of
    /// what there is.
    public init(samples: [Float], frameLength: Int, hop: Int, threshold: Double) {
        let frameCount = samples.count <= frameLength ? (samples.isEmpty ? 0 : 1) : 1 + (samples.count - frameLength) / hop
        energies = (0..<frameCount).map { frame in
            let start = frame * hop, end = min(start + frameLength, samples.count)
            var sum = 0.0
            for index in start..<end { sum += Double(samples[index]) * Double(samples[index]) }
            return 10 * log10(sum / Double(end - start) + 1e-10)
        }
        let sorted = energies.sorted()
        let floor = sorted.isEmpty ? -100 : sorted[sorted.count / 10], peak = sorted.last ?? -100
        if peak - floor < ExampleWindowing.minimumDynamicRange {
            isSpeech = energies.map { _ in peak >= ExampleWindowing.silenceLevel }
        } else {
            let level = floor + threshold * (peak - floor)
            isSpeech = energies.map { $0 > level && $0 >= ExampleWindowing.silenceLevel }
        }
        self.floor = floor
        self.peak = peak
    }
}

extension LogMelExtractor {
    /// Where the examples of `samples` go under `settings.windowing` (see ``ExampleWindowing``); without
    /// windowing, consecutive examples from the start, the last zero-padded.
    public func windowPlan(for samples: [Float]) -> WindowPlan {
        let length = settings.exampleLength
        guard let windowing = settings.windowing else {
            let starts = Array(stride(from: 0, to: samples.count, by: length))
            return WindowPlan(starts: starts, speech: samples.isEmpty ? nil : 0..<samples.count,
                              counts: WindowCounts(kept: starts.count))
        }
        let frameLength = settings.windowLength, frameHop = settings.hopLength
        let activity = SpeechActivity(samples: samples, frameLength: frameLength, hop: frameHop,
                                      threshold: windowing.speechThreshold)
        guard let first = activity.isSpeech.firstIndex(of: true), let last = activity.isSpeech.lastIndex(of: true) else {
            return WindowPlan(starts: [], speech: nil, counts: WindowCounts(silentRecordings: samples.isEmpty ? 0 : 1))
        }
        let frameCount = activity.isSpeech.count
        // A run of frames as samples: a frame's bounds, or the recording's own where the run reaches its
        // first or last frame (frames stop short of the end by less than a hop).
        func sampleRange(of frames: ClosedRange<Int>) -> Range<Int> {
            (frames.lowerBound == 0 ? 0 : frames.lowerBound * frameHop)
                ..< (frames.upperBound == frameCount - 1 ? samples.count : min(frames.upperBound * frameHop + frameLength, samples.count))
        }
        let speech = sampleRange(of: first ... last)
        // Starts that keep a recording longer than an example inside it, or a shorter one inside the example.
        let lowest = min(0, samples.count - length), highest = max(0, samples.count - length)
        func centred(on range: Range<Int>) -> Int {
            min(max((range.lowerBound + range.upperBound) / 2 - length / 2, lowest), highest)
        }
        if 2 * samples.count < 3 * length {
            return WindowPlan(starts: [centred(on: speech)], speech: speech, counts: WindowCounts(kept: 1))
        }
        // A long recording: its sounds (runs of speech frames, joined across pauses shorter than
        // `pauseLength`), those shorter than `shortestSound` dropped unless nothing else is there.
        let rate = Double(settings.sampleRate)
        let joinable = Int(ExampleWindowing.pauseLength * rate) / frameHop
        var runs: [ClosedRange<Int>] = []
        for frame in 0 ..< frameCount where activity.isSpeech[frame] {
            if let previous = runs.last, frame - previous.upperBound <= joinable + 1 {
                runs[runs.count - 1] = previous.lowerBound ... frame
            } else {
                runs.append(frame ... frame)
            }
        }
        var sounds = runs.map { sampleRange(of: $0) }
        let longEnough = sounds.filter { Double($0.count) >= ExampleWindowing.shortestSound * rate }
        var dropped = sounds.count - longEnough.count
        if longEnough.isEmpty {
            sounds = [sounds.max { $0.count < $1.count }!]
            dropped -= 1
        } else {
            sounds = longEnough
        }
        // Speech frames lying wholly inside an example starting at `start`, from a running count.
        var speechBefore = [0]
        for isSpeech in activity.isSpeech { speechBefore.append(speechBefore.last! + (isSpeech ? 1 : 0)) }
        func speechFraction(from start: Int) -> Double {
            let firstFrame = (max(start, 0) + frameHop - 1) / frameHop
            let lastFrame = min((start + length - frameLength) / frameHop, frameCount - 1)
            guard lastFrame >= firstFrame else { return 0 }
            return Double(speechBefore[lastFrame + 1] - speechBefore[firstFrame]) / Double(lastFrame - firstFrame + 1)
        }
        var starts: [Int] = []
        for sound in sounds {
            guard 2 * sound.count >= 3 * length else {
                starts.append(centred(on: sound))
                continue
            }
            let room = Double(sound.count - length)
            let count = Int((room / Double(windowing.hop ?? length)).rounded()) + 1
            let candidates = (0 ..< count).map { sound.lowerBound + (count == 1 ? 0 : Int((room * Double($0) / Double(count - 1)).rounded())) }
            let kept = candidates.filter { speechFraction(from: $0) >= windowing.minimumSpeechFraction }
            starts += kept.isEmpty ? [candidates.max { speechFraction(from: $0) < speechFraction(from: $1) }!] : kept
            dropped += candidates.count - max(kept.count, 1)
        }
        return WindowPlan(starts: starts, speech: speech, counts: WindowCounts(kept: starts.count, droppedAsSilence: dropped))
    }

    /// The `exampleLength` samples from `start`, zeros where they fall outside `samples`.
    public func example(of samples: [Float], from start: Int) -> [Float] {
        let length = settings.exampleLength
        var example = [Float](repeating: 0, count: length)
        let from = max(start, 0), to = min(start + length, samples.count)
        if from < to { example.replaceSubrange(from - start ..< to - start, with: samples[from..<to]) }
        return example
    }
}
