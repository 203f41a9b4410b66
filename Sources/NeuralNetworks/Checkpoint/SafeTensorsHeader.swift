import Foundation

/// The parsed and validated JSON header of a safetensors file: where each tensor's bytes lie and what
/// they mean, plus the metadata map. Internal: ``SafeTensors/init(data:file:)`` is the way in.
///
/// Validation follows the reference implementation (`safetensors` `Metadata::validate`): every dtype is
/// known, every shape is non-negative without overflow, every span is `[begin, end]` inside the data
/// section with `end − begin = elements × dtype size`, and the spans, sorted, tile the data section
/// from byte 0 to its end with no gap and no overlap. Each check throws the ``CheckpointError`` case
/// that names it; nothing here traps on any input. A name given twice in the JSON keeps one of its
/// entries (Foundation's JSON objects, like serde's maps, hold one value per key); the other entry's
/// bytes then belong to no tensor, and the file is rejected for that.
struct SafeTensorsHeader {
    struct Entry {
        let name: String
        let dtype: SafeTensors.DType
        let shape: [Int]
        let span: Range<Int>
    }

    /// The tensors in the order of their bytes.
    let entries: [Entry]
    let metadata: [String: String]

    /// Parses `json` (the header bytes) and checks every entry against a data section of `dataByteCount`
    /// bytes; `file` only names the file in errors.
    init(json: Data, dataByteCount: Int, file: String?) throws {
        func failure(_ problem: CheckpointError.Problem) -> CheckpointError {
            CheckpointError(file: file, problem: problem)
        }
        // The reference implementation insists on an object; checking the first byte also turns away
        // binary garbage before the JSON parser sees it.
        guard json.first == UInt8(ascii: "{") else {
            throw failure(.malformedHeader(reason: "it does not start with \"{\" (not a safetensors file?)"))
        }
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: json)
        } catch let error as DecodingError {
            throw failure(.malformedHeader(reason: Self.explain(error)))
        } catch {
            throw failure(.malformedHeader(reason: "\(error)"))
        }
        var entries: [Entry] = []
        for (name, entry) in raw.entries {
            entries.append(try Self.validate(entry, name: name, dataByteCount: dataByteCount, failure: failure))
        }
        entries.sort { ($0.span.lowerBound, $0.span.upperBound, $0.name) < ($1.span.lowerBound, $1.span.upperBound, $1.name) }
        var claimedEnd = 0
        for (index, entry) in entries.enumerated() {
            if entry.span.lowerBound < claimedEnd {
                let previous = entries[index - 1]
                throw failure(.overlappingTensors(first: previous.name, firstSpan: previous.span,
                                                  second: entry.name, secondSpan: entry.span))
            }
            if entry.span.lowerBound > claimedEnd { throw failure(.unclaimedBytes(claimedEnd..<entry.span.lowerBound)) }
            claimedEnd = entry.span.upperBound
        }
        if claimedEnd < dataByteCount { throw failure(.unclaimedBytes(claimedEnd..<dataByteCount)) }
        self.entries = entries
        self.metadata = raw.metadata
    }

    /// One entry checked on its own: dtype, shape, offsets, size, bounds.
    private static func validate(_ entry: RawEntry, name: String, dataByteCount: Int,
                                 failure: (CheckpointError.Problem) -> CheckpointError) throws -> Entry {
        guard let dtype = SafeTensors.DType(rawValue: entry.dtype) else {
            throw failure(.unsupportedDType(tensor: name, dtype: entry.dtype))
        }
        var byteCount = dtype.byteCount
        for extent in entry.shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: extent)
            guard extent >= 0, !overflow else { throw failure(.invalidShape(tensor: name, shape: entry.shape)) }
            byteCount = product
        }
        let offsets = entry.dataOffsets
        guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw failure(.invalidOffsets(tensor: name, offsets: offsets))
        }
        let span = offsets[0]..<offsets[1]
        guard span.count == byteCount else {
            throw failure(.byteCountMismatch(tensor: name, dtype: dtype.rawValue, shape: entry.shape,
                                             expectedByteCount: byteCount, span: span))
        }
        guard span.upperBound <= dataByteCount else {
            throw failure(.tensorBeyondData(tensor: name, span: span, dataByteCount: dataByteCount))
        }
        return Entry(name: name, dtype: dtype, shape: entry.shape, span: span)
    }

    /// A decoding error as one line: where in the header, and what was wrong there.
    private static func explain(_ error: DecodingError) -> String {
        func place(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the header" : path.map { $0.intValue.map { "[\($0)]" } ?? "\"\($0.stringValue)\"" }
                .joined(separator: " → ")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(place(context.codingPath)) is not \(type == String.self ? "a string" : "of the expected type (\(type))")"
        case .valueNotFound(_, let context):
            return "\(place(context.codingPath)) is null"
        case .keyNotFound(let key, let context):
            return "\(place(context.codingPath)) has no \"\(key.stringValue)\""
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return context.codingPath.isEmpty ? "not valid UTF-8 JSON\(underlying)"
                : "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The header as JSON gives it, before any checks: `__metadata__` and one ``RawEntry`` per other key.
private struct RawHeader: Decodable {
    var entries: [(name: String, entry: RawEntry)] = []
    var metadata: [String: String] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: NameKey.self)
        for key in container.allKeys {
            if key.stringValue == SafeTensors.metadataKey {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                entries.append((key.stringValue, try container.decode(RawEntry.self, forKey: key)))
            }
        }
    }
}

/// One tensor's header entry; keys other than these three are ignored.
private struct RawEntry: Decodable {
    let dtype: String
    let shape: [Int]
    let dataOffsets: [Int]

    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dtype = try container.decode(String.self, forKey: .dtype)
        shape = try Self.integers(in: container, forKey: .shape)
        dataOffsets = try Self.integers(in: container, forKey: .dataOffsets)
    }

    /// A JSON array of integers. Decoded one by one because Foundation reports a number that is not
    /// an `Int` (`1.5`, `1e30`) as "not valid JSON" with no location; this names the entry and the number.
    private static func integers(in container: KeyedDecodingContainer<CodingKeys>, forKey key: CodingKeys) throws -> [Int] {
        var list = try container.nestedUnkeyedContainer(forKey: key)
        var result: [Int] = []
        while !list.isAtEnd {
            if let value = try? list.decode(Int.self) {
                result.append(value)
                continue
            }
            let number = try list.decode(Double.self)       // anything else: a type mismatch with its path
            throw DecodingError.dataCorrupted(.init(codingPath: list.codingPath, debugDescription:
                "element \(result.count), \(number), is not an integer that fits in an Int"))
        }
        return result
    }
}

/// Any string key: tensor names are data, not a fixed set.
private struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
