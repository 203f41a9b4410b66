/// The folder layouts QPAudioEraser reads (`../shared/SPEC.md` §7), by the name used on the command line.
public enum DatasetLayout: String, CaseIterable, Codable, Sendable {
    /// AudioMNIST: `data/{speaker}/{digit}_{speaker}_{index}.wav` (48 kHz, 60 speakers).
    case audioMNIST = "audiomnist"
    /// Free Spoken Digit Dataset: `recordings/{digit}_{speaker}_{index}.wav` (8 kHz); takes 0–4 are test.
    case fsdd
    /// Speech Commands: `{word}/{speakerhash}_nohash_{n}.wav` with `validation_list.txt`, `testing_list.txt`.
    case speechCommands = "speechcommands"
    /// LibriSpeech: `{speaker}/{chapter}/{speaker}-{chapter}-{utterance}.flac` with `SPEAKERS.TXT`.
    case libriSpeech = "librispeech"
    /// Speech Accent Archive: `{language}{n}.mp3` (or `.wav`) with `speakers_all.csv`; class = native language.
    case accent
}
