import Foundation
import Testing
@testable import Evaluation

@Suite("Speaker-verification EER of a classifier")
struct VerificationTests {
    /// Logits `log p` give exactly these softmax rows (two speakers):
    ///   example   label   P(speaker 0)   P(speaker 1)
    ///      0        0         0.9            0.1
    ///      1        0         0.6            0.4
    ///      2        1         0.3            0.7
    ///      3        1         0.7            0.3
    static func table(_ rows: [[Double]], labels: [Int]) -> Predictions {
        Predictions(classCount: rows[0].count, logits: rows.flatMap { $0.map { Float(log($0)) } },
                    labels: labels, recordingIDs: labels.indices.map { "r\($0)" })
    }

    static let predictions = table([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.7, 0.3]], labels: [0, 0, 1, 1])

    @Test func everyExampleClaimsEveryClass() {
        // genuine  {0.9, 0.6, 0.7, 0.3},  impostor {0.1, 0.4, 0.3, 0.7}; accept when score ≥ t:
        //   t = 0.4: FAR = 2/4 (0.4, 0.7), FRR = 1/4 (0.3)   d = +1/4
        //   t = 0.6: FAR = 1/4 (0.7),      FRR = 1/4          d = 0  → EER = 25%
        let eer = verificationEqualErrorRate(Self.predictions)
        #expect(eer.map { Swift.abs($0 - 25) < 1e-9 } == true)
    }

    @Test func claimsOfOneSpeaker() {
        // Claim speaker 0: genuine {0.9, 0.6}, impostor {0.3, 0.7}.
        //   t = 0.6: FAR = 1/2, FRR = 0     d = +1/2
        //   t = 0.7: FAR = 1/2, FRR = 1/2   d = 0  → 50%
        #expect(verificationEqualErrorRate(Self.predictions, claimedClasses: [0]).map { Swift.abs($0 - 50) < 1e-9 } == true)
        // Claim speaker 1: genuine {0.7, 0.3}, impostor {0.1, 0.4}.
        //   t = 0.3: FAR = 1/2, FRR = 0     d = +1/2
        //   t = 0.4: FAR = 1/2, FRR = 1/2   d = 0  → 50%
        #expect(verificationEqualErrorRate(Self.predictions, claimedClasses: [1]).map { Swift.abs($0 - 50) < 1e-9 } == true)
    }

    @Test func aForgottenSpeakerCannotBeVerified() {
        // Three speakers; speaker 2 is forgotten: its own recordings now give it less probability than
        // the other speakers' recordings do, so every threshold errs on one side or the other.
        let before = Self.table(
            [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.2, 0.1, 0.7]], labels: [0, 1, 2, 2])
        let after = Self.table(
            [[0.7, 0.1, 0.2], [0.1, 0.7, 0.2], [0.5, 0.45, 0.05], [0.45, 0.5, 0.05]], labels: [0, 1, 2, 2])
        #expect(verificationEqualErrorRate(before, claimedClasses: [2]) == 0)
        let forgotten = verificationEqualErrorRate(after, claimedClasses: [2])
        #expect(forgotten.map { $0 >= 50 } == true)
        #expect(forgotten.map { Swift.abs($0 - 100) < 1e-9 } == true)  // genuine 0.05 < impostor 0.2
    }

    @Test func noGenuineOrNoImpostorTrialsGiveNil() {
        // Nobody in the table is speaker 1, so a claim of 1 is never genuine.
        let onlySpeakerZero = Self.table([[0.9, 0.1], [0.8, 0.2]], labels: [0, 0])
        #expect(verificationEqualErrorRate(onlySpeakerZero, claimedClasses: [1]) == nil)
        // Everybody is speaker 0, so a claim of 0 is never an impostor's.
        #expect(verificationEqualErrorRate(onlySpeakerZero, claimedClasses: [0]) == nil)
        #expect(verificationEqualErrorRate(onlySpeakerZero, claimedClasses: []) == nil)
    }
}
