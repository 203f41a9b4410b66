import Foundation

/// One audio file of a dataset, with what its name and folders say about it.
///
/// `id` is the path relative to the dataset root without the extension (`recordings/3_theo_12`,
/// `data/01/0_01_0`, `yes/0a7c2a8d_nohash_0`), unique within the dataset and stable across machines,
/// so caches and split lists can key on it. Layout attributes are `nil` where the layout has none:
///
/// | layout          | speaker            | digit | word | chapter | language         | take        |
/// |-----------------|--------------------|-------|------|---------|------------------|-------------|
/// | audiomnist/fsdd | `{speaker}`        | ✓     |      |         |                  | `{index}`   |
/// | speechcommands  | `{hash}`           |       | ✓    |         |                  | `{n}`       |
/// | librispeech     | `{speaker}`        |       |      | ✓       |                  | `{utt}`     |
/// | accent          | file name (`spanish12`) |  |      |         | native language  | `{n}`       |
/// | vctk            | `p{NNN}`           |       |      |         | accent           | `{NNN}`     |
/// | voxceleb        | `id{N}`            |       |      |         |                  | `{NNNNN}`   |
public struct Recording: Hashable, Sendable {
    /// Where the file is.
    public var url: URL
    /// The path relative to the dataset root, without extension; unique within the dataset.
    public var id: String
    /// Who speaks. In the accent archive every file is its own speaker.
    public var speaker: String
    /// The spoken digit 0–9 (AudioMNIST, FSDD).
    public var digit: Int?
    /// The spoken command word (Speech Commands).
    public var word: String?
    /// The book chapter (LibriSpeech).
    public var chapter: String?
    /// The speaker's native language (accent archive), from `speakers_all.csv` or the file name; the
    /// speaker's accent in VCTK's `speaker-info.txt`.
    public var language: String?
    /// The take, utterance or file number from the name (`{index}`, `{n}`, `{utt}`).
    public var take: Int?
    /// The part the dataset's own split puts this recording in (FSDD: takes 0–4 are test; Speech
    /// Commands: `testing_list.txt` / `validation_list.txt`), `nil` where the dataset has no official split.
    public var officialPart: SplitPart?

    public init(url: URL, id: String, speaker: String, digit: Int? = nil, word: String? = nil,
                chapter: String? = nil, language: String? = nil, take: Int? = nil,
                officialPart: SplitPart? = nil) {
        self.url = url
        self.id = id
        self.speaker = speaker
        self.digit = digit
        self.word = word
        self.chapter = chapter
        self.language = language
        self.take = take
        self.officialPart = officialPart
    }

    /// The class name of this recording under `kind`, or `nil` when the recording has no such attribute.
    public func label(for kind: ClassKind) -> String? {
        switch kind {
        case .speaker: speaker
        case .digit: digit.map(String.init)
        case .word: word
        case .accent: language
        }
    }
}

/// What a classifier predicts, hence what a forget request names.
public enum ClassKind: String, CaseIterable, Codable, Sendable {
    /// Who speaks (the paper's default for AudioMNIST, Speech Commands, LibriSpeech).
    case speaker
    /// The spoken digit (AudioMNIST, FSDD).
    case digit
    /// The command word (Speech Commands).
    case word
    /// The native language of the speaker (accent archive).
    case accent
}

extension DatasetLayout {
    /// The class kinds this layout's names carry; the first is the default.
    public var supportedClassKinds: [ClassKind] {
        switch self {
        case .audioMNIST, .fsdd: [.speaker, .digit]
        case .speechCommands: [.speaker, .word]
        case .libriSpeech: [.speaker]
        case .accent: [.accent]
        case .vctk: [.speaker, .accent]
        case .voxCeleb: [.speaker]
        }
    }

    /// The class kind used when none is asked for: `accent` for the accent archive, else `speaker`.
    public var defaultClassKind: ClassKind { supportedClassKinds[0] }

    /// Whether the layout always has an official train/test list (FSDD, Speech Commands); VoxCeleb has
    /// one when `iden_split.txt` is there (``DatasetIndex/hasOfficialSplit``).
    public var hasOfficialSplit: Bool { self == .fsdd || self == .speechCommands }
}
