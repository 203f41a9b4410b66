import Crypto
import Foundation

/// The proof of one completed erasure that leaves the service: its ledger entry exactly as signed, the
/// signature, the signer's public key, and a readable copy of the record.
///
/// Anyone holding the service's public key can check it offline, on another machine
/// (`qpae certificate verify FILE --public-key KEY`): the signed text must hash to the recorded hash,
/// the signature must verify with the key they were given (not merely the one the file names), the
/// readable copy must say what the signed text says, and the file must be byte for byte the document
/// the service wrote, so that no byte of it can change unnoticed.
public struct ErasureCertificate: Codable, Sendable, Equatable {
    public static let formatName = "qpae-erasure-certificate/1"

    public var format: String
    public var publicKey: String
    public var entry: SignedLedgerEntry
    /// The record the signed text holds, for reading.
    public var record: LedgerRecord

    public init(entry: SignedLedgerEntry, publicKey: String) throws {
        format = Self.formatName
        self.publicKey = publicKey
        self.entry = entry
        record = try entry.entry.record
    }

    /// The file's bytes: pretty-printed JSON with sorted keys, the one form ``verify(_:file:publicKey:)`` accepts.
    public func fileContents() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The certificate in `data` (read from `file`, for messages) after checking it against `publicKey`.
    ///
    /// - Throws: ``ServiceError/certificateRejected(_:problem:)`` naming the first check that fails.
    public static func verify(_ data: Data, file: String, publicKey: Curve25519.Signing.PublicKey) throws -> ErasureCertificate {
        func rejected(_ problem: String) -> ServiceError { .certificateRejected(file, problem: problem) }
        guard let certificate = try? JSONDecoder().decode(ErasureCertificate.self, from: data) else {
            throw rejected("not a certificate (the JSON does not parse as one)")
        }
        guard certificate.format == formatName else { throw rejected("unknown format \"\(certificate.format)\"") }
        guard certificate.publicKey == SigningIdentity.text(of: publicKey) else {
            throw rejected("it names the signer \(certificate.publicKey), not the public key given")
        }
        if let problem = certificate.entry.problem(verifyingWith: publicKey) { throw rejected("the ledger entry: \(problem)") }
        guard (try? certificate.entry.entry.record) == certificate.record else {
            throw rejected("its readable record differs from the signed one")
        }
        guard (try? certificate.fileContents()) == data else {
            throw rejected("the file is not byte for byte the certificate the service wrote (edited or re-encoded)")
        }
        return certificate
    }
}
