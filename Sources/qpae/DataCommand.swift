import ArgumentParser
import Datasets
import Evaluation
import Experiments
import Foundation

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Make the built-in synthetic corpus, or look at a dataset folder.",
        subcommands: [Synth.self, Info.self])

    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the built-in synthetic corpus with espeak-ng (speakers saying digits; accents reading English).",
            discussion: """
            Written once into the cache ($QPAE_CACHE/synthetic, else ~/.cache/qpaudioeraser/synthetic) or \
            --out; the same seed gives the same files. Commands without --data use it.
            """)

        @Option(help: ArgumentHelp("Folder to write it to, instead of the cache.", valueName: "folder"))
        var out: String?

        @Option(help: "Seeds the voices' pitches and speeds.")
        var seed: UInt64 = 0

        @Option(help: "Synthetic speakers saying digits.")
        var speakers = 6

        @Option(help: "Speakers per accent.")
        var speakersPerAccent = 16

        func validate() throws {
            guard speakers >= 2, speakersPerAccent >= 2 else {
                throw ValidationError("--speakers and --speakers-per-accent must be at least 2")
            }
            if out == nil, speakers != 6 || speakersPerAccent != 16 {
                throw ValidationError("a corpus of another size needs its own --out folder (the cache holds the default one); "
                                      + "then pass --data FOLDER/speakers or FOLDER/accents")
            }
        }

        func run() throws {
            let folder = out.map { URL(fileURLWithPath: $0) } ?? SyntheticCorpus.defaultCacheFolder
            let start = Date()
            let settings = SyntheticCorpus.Settings(speakerCount: speakers, speakersPerAccent: speakersPerAccent)
            let root = try SyntheticCorpus.ensure(at: folder, seed: seed, settings: settings)
            print("Synthetic corpus (seed \(seed)) in \(root.path), ready in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
            print("  speakers: \(root.appendingPathComponent(SyntheticCorpus.speakersFolderName).path)  (AudioMNIST layout)")
            print("  accents:  \(root.appendingPathComponent(SyntheticCorpus.accentsFolderName).path)  (accent archive layout)")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a dataset's layout, classes and split without training.")

        @OptionGroup var dataOptions: DataOptions

        @Option(help: "Seeds the split when the dataset has no official one.")
        var seed: UInt64 = 0

        func run() throws {
            let data = try PreparedData(dataOptions.request(seed: seed))
            print("\(data.root.path): \(data.layout.rawValue) layout, \(data.index.recordings.count) recordings, "
                  + "fingerprint \(data.fingerprint)")
            print("\(data.classes.count) \(data.classKind.rawValue) classes: \(data.classes.joined(separator: ", "))")
            print("split \(SplitMethod.explained(data.splitMethod.description)): \(data.train.count) training and \(data.test.count) test examples")
            let settings = data.train.features.settings
            print("examples: " + (settings.windowing.map { windowing in
                "on the speech (threshold \(windowing.speechThreshold) of each recording's floor-to-peak range, "
                    + "windows with under \(Int(windowing.minimumSpeechFraction * 100))% speech dropped, "
                    + "hop \(String(format: "%.3f", Double(windowing.hop ?? settings.exampleLength) / Double(settings.sampleRate))) s)"
            } ?? "consecutive from each recording's start, the last zero-padded"))
            var examplesPerClass = Array(repeating: 0, count: data.classes.count)
            for label in data.train.labels + data.test.labels { examplesPerClass[label] += 1 }
            let rows = zip(data.classes, data.windowsByClass).enumerated().map { label, entry in
                [entry.0, String(entry.1.recordings), String(examplesPerClass[label]),
                 String(entry.1.windows.droppedAsSilence), String(entry.1.windows.silentRecordings)]
            }
            print(MarkdownTable(header: ["class", "recordings", "examples", "windows dropped: mostly silence", "silent recordings"],
                                rows: rows, rightAligned: [1, 2, 3, 4]).rendered, terminator: "")
            for note in data.notes { print("  \(note)") }
        }
    }
}
