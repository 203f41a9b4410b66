import Tensors
import Foundation
import Testing

@testable import Datasets

@Suite("DatasetSplit")
struct DatasetSplitTests {
    /// Checks the invariants every split keeps: sides disjoint, together the whole index, and every class
    /// with at least two units on both train and test.
    func expectInvariants(_ split: DatasetSplit, of index: DatasetIndex) {
        let train = Set(split.train.map(\.id)), test = Set(split.test.map(\.id)), validation = Set(split.validation.map(\.id))
        #expect(train.isDisjoint(with: test) && train.isDisjoint(with: validation) && test.isDisjoint(with: validation))
        #expect(train.union(test).union(validation) == Set(index.recordings.map(\.id)))
        let counts = Dictionary(grouping: index.recordings) { $0.label(for: split.classKind)! }.mapValues(\.count)
        for (name, count) in counts where count >= 2 {
            #expect(!split.recordings(in: .train, of: [name]).isEmpty, "class \(name) has no training recording")
            #expect(!split.recordings(in: .test, of: [name]).isEmpty, "class \(name) has no test recording")
        }
    }

    @Test("Stratified: disjoint, complete, every class on both sides", arguments: [ClassKind.speaker, .digit])
    func stratifiedInvariants(kind: ClassKind) throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.fsdd(in: root)
            let index = try DatasetIndex(root: root)
            for fraction in [0.05, 0.2, 0.5, 0.95] {
                let split = try DatasetSplit.stratified(index, classKind: kind, testFraction: fraction, seed: 7)
                expectInvariants(split, of: index)
                #expect(split.validation.isEmpty)
            }
            let split = try DatasetSplit.stratified(index, classKind: kind, testFraction: 0.2, seed: 7)
            // 21 recordings per speaker → round(4.2) = 4 test; 14 per digit → round(2.8) = 3 test.
            #expect(split.test.count == (kind == .speaker ? 2 * 4 : 3 * 3))
        }
    }

    @Test("Stratified: a class with one recording stays in training")
    func singletonClass() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.speechCommands(in: root)
            try DatasetFixture.tone("yes/dddd_nohash_0.wav", in: root)
            let index = try DatasetIndex(root: root)
            let split = try DatasetSplit.stratified(index, testFraction: 0.5, seed: 1)
            #expect(split.recordings(in: .train, of: ["dddd"]).count == 1)
            #expect(split.recordings(in: .test, of: ["dddd"]).isEmpty)
            expectInvariants(split, of: index)
        }
    }

    @Test("Stratified: the same seed gives the same split, another seed a different one")
    func determinism() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.fsdd(in: root)
            let index = try DatasetIndex(root: root)
            let a = try DatasetSplit.stratified(index, testFraction: 0.3, seed: 42)
            let b = try DatasetSplit.stratified(index, testFraction: 0.3, seed: 42)
            let c = try DatasetSplit.stratified(index, testFraction: 0.3, seed: 43)
            #expect(a.test.map(\.id) == b.test.map(\.id) && a.train.map(\.id) == b.train.map(\.id))
            #expect(a.test.map(\.id) != c.test.map(\.id))
            #expect(a.test.count == c.test.count)
        }
    }

    @Test("SplitMix64 matches the reference sequence for seed 0")
    func splitMixReference() {
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test("FSDD official split: takes 0–4 are test")
    func fsddOfficial() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.fsdd(in: root)
            let index = try DatasetIndex(root: root)
            let split = try DatasetSplit.official(index, classKind: .digit)
            #expect(split.test.allSatisfy { $0.take! < 5 } && split.train.allSatisfy { $0.take! >= 5 })
            #expect(split.test.count == 3 * 2 * 5 && split.train.count == 3 * 2 * 2)
            expectInvariants(split, of: index)
        }
    }

    @Test("Speech Commands official split: testing and validation lists")
    func speechCommandsOfficial() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.speechCommands(in: root)
            let index = try DatasetIndex(root: root)
            let split = try DatasetSplit.official(index)
            #expect(split.classKind == .speaker)
            #expect(split.test.map(\.id) == ["no/bbbb_nohash_1", "yes/aaaa_nohash_0"])
            #expect(split.validation.map(\.id) == ["no/aaaa_nohash_2"])
            #expect(split.train.count == 9)
        }
    }

    @Test("Accent: split by speaker, stratified by language")
    func accentBySpeaker() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.accent(in: root)
            let index = try DatasetIndex(root: root)
            let split = try DatasetSplit.stratified(index, testFraction: 0.2, seed: 3)
            #expect(split.classKind == .accent && split.classes == ["english", "korean", "spanish"])
            #expect(Set(split.train.map(\.speaker)).isDisjoint(with: split.test.map(\.speaker)))
            #expect(split.test.count == 2)  // one spanish, one english; the single korean speaker trains
            expectInvariants(split, of: index)
        }
    }

    @Test("By speaker: no speaker on both sides, also when every speaker says every class")
    func bySpeakerNeverSharesASpeaker() throws {
        try DatasetFixture.withFolder { root in
            for speaker in ["ann", "ben", "cem", "dia", "eli", "fay"] { for digit in 0...2 { for take in 0...1 {
                try DatasetFixture.tone("recordings/\(digit)_\(speaker)_\(take).wav", in: root)
            } } }
            let index = try DatasetIndex(root: root)
            for seed in UInt64(0) ..< 5 {
                let split = try DatasetSplit.stratified(index, classKind: .digit, testFraction: 0.3, seed: seed, bySpeaker: true)
                #expect(Set(split.train.map(\.speaker)).isDisjoint(with: split.test.map(\.speaker)))
                #expect(!split.test.isEmpty && split.train.count + split.test.count == 36)
                #expect(Set(split.test.map(\.digit)) == [0, 1, 2], "every class is tested")
            }
            #expect(throws: DatasetError.speakerSplitOfSpeakers) {
                try DatasetSplit.stratified(index, classKind: .speaker, seed: 0, bySpeaker: true)
            }
        }
    }

    @Test("By example: per class, a seeded share of the examples is test, whatever their recording")
    func byExample() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.fsdd(in: root)                       // 2 speakers × 21 one-example recordings
            let request = DataRequest(path: root, split: .byExample(testFraction: 0.25, seed: 4),
                                      featureCache: root.appendingPathComponent("cache"))
            let data = try PreparedData(request)
            #expect(data.splitMethod == .byExample(testFraction: 0.25, seed: 4))
            #expect(data.train.count == 32 && data.test.count == 10)  // round(0.25 · 21) = 5 per speaker
            #expect(data.test.labels.filter { $0 == 0 }.count == 5)
            #expect(Set(data.train.features.recordingIDs).isDisjoint(with: data.test.features.recordingIDs))
            #expect(data.notes.contains { $0.contains("measures who speaks") })
            #expect(try PreparedData(request).test.features.recordingIDs == data.test.features.recordingIDs)
        }
    }

    @Test("Split methods by name, in checkpoints and reports; by example says what it measures")
    func splitMethodNames() {
        for name in SplitMethod.names {
            let method = SplitMethod(name: name, testFraction: 0.25, seed: 9)!
            #expect(SplitMethod(method.description) == method)
        }
        #expect(SplitMethod(name: "by-room", testFraction: 0.2, seed: 0) == nil)
        #expect(SplitMethod("stratified test_fraction=0.2 seed=7") == .stratified(testFraction: 0.2, seed: 7))
        #expect(SplitMethod.explained("by-example test_fraction=0.2 seed=0").contains("measures who speaks"))
        #expect(SplitMethod.explained("by-speaker test_fraction=0.2 seed=0") == "by-speaker test_fraction=0.2 seed=0")
    }

    @Test("Forget and retain views partition each side by class")
    func forgetRetainViews() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.fsdd(in: root)
            let index = try DatasetIndex(root: root)
            let split = try DatasetSplit.stratified(index, classKind: .digit, seed: 5)
            for part in [SplitPart.train, .test] {
                let forget = split.recordings(in: part, of: ["0", "2"])
                let retain = split.recordings(in: part, excluding: ["0", "2"])
                #expect(forget.allSatisfy { $0.digit == 0 || $0.digit == 2 })
                #expect(retain.allSatisfy { $0.digit == 1 })
                #expect(forget.count + retain.count == split[part].count)
            }
        }
    }

    @Test("Unsupported class kinds and missing official splits throw")
    func errors() throws {
        try DatasetFixture.withFolder { root in
            try DatasetFixture.audioMNIST(in: root)
            let index = try DatasetIndex(root: root)
            #expect(throws: DatasetError.unsupportedClassKind(.word, layout: .audioMNIST)) {
                try DatasetSplit.stratified(index, classKind: .word, seed: 0)
            }
            #expect(throws: DatasetError.noOfficialSplit(.audioMNIST)) { try DatasetSplit.official(index) }
        }
    }

    @Test("Real FSDD official split: 300 test (takes 0–4 of 60 digit-speaker pairs), 2,700 train",
          .enabled(if: DatasetIndexTests.sharedFSDD != nil))
    func realFSDDOfficial() throws {
        let index = try DatasetIndex(root: try #require(DatasetIndexTests.sharedFSDD))
        let split = try DatasetSplit.official(index)
        #expect(split.test.count == 300 && split.train.count == 2_700)
        let pairs = Dictionary(grouping: split.test) { "\($0.digit!)_\($0.speaker)" }
        #expect(pairs.count == 60 && pairs.values.allSatisfy { $0.count == 5 })
        expectInvariants(split, of: index)
        let stratified = try DatasetSplit.stratified(index, classKind: .digit, testFraction: 0.2, seed: 0)
        #expect(stratified.test.count == 600)
        expectInvariants(stratified, of: index)
    }
}
