import Foundation
import NeuralNetworks
import Tensors
import TestSupport
import Testing

/// safetensors checkpoints: round trips, files written by Python's `safetensors` library
/// (`Fixtures/make_safetensors_fixtures.py` documents them and how to regenerate them), every kind of
/// bad file, strict all-or-nothing loading into a model, and atomic writes.
///
/// Decoded values are compared bit for bit, not with `closeness`: every conversion here is exact, and
/// `-0.0`, subnormals, infinities and NaN must survive it. Model outputs are compared with `closeness`.
@Suite struct SafeTensorsTests {
    // MARK: Round trips

    @Test func roundTripThroughFileKeepsNamesOrderShapesValuesAndMetadata() throws {
        var g = SplitMix64(seed: 3)
        let original = SafeTensors([
            ("z.last.first", .randomNormal([2, 3, 4, 5], using: &g)),
            ("a.scalar", Tensor(-0.0)),
            ("empty", .zeros([0, 3])),
            ("specials", Tensor([.infinity, -.infinity, .nan, 0x1p-149, .greatestFiniteMagnitude])),
            ("naïve \"quoted\"\\name", Tensor(shape: [1, 1], scalars: [42])),
        ], metadata: ["architecture": "cnn", "note": "line 1\nline 2\t\"quoted\" \u{1} €", "": "empty key"])
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("model.safetensors")
            try original.write(to: url)
            let read = try SafeTensors(contentsOf: url)
            #expect(read.names == original.names)
            #expect(read.metadata == original.metadata)
            for ((name, expected), (_, actual)) in zip(original.tensors, read.tensors) {
                #expect(actual.shape == expected.shape, "\(name)")
                #expect(bits(actual) == bits(expected), "\(name)")
            }
            let bytes = try Data(contentsOf: url)
            #expect(bytes == original.serialized(), "the file holds exactly the serialized bytes")
            #expect(headerLength(of: bytes) % 8 == 0, "the header is padded to 8 bytes, as the reference writer does")
        }
    }

    @Test func modelSavesAndLoadsIntoAFreshlyInitialisedCopy() throws {
        func makeModel(seed: UInt64) -> Sequential {
            var g = SplitMix64(seed: seed)
            return Sequential([Linear(inputCount: 4, outputCount: 3, using: &g), BatchNorm2d(featureCount: 3), ReLU(),
                               Linear(inputCount: 3, outputCount: 2, bias: false, using: &g)])
        }
        let trained = makeModel(seed: 1)
        _ = trained(Tensor(shape: [5, 4], scalars: (0..<20).map { Float($0) / 7 }))   // move the running statistics
        let fresh = makeModel(seed: 2)
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("model.safetensors")
            try trained.save(to: url, metadata: ["seed": "1"])
            #expect(try fresh.load(from: url) == ["seed": "1"])
        }
        #expect(fresh.namedParameters().map(\.name) == trained.namedParameters().map(\.name))
        for ((name, expected), (_, actual)) in zip(trained.namedParameters(), fresh.namedParameters()) {
            #expect(bits(actual.value) == bits(expected.value), "\(name)")
        }
        let x = Tensor(shape: [2, 4], scalars: [0.5, -1, 2, 0, 1, 1, -3, 0.25])
        trained.setTraining(false)
        fresh.setTraining(false)
        #expect(closeness(fresh(x), trained(x)).passed)
    }

    @Test func checkpointMetadataRoundTripsThroughTheFile() throws {
        let metadata = CheckpointMetadata(architecture: "resnet18", classNames: ["george", "jackson", "ünï \"q\""],
                                          seed: .max, featureSettings: ["sampleRate": 16_000, "mean": -4.25, "odd": .nan],
                                          additional: ["trained_by": "test"])
        var g = SplitMix64(seed: 4)
        let model = Linear(inputCount: 2, outputCount: 3, using: &g)
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("model.safetensors")
            try model.save(to: url, metadata: metadata)
            let read = try CheckpointMetadata(SafeTensors(contentsOf: url).metadata, file: url.path)
            #expect(read.architecture == "resnet18" && read.classNames == metadata.classNames && read.seed == .max)
            #expect(read.featureSettings["sampleRate"] == 16_000 && read.featureSettings["mean"] == -4.25)
            #expect(read.featureSettings["odd"]?.isNaN == true && read.additional == ["trained_by": "test"])
        }
        #expect(metadata.entries["class_names"] == #"["george","jackson","ünï \"q\""]"#)
    }

    @Test(arguments: [
        (["class_names": "[]"], "architecture"),
        (["architecture": "cnn"], "class_names"),
        (["architecture": "cnn", "class_names": "zero, one"], "class_names"),
        (["architecture": "cnn", "class_names": "[]", "seed": "-1"], "seed"),
        (["architecture": "cnn", "class_names": "[]", "feature_settings": #"{"mean": "high"}"#], "feature_settings"),
    ])
    func invalidMetadataNamesTheEntry(entries: [String: String], key: String) {
        let error = #expect(throws: CheckpointError.self) { try CheckpointMetadata(entries, file: "m.safetensors") }
        guard case .invalidMetadata(let actualKey, _) = error?.problem else {
            Issue.record("expected invalidMetadata, got \(String(describing: error))")
            return
        }
        #expect(actualKey == key)
        #expect(error?.description.hasPrefix("m.safetensors: metadata entry \(key)") == true)
    }

    // MARK: Files written by Python's safetensors

    @Test func readsEveryDTypeThatPythonWrites() throws {
        let file = try SafeTensors(contentsOf: fixture("python_dtypes"))
        #expect(Set(file.names) == ["f32", "f16", "bf16", "f64", "i64", "i32"])
        #expect(file.metadata == ["class_names": #"["zero", "één", "\"quoted\""]"#])
        let expected: [String: (shape: [Int], values: [Float])] = [
            "f32": ([2, 3], [1, -2.5, 0.375, 0x1p127, -0.0, 0x1p-140]),
            "f16": ([2, 4], [1.5, -2.25, 65504, 0x1p-24, 0, .infinity, -.infinity, .nan]),
            "bf16": ([2, 3], [1, -3.140625, 0x1p100, 0x1p-130, -0.0, .infinity]),
            "f64": ([2], [0.25, -1e10]),
            "i64": ([4], [-3, 0, 5, 0x1p40]),
            "i32": ([2, 1], [7, -8]),
        ]
        for (name, (shape, values)) in expected {
            let tensor = try #require(file[name], "\(name) is missing")
            #expect(tensor.shape == shape, "\(name)")
            #expect(bits(tensor) == values.map(\.bitPattern), "\(name): \(tensor.scalars) vs \(values)")
        }
    }

    @Test func loadsAPythonStateDictWithInt64BatchCounter() throws {
        var g = SplitMix64(seed: 5)
        let model = Sequential([Linear(inputCount: 3, outputCount: 2, using: &g), BatchNorm2d(featureCount: 2)])
        #expect(try model.load(from: fixture("python_state_dict")) == ["architecture": "sequential"])
        model.setTraining(false)
        // Linear: [0.5, −1, 2]·[1, 2, 3] + 0.125 = 4.625 and [0.25, 0, −0.75]·[1, 2, 3] − 0.5 = −2.5;
        // batch norm: (z − μ)/√(σ² + ε)·γ + β with μ = [0.0625, −2], σ² = [4, 0.5], γ = [1.5, 0.5], β = [−0.25, 0.75].
        let expected = Tensor(shape: [1, 2], scalars: [(4.625 - 0.0625) / (4 + 1e-5).squareRoot() * 1.5 - 0.25,
                                                       (-2.5 + 2) / (0.5 + 1e-5).squareRoot() * 0.5 + 0.75])
        let comparison = closeness(model(Tensor(shape: [1, 3], scalars: [1, 2, 3])), expected)
        #expect(comparison.passed, "\(comparison)")
        let batchNorm = try #require(model.layers[1] as? BatchNorm2d)
        #expect(batchNorm.batchesTracked.shape == [] && batchNorm.batchesTracked.value.item == 12)
    }

    // MARK: Bad files

    @Test(arguments: BadFile.all)
    func badFileThrowsItsError(_ bad: BadFile) {
        let error = #expect(throws: CheckpointError.self) { try SafeTensors(data: Data(bad.bytes), file: "bad.safetensors") }
        guard let error else { return }
        #expect(error.file == "bad.safetensors")
        if case .malformedHeader(let expectedReason) = bad.expected, case .malformedHeader(let reason) = error.problem {
            #expect(reason.contains(expectedReason), "\(bad.name): \(reason)")
        } else {
            #expect(error.problem == bad.expected, "\(bad.name): \(error)")
        }
    }

    @Test func everyTruncationOfAValidFileThrows() throws {
        let bytes = SafeTensors([("a", Tensor([1, 2, 3])), ("b", .zeros([2, 2]))], metadata: ["k": "v"]).serialized()
        for count in 0..<bytes.count {
            #expect(throws: CheckpointError.self, "first \(count) bytes") { try SafeTensors(data: bytes.prefix(count)) }
        }
        #expect(try SafeTensors(data: bytes).names == ["a", "b"])
        #expect(try SafeTensors(data: (Data([0xAA]) + bytes).dropFirst()).names == ["a", "b"],
                "a Data slice that does not start at index 0 reads too")
    }

    @Test func truncatedDataIsDescribedWithTheFileAndTheFix() {
        let error = CheckpointError(file: "runs/model.safetensors",
                                    problem: .tensorBeyondData(tensor: "fc.weight", span: 0..<4000, dataByteCount: 3000))
        #expect(error.description == "runs/model.safetensors: header says tensor fc.weight spans bytes 0..<4000 but "
                + "the data section holds 3000 bytes (truncated file? write or fetch it again)")
        #expect(error.localizedDescription == error.description)
    }

    @Test func unreadablePathsThrowUnreadable() throws {
        try withTemporaryDirectory { directory in
            for url in [directory.appendingPathComponent("absent.safetensors"), directory] {
                let error = #expect(throws: CheckpointError.self) { try SafeTensors(contentsOf: url) }
                guard case .unreadable = error?.problem else { Issue.record("\(String(describing: error))"); continue }
                #expect(error?.file == url.path)
            }
        }
    }

    // MARK: Loading into a model

    @Test func loadListsMissingUnexpectedAndMisshapedTensorsAndChangesNothing() throws {
        var g = SplitMix64(seed: 6)
        let model = Sequential([Linear(inputCount: 3, outputCount: 2, using: &g), BatchNorm2d(featureCount: 2)])
        let before = model.namedParameters().map { ($0.name, bits($0.parameter.value)) }
        var tensors = model.state().tensors.filter { $0.name != "1.running_var" }
            .map { (name: $0.name, tensor: $0.name == "0.weight" ? Tensor.ones([3, 2]) : $0.tensor + 1) }
        tensors.append(("2.weight", .ones([4])))
        let error = #expect(throws: CheckpointError.self) { try model.loadState(from: SafeTensors(tensors)) }
        #expect(error?.problem == .stateMismatch(
            missing: ["1.running_var"], unexpected: ["2.weight"],
            misshaped: [.init(name: "0.weight", modelShape: [2, 3], fileShape: [3, 2])]))
        let description = error?.description ?? ""
        for part in ["1.running_var", "2.weight", "0.weight: model [2, 3], file [3, 2]"] {
            #expect(description.contains(part), "\(description)")
        }
        let after = model.namedParameters().map { ($0.name, bits($0.parameter.value)) }
        #expect(after.elementsEqual(before) { $0.0 == $1.0 && $0.1 == $1.1 }, "a failed load changed the model")
    }

    @Test func loadFromFileNamesTheFileInAMismatch() throws {
        var g = SplitMix64(seed: 7)
        let small = Linear(inputCount: 2, outputCount: 2, using: &g)
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("small.safetensors")
            try small.save(to: url)
            let error = #expect(throws: CheckpointError.self) {
                try Linear(inputCount: 3, outputCount: 2, using: &g).load(from: url)
            }
            #expect(error?.file == url.path && error?.description.hasPrefix(url.path + ": the tensors do not match") == true)
        }
    }

    // MARK: Atomic writes

    @Test func writingIntoAMissingDirectoryThrowsAndLeavesNothing() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("absent/model.safetensors")
            let error = #expect(throws: CheckpointError.self) { try SafeTensors([("a", Tensor([1]))]).write(to: url) }
            let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(left.isEmpty, "a failed write left \(left)")
            guard case .writeFailed(let reason) = error?.problem else { Issue.record("\(String(describing: error))"); return }
            #expect(reason.contains("does not exist") && error?.file == url.path)
        }
    }

    @Test func overwriteReplacesTheOldFileCompletely() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("model.safetensors")
            try SafeTensors([("big", .ones([1000]))], metadata: ["version": "old"]).write(to: url)
            let new = SafeTensors([("small", Tensor([2, 3]))], metadata: ["version": "new"])
            try new.write(to: url)
            #expect(try Data(contentsOf: url) == new.serialized())
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"],
                    "no temporary file is left behind")
        }
    }

    @Test func writingOverADirectoryThrowsAndLeavesNoTemporaryFile() throws {
        try withTemporaryDirectory { directory in
            let target = directory.appendingPathComponent("taken")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
            #expect(throws: CheckpointError.self) { try SafeTensors([("a", Tensor([1]))]).write(to: target) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["taken"])
        }
    }
}

// MARK: Helpers

/// The element bit patterns, so that `-0.0` differs from `0` and NaN equals NaN.
private func bits(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

private func headerLength(of bytes: Data) -> Int {
    bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
}

private func fixture(_ name: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"),
                 "Fixtures/\(name).safetensors is missing; run Fixtures/make_safetensors_fixtures.py")
}

private func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try body(directory)
}

/// A defective file and the error it must throw. For `.malformedHeader` the expected reason is a part of
/// the actual one (the JSON parser's words vary); every other case is compared whole.
struct BadFile: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let expected: CheckpointError.Problem
    var testDescription: String { name }

    init(_ name: String, _ bytes: [UInt8], _ expected: CheckpointError.Problem) {
        (self.name, self.bytes, self.expected) = (name, bytes, expected)
    }

    /// The 8-byte little-endian header length.
    static func length(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// A file with `header` and `dataByteCount` zero bytes of data.
    static func file(_ header: String, dataByteCount: Int = 0) -> [UInt8] {
        length(UInt64(header.utf8.count)) + Array(header.utf8) + [UInt8](repeating: 0, count: dataByteCount)
    }

    /// A header of one F32 tensor `a` per `(shape, offsets)` pair, named `a`, `b`, ….
    static func f32(_ entries: [(shape: String, offsets: String)], dataByteCount: Int, dtype: String = "F32") -> [UInt8] {
        let fields = entries.enumerated().map { index, entry in
            #""\#(["a", "b", "c"][index])": {"dtype": "\#(dtype)", "shape": \#(entry.shape), "data_offsets": \#(entry.offsets)}"#
        }
        return file("{" + fields.joined(separator: ", ") + "}", dataByteCount: dataByteCount)
    }

    static let all: [BadFile] = [
        BadFile("empty file", [], .missingHeaderLength(byteCount: 0)),
        BadFile("truncated header length", [16, 0, 0], .missingHeaderLength(byteCount: 3)),
        BadFile("header length larger than the file", length(1000) + Array("{}".utf8),
                .headerExceedsFile(headerByteCount: 1000, availableByteCount: 2)),
        BadFile("header length above the format's limit", length(.max) + Array("{}".utf8),
                .headerTooLarge(headerByteCount: .max)),
        BadFile("binary garbage", length(4) + [0xFF, 0xFE, 0, 1], .malformedHeader(reason: "does not start with")),
        BadFile("header that is a JSON array", file("[1, 2]"), .malformedHeader(reason: "does not start with")),
        BadFile("invalid JSON", file(#"{"a": {"dtype": "F32", "#), .malformedHeader(reason: "not valid UTF-8 JSON")),
        BadFile("invalid UTF-8", length(7) + [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], .malformedHeader(reason: "not valid UTF-8 JSON")),
        BadFile("deeply nested JSON", file(#"{"a": "# + String(repeating: "[", count: 100_000)),
                .malformedHeader(reason: "not valid UTF-8 JSON")),
        BadFile("entry without a shape", file(#"{"a": {"dtype": "F32", "data_offsets": [0, 4]}}"#, dataByteCount: 4),
                .malformedHeader(reason: #""a" has no "shape""#)),
        BadFile("fractional extent", f32([("[1.5]", "[0, 4]")], dataByteCount: 4), .malformedHeader(reason: #""a" → "shape": element 0, 1.5, is not an integer"#)),
        BadFile("metadata value that is not a string", file(#"{"__metadata__": {"seed": 7}}"#),
                .malformedHeader(reason: #""__metadata__" → "seed" is not a string"#)),
        // JSON keeps one entry per name (which one is the parser's choice); the other's bytes are then unclaimed.
        BadFile("tensor named twice", file(#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "#
                                           + #""a": {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]}}"#,
                                           dataByteCount: 8),
                .unclaimedBytes(4..<8)),
        BadFile("offset too large for an Int", f32([("[1]", "[0, 18446744073709551616]")], dataByteCount: 4),
                .malformedHeader(reason: #""a" → "data_offsets": element 1, 1.8446744073709552e+19, is not an integer"#)),
        BadFile("unknown dtype", f32([("[1]", "[0, 4]")], dataByteCount: 4, dtype: "F17"),
                .unsupportedDType(tensor: "a", dtype: "F17")),
        BadFile("unsupported dtype", f32([("[4]", "[0, 4]")], dataByteCount: 4, dtype: "U8"),
                .unsupportedDType(tensor: "a", dtype: "U8")),
        BadFile("negative extent", f32([("[-1, 4]", "[0, 0]")], dataByteCount: 0), .invalidShape(tensor: "a", shape: [-1, 4])),
        BadFile("extents whose product overflows", f32([("[4611686018427387904, 4]", "[0, 0]")], dataByteCount: 0),
                .invalidShape(tensor: "a", shape: [1 << 62, 4])),
        BadFile("offsets in reverse", f32([("[1]", "[8, 4]")], dataByteCount: 8), .invalidOffsets(tensor: "a", offsets: [8, 4])),
        BadFile("three offsets", f32([("[1]", "[0, 4, 8]")], dataByteCount: 8), .invalidOffsets(tensor: "a", offsets: [0, 4, 8])),
        BadFile("negative offset", f32([("[1]", "[-4, 0]")], dataByteCount: 4), .invalidOffsets(tensor: "a", offsets: [-4, 0])),
        BadFile("offsets that lie about the shape", f32([("[2]", "[0, 12]")], dataByteCount: 12),
                .byteCountMismatch(tensor: "a", dtype: "F32", shape: [2], expectedByteCount: 8, span: 0..<12)),
        BadFile("offsets past the data", f32([("[3]", "[0, 12]")], dataByteCount: 8),
                .tensorBeyondData(tensor: "a", span: 0..<12, dataByteCount: 8)),
        BadFile("overlapping tensors", f32([("[2]", "[0, 8]"), ("[2]", "[4, 12]")], dataByteCount: 12),
                .overlappingTensors(first: "a", firstSpan: 0..<8, second: "b", secondSpan: 4..<12)),
        BadFile("gap between tensors", f32([("[1]", "[0, 4]"), ("[1]", "[8, 12]")], dataByteCount: 12), .unclaimedBytes(4..<8)),
        BadFile("bytes after the last tensor", f32([("[1]", "[0, 4]")], dataByteCount: 8), .unclaimedBytes(4..<8)),
        BadFile("truncated data", Array(SafeTensors([("fc.weight", .ones([1000]))]).serialized().dropLast(1000)),
                .tensorBeyondData(tensor: "fc.weight", span: 0..<4000, dataByteCount: 3000)),
    ]
}
