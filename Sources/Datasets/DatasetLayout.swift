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
    /// Speech Accent Archive: `{language}{n}.mp3` (or `.wav`) with `speakers_all.csv` (Kaggle), or grouped
    /// as mirrors ship it, `recordings/{language}/{language}_{NNN}.wav`; class = native language.
    case accent
    /// VCTK: `wav48/p{NNN}/p{NNN}_{NNN}.wav` (0.80) or `wav48_silence_trimmed/p{NNN}/p{NNN}_{NNN}_mic1.flac`
    /// (0.92), with `speaker-info.txt`; class = speaker or accent.
    case vctk
    /// VoxCeleb 1/2: `id{N}/{video}/{NNNNN}.wav` under `wav/` (or `dev/aac/`), with `iden_split.txt` when present.
    case voxCeleb = "voxceleb"
}
