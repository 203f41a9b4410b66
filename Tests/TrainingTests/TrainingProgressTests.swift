import Datasets
import Foundation
import Testing
@testable import Training

/// The observer's calls and what `TrainingProgressPrinter` makes of them, on a captured writer.
@Suite struct TrainingProgressTests {
    /// Collects what a printer writes.
    private final class Output {
        var text = ""
        func write(_ string: String) { text += string }
    }

    private static let step40 = TrainingProgress(epoch: 3, epochs: 20, step: 40, stepsPerEpoch: 94, loss: 0.41234,
                                                 accuracy: 87.5, samplesPerSecond: 210.4, secondsRemaining: 72.3)
    private static let lastStep = TrainingProgress(epoch: 3, epochs: 20, step: 94, stepsPerEpoch: 94, loss: 0.3981,
                                                   accuracy: 88.06, samplesPerSecond: 212, secondsRemaining: 3_725)
    private static let summary = EpochSummary(epoch: 3, epochs: 20, loss: 0.3981, trainingAccuracy: 88.06,
                                              validationAccuracy: 85, seconds: 12.3)

    @Test func stepCallbackRunsOncePerStepAndEndsOnTheEpochSummary() throws {
        let (features, labels) = syntheticSet()
        var steps: [TrainingProgress] = [], summaries: [EpochSummary] = []
        let trainer = Trainer(model: makeModel(), features: features, labels: labels,
                              configuration: .init(epochs: 2, batchSize: 8, seed: 1),
                              observer: TrainingObserver(step: { steps.append($0) }, epoch: { summaries.append($0) }))
        try trainer.train()
        #expect(trainer.stepsPerEpoch == 8)                         // ⌈60 / 8⌉
        #expect(steps.count == 2 * trainer.stepsPerEpoch)
        #expect(steps.map(\.epoch) == Array(repeating: 1, count: 8) + Array(repeating: 2, count: 8))
        #expect(steps.map(\.step) == Array(1...8) + Array(1...8))
        #expect(steps.allSatisfy { $0.epochs == 2 && $0.stepsPerEpoch == 8 && $0.secondsRemaining >= 0 })
        #expect(steps.last?.secondsRemaining == 0)
        for summary in summaries {
            let last = try #require(steps.last { $0.epoch == summary.epoch })
            #expect(last.loss == summary.loss && last.accuracy == summary.trainingAccuracy)
        }
    }

    @Test func plainOutputIsOneLinePerEpoch() {
        let output = Output()
        let printer = TrainingProgressPrinter(live: false, write: output.write)
        printer.report(Self.step40)
        printer.report(Self.lastStep)
        printer.report(Self.summary)
        printer.report(EpochSummary(epoch: 4, epochs: 20, loss: 0.25, trainingAccuracy: 91.25, seconds: 65))
        printer.report(EpochSummary(epoch: 20, epochs: 20, loss: 0.0512, trainingAccuracy: 100, validationAccuracy: 97.5,
                                    seconds: 4_000))
        printer.finish()
        #expect(output.text == """
            epoch 3/20: loss 0.398, train acc 88.1%, val acc 85.0%, 12s, ETA 1h02m
            epoch 4/20: loss 0.250, train acc 91.2%, 1m05s
            epoch 20/20: loss 0.051, train acc 100.0%, val acc 97.5%, 1h06m

            """)
    }

    @Test func liveOutputRedrawsOneLineAndKeepsTheEpochLines() {
        let output = Output()
        let printer = TrainingProgressPrinter(live: true, redrawInterval: 0, write: output.write)
        printer.report(Self.step40)
        printer.report(Self.summary)
        printer.report(TrainingProgress(epoch: 4, epochs: 20, step: 1, stepsPerEpoch: 94, loss: 2.5, accuracy: 0,
                                        samplesPerSecond: 0, secondsRemaining: .infinity))
        printer.finish()
        let clear = "\u{1B}[K"
        #expect(output.text == "\repoch 3/20 [####------] step 40/94 loss 0.412 acc 87.5% 210 samples/s ETA 1m12s\(clear)"
                + "\repoch 3/20: loss 0.398, train acc 88.1%, val acc 85.0%, 12s, ETA 1m12s\(clear)\n"
                + "\repoch 4/20 [----------] step 1/94 loss 2.500 acc 0.0% 0 samples/s ETA ?\(clear)"
                + "\n")
    }

    @Test func liveOutputRedrawsAtMostOncePerInterval() {
        let output = Output()
        var times = [0.0, 0.05, 0.099, 0.1, 0.15, 0.25]
        let printer = TrainingProgressPrinter(live: true, write: output.write, now: { times.removeFirst() })
        for step in 1...6 {
            var progress = Self.step40
            progress.step = step
            printer.report(progress)
        }
        let drawn = output.text.split(separator: "\r").map { $0.split(separator: " ")[4] }
        #expect(drawn == ["1/94", "4/94", "6/94"])                 // at 0, 0.1 and 0.25 s
    }

    @Test func printerAttachesAfterExistingCallbacks() throws {
        let (features, labels) = syntheticSet()
        var epochsSeen = 0
        let output = Output()
        let trainer = Trainer(model: makeModel(), features: features, labels: labels,
                              configuration: .init(epochs: 2, batchSize: 16, seed: 1),
                              observer: TrainingObserver(epoch: { _ in epochsSeen += 1 }))
        TrainingProgressPrinter(live: false, write: output.write).attach(to: trainer)
        try trainer.train()
        #expect(epochsSeen == 2)
        let lines = output.text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("epoch 1/2: loss ") && lines[0].contains(", ETA "))
        #expect(lines[1].hasPrefix("epoch 2/2: loss ") && !lines[1].contains("ETA"))
    }

    @Test func aPhaseLeadsItsLines() {
        let output = Output()
        let printer = TrainingProgressPrinter(live: true, redrawInterval: 0, write: output.write)
        var step = Self.step40
        step.phase = "uncertainty fine-tune"
        printer.report(step)
        var summary = Self.summary
        summary.phase = "uncertainty fine-tune"
        printer.report(summary)
        let lines = output.text.split(separator: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }
        #expect(lines == ["uncertainty fine-tune epoch 3/20 [####------] step 40/94 loss 0.412 acc 87.5% 210 samples/s ETA 1m12s",
                          "uncertainty fine-tune epoch 3/20: loss 0.398, train acc 88.1%, val acc 85.0%, 12s, ETA 1m12s\n"])
    }

    @Test(arguments: [(-1.0, "?"), (Double.nan, "?"), (0, "0.0s"), (4.44, "4.4s"), (9.94, "9.9s"), (9.96, "10s"),
                      (59.4, "59s"), (59.6, "1m00s"), (72.3, "1m12s"), (3_599.4, "59m59s"), (3_725, "1h02m"),
                      (90_000, "25h00m")])
    func durationsAreShortAndPrecise(seconds: Double, expected: String) {
        #expect(ProgressReporter.formatDuration(seconds) == expected)
    }
}
