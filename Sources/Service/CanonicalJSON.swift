import Crypto
import Foundation

/// The one way the service turns a value into the bytes it hashes and signs: JSON with sorted keys, no
/// white space and unescaped slashes, so the same value always gives the same bytes.
///
/// Signatures cover these bytes as stored, never a re-encoding, so a verifier on another machine needs
/// the bytes, not the same JSON encoder.
enum CanonicalJSON {
    static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func text<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }
}

/// SHA-256 of `data` in lower-case hexadecimal (64 characters): how the service names checkpoints,
/// chains ledger entries and keeps tokens.
func sha256Hex(_ data: some DataProtocol) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

/// SHA-256 of `text`'s UTF-8 bytes, in hexadecimal.
func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }
