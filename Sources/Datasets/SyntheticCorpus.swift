import AudioFeatures
import Foundation

/// The built-in corpus, spoken by espeak-ng: the default data when the user names no dataset (SPEC §7).
///
/// Two parts, each in the layout of the real dataset it stands in for, so the same loaders read them:
///
/// ```
/// {root}/corpus.json                                    seed and settings (written last)
/// {root}/speakers/data/{speaker}/{digit}_{speaker}_{take}.wav   AudioMNIST layout, 16 kHz
/// {root}/accents/speakers_all.csv                       Speech Accent Archive table
/// {root}/accents/recordings/{language}{n}.wav           e.g. spanish3.wav, 16 kHz
/// ```
///
/// Everything follows from the seed: the same seed and settings give byte-identical files (espeak-ng is
/// deterministic). Generation runs several espeak-ng processes at once; the default corpus (6 speakers ×
/// 10 digits × 5 takes, 13 accents × 16 speakers reading the same 5 sentences) takes under a minute on
/// two cores.
///
/// ```swift
/// let root = try SyntheticCorpus.ensure(at: cache.appendingPathComponent("synthetic"), seed: 0)
/// let digits = root.appendingPathComponent("speakers")      // read with the AudioMNIST layout
/// ```
public enum SyntheticCorpus {
    /// The rate every clip is written at (the rate of the features, SPEC §5).
    public static let sampleRate = 16_000
    /// The marker file in the root: the seed and settings as JSON.
    public static let markerName = "corpus.json"
    /// The AudioMNIST-layout part, under the root.
    public static let speakersFolderName = "speakers"
    /// The Speech-Accent-Archive-layout part, under the root.
    public static let accentsFolderName = "accents"

    /// How much to generate; the defaults make the built-in corpus.
    public struct Settings: Codable, Hashable, Sendable {
        /// Synthetic speakers in the digits part.
        public var speakerCount: Int
        /// Times each speaker says each digit.
        public var takes: Int
        /// The digits said (0–9 by default).
        public var digits: [Int]
        /// espeak-ng language codes of the accents part (``SyntheticAccent/all`` by default).
        public var accentCodes: [String]
        /// Speakers (recordings) per accent.
        public var speakersPerAccent: Int
        /// Sentences each accent speaker reads (the same for everyone; 5 is the archive's paragraph).
        public var sentencesPerSpeaker: Int
        /// Bumped when the generator changes what it writes, so old caches regenerate.
        public var formatVersion: Int

        public init(speakerCount: Int = 6, takes: Int = 5, digits: [Int] = Array(0...9),
                    accentCodes: [String] = SyntheticAccent.all.map(\.code),
                    speakersPerAccent: Int = 16, sentencesPerSpeaker: Int = 5) {
            self.speakerCount = speakerCount
            self.takes = takes
            self.digits = digits
            self.accentCodes = accentCodes
            self.speakersPerAccent = speakersPerAccent
            self.sentencesPerSpeaker = sentencesPerSpeaker
            self.formatVersion = 3
        }
    }

    /// What ``markerName`` holds.
    struct Marker: Codable, Equatable {
        var seed: UInt64
        var settings: Settings
    }

    /// Returns `cacheFolder` holding the corpus for `seed` and `settings`, generating it first if the
    /// folder is missing or was made with another seed or settings.
    ///
    /// Generation writes into a temporary sibling folder and renames it into place only when complete,
    /// so an interrupted run never leaves half a corpus; the marker file is written last. A second call
    /// with the same arguments reads the marker and does nothing else.
    ///
    /// - Throws: ``SpeechSynthesisError`` when espeak-ng is missing or fails; file-system errors naming
    ///   the folder.
    @discardableResult
    public static func ensure(at cacheFolder: URL, seed: UInt64 = 0, settings: Settings = Settings(),
                              synthesizer: SpeechSynthesizer = SpeechSynthesizer()) throws -> URL {
        let expected = Marker(seed: seed, settings: settings)
        if marker(in: cacheFolder) == expected { return cacheFolder }

        let fileManager = FileManager.default
        let parent = cacheFolder.deletingLastPathComponent()
        try fileManager.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(cacheFolder.lastPathComponent).\(UUID().uuidString).partial")
        defer { try? fileManager.removeItem(at: staging) }

        try makeSpeakers(into: staging.appendingPathComponent(speakersFolderName),
                         speakerCount: settings.speakerCount, takes: settings.takes, digits: settings.digits,
                         seed: seed, synthesizer: synthesizer)
        let accents = settings.accentCodes.map { code in
            guard let accent = SyntheticAccent.all.first(where: { $0.code == code }) else {
                fatalError("unknown accent code \(code); use one of \(SyntheticAccent.all.map(\.code))")
            }
            return accent
        }
        try makeAccents(into: staging.appendingPathComponent(accentsFolderName), accents: accents,
                        speakersPerAccent: settings.speakersPerAccent,
                        sentencesPerSpeaker: settings.sentencesPerSpeaker, seed: seed, synthesizer: synthesizer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(expected).write(to: staging.appendingPathComponent(markerName), options: .atomic)

        // Swap in: move the old corpus aside first, so a crash here leaves either the old or the new one.
        let retired = parent.appendingPathComponent(".\(cacheFolder.lastPathComponent).\(UUID().uuidString).old")
        if fileManager.fileExists(atPath: cacheFolder.path) {
            try fileManager.moveItem(at: cacheFolder, to: retired)
        }
        defer { try? fileManager.removeItem(at: retired) }
        do {
            try fileManager.moveItem(at: staging, to: cacheFolder)
        } catch where marker(in: cacheFolder) == expected {
            // Another process finished the same corpus first; theirs is as good as ours.
        }
        return cacheFolder
    }

    /// The seed and settings recorded in `folder`, or `nil` when there is no readable marker.
    static func marker(in folder: URL) -> Marker? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(markerName)) else { return nil }
        return try? JSONDecoder().decode(Marker.self, from: data)
    }

    /// Runs `jobs` on several threads (espeak-ng processes overlap with resampling and writing) and
    /// rethrows the first error.
    static func runInParallel<Job: Sendable>(_ jobs: [Job], _ work: @Sendable (Job) throws -> Void) throws {
        let failures = FailureBox()
        let workerCount = min(jobs.count, max(2, ProcessInfo.processInfo.activeProcessorCount * 2))
        guard workerCount > 0 else { return }
        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
            for index in stride(from: worker, to: jobs.count, by: workerCount) where !failures.hasFailed {
                do { try work(jobs[index]) } catch { failures.record(error) }
            }
        }
        if let error = failures.first { throw error }
    }
}

/// The first error from parallel jobs.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?

    var hasFailed: Bool { lock.withLock { error != nil } }
    var first: (any Error)? { lock.withLock { error } }
    func record(_ newError: any Error) { lock.withLock { if error == nil { error = newError } } }
}
