import AudioFeatures
import Foundation
import Tensors

/// One accent of the paper (SPEC §7) as an espeak-ng language voice reading English.
public struct SyntheticAccent: Hashable, Sendable {
    /// The espeak-ng voice, e.g. `es`.
    public var code: String
    /// The Speech Accent Archive's `native_language` and file-name stem, e.g. `spanish`.
    public var language: String
    /// A plausible `birthplace` for the CSV, e.g. `madrid, spain`.
    public var birthplace: String
    /// A plausible `country` for the CSV, e.g. `spain`.
    public var country: String

    /// The 13 accents the paper keeps, in its order.
    public static let all: [SyntheticAccent] = [
        .init(code: "ar", language: "arabic", birthplace: "cairo, egypt", country: "egypt"),
        .init(code: "nl", language: "dutch", birthplace: "amsterdam, netherlands", country: "netherlands"),
        .init(code: "en", language: "english", birthplace: "boston, massachusetts, usa", country: "usa"),
        .init(code: "fr", language: "french", birthplace: "paris, france", country: "france"),
        .init(code: "de", language: "german", birthplace: "berlin, germany", country: "germany"),
        .init(code: "it", language: "italian", birthplace: "rome, italy", country: "italy"),
        .init(code: "ko", language: "korean", birthplace: "seoul, south korea", country: "south korea"),
        .init(code: "cmn", language: "mandarin", birthplace: "beijing, china", country: "china"),
        .init(code: "pl", language: "polish", birthplace: "warsaw, poland", country: "poland"),
        .init(code: "pt", language: "portuguese", birthplace: "lisbon, portugal", country: "portugal"),
        .init(code: "ru", language: "russian", birthplace: "moscow, russia", country: "russia"),
        .init(code: "es", language: "spanish", birthplace: "madrid, spain", country: "spain"),
        .init(code: "tr", language: "turkish", birthplace: "istanbul, turkey", country: "turkey"),
    ]
}

extension SyntheticCorpus {
    /// The English the accent speakers read: the Speech Accent Archive's elicitation paragraph in
    /// sentences, then Harvard sentences (IEEE 1969, list 1).
    public static let accentSentences = [
        "Please call Stella.",
        "Ask her to bring these things with her from the store:",
        "Six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother Bob.",
        "We also need a small plastic snake and a big toy frog for the kids.",
        "She can meet us Wednesday at the train station.",
        "The birch canoe slid on the smooth planks.",
        "Glue the sheet to the dark blue background.",
        "It's easy to tell the depth of a well.",
        "These days a chicken leg is a rare dish.",
        "Rice is often served in round bowls.",
    ]
    /// The Speech Accent Archive's table header, which ``makeAccents(into:accents:speakersPerAccent:sentencesPerSpeaker:seed:synthesizer:)``
    /// writes, plus `synthesis` (the espeak-ng settings of each recording).
    public static let accentTableColumns =
        ["age", "age_onset", "birthplace", "filename", "native_language", "sex", "speakerid", "country", "synthesis"]

    /// Writes the accents corpus in Speech Accent Archive naming:
    /// `{folder}/recordings/{language}{n}.wav` (n from 1) and `{folder}/speakers_all.csv`.
    ///
    /// Speaker `n` of an accent is the language voice with a seeded variant (`m1`…`m7`, `f1`…`f5`),
    /// pitch and speed, reading the first `sentencesPerSpeaker` ``accentSentences`` in one recording:
    /// everyone reads the same text, as in the real archive, so accents differ in how the words are
    /// said, not in which words. (Format 1 gave each of 4 speakers other sentences: a CNN then recognised
    /// 18% of unseen speakers' accents; the same text gave 40% with 8 speakers per accent, 52% with 16.)
    /// The CSV has one row
    /// per recording with ``accentTableColumns``: `filename` without extension (as the archive has it),
    /// `sex` from the variant, `age`/`age_onset` drawn from the seed (English speakers: onset 0).
    ///
    /// - Throws: ``SpeechSynthesisError`` when espeak-ng is missing or fails; ``AudioError`` on writing.
    public static func makeAccents(into folder: URL, accents: [SyntheticAccent] = SyntheticAccent.all,
                                   speakersPerAccent: Int = 16, sentencesPerSpeaker: Int = 5, seed: UInt64,
                                   synthesizer: SpeechSynthesizer = SpeechSynthesizer()) throws {
        checkPrecondition(speakersPerAccent > 0, "speakersPerAccent must be positive, got \(speakersPerAccent)")
        checkPrecondition((1...accentSentences.count).contains(sentencesPerSpeaker),
                          "sentencesPerSpeaker must be in 1…\(accentSentences.count), got \(sentencesPerSpeaker)")
        let recordings = folder.appendingPathComponent("recordings")
        try FileManager.default.createDirectory(at: recordings, withIntermediateDirectories: true)

        var random = SplitMix64(seed: seed ^ 0x4143_4354)  // "ACCT"
        var jobs: [Utterance] = []
        var rows = [accentTableColumns.joined(separator: ",")]
        var speakerID = 1
        for accent in accents {
            for n in 1...speakersPerAccent {
                let variant = voiceVariants.randomElement(using: &random)!
                let pitch = Int.random(in: 30...70, using: &random)
                let speed = Int.random(in: 140...180, using: &random)
                let text = accentSentences.prefix(sentencesPerSpeaker).joined(separator: " ")
                let name = "\(accent.language)\(n)"
                let voice = "\(accent.code)+\(variant)"
                jobs.append(Utterance(text: text, voice: voice, pitch: pitch, speed: speed,
                                      file: recordings.appendingPathComponent("\(name).wav")))
                let age = Int.random(in: 19...65, using: &random)
                let onset = accent.code == "en" ? 0 : Int.random(in: 5...min(age, 25), using: &random)
                let sex = variant.hasPrefix("f") ? "female" : "male"
                rows.append([String(age), String(onset), csvField(accent.birthplace), name, accent.language,
                             sex, String(speakerID), csvField(accent.country),
                             "\(voice) p\(pitch) s\(speed)"].joined(separator: ","))
                speakerID += 1
            }
        }
        try runInParallel(jobs) { try $0.write(with: synthesizer) }
        try (rows.joined(separator: "\n") + "\n")
            .write(to: folder.appendingPathComponent("speakers_all.csv"), atomically: true, encoding: .utf8)
    }

    /// Quotes a CSV field that holds a comma or a quote (RFC 4180).
    static func csvField(_ value: String) -> String {
        guard value.contains(",") || value.contains("\"") else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
