import Datasets
import Foundation

/// A tiny espeak-ng corpus made once per test process: 3 speakers × digits 0–3 × 3 takes (36 clips, 16 kHz)
/// and 2 accents × 2 speakers, in a temporary folder, with its own feature cache. For tests that need
/// real audio end to end (experiments, the service).
public enum TinyCorpus {
    public static let settings = SyntheticCorpus.Settings(speakerCount: 3, takes: 3, digits: [0, 1, 2, 3],
                                                   accentCodes: ["es", "de"], speakersPerAccent: 2,
                                                   sentencesPerSpeaker: 1)

    public static let root: URL = {
        try! SyntheticCorpus.ensure(at: Scratch.root.appendingPathComponent("tiny-corpus/corpus"), seed: 3, settings: settings)
    }()

    public static var speakers: URL { root.appendingPathComponent(SyntheticCorpus.speakersFolderName) }
    public static var featureCache: URL { root.deletingLastPathComponent().appendingPathComponent("features") }

    public static func temporaryFile(_ name: String) -> URL {
        Scratch.folder("experiments").appendingPathComponent(name)
    }
}
