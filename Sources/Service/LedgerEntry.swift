import Crypto
import Foundation

/// What the ledger records about one carried-out erasure: enough for an auditor to check, without the
/// operator's database, who was erased from which model, when, how, and with what evidence.
///
/// The subjects are not named: each is a commitment `sha256:` + SHA-256(salt ‖ name) with a random
/// salt per subject that the operator's database keeps beside the request (the name of a person is
/// itself personal data). Showing an auditor the name and the salt opens a commitment; without them it
/// reveals nothing, not even to someone who tries every speaker name.
public struct LedgerRecord: Codable, Sendable, Equatable {
    /// The erasure request's id, and the requester's own reference (a ticket number).
    public var request: String
    public var reference: String
    public var subjects: [String]
    public var model: String
    public var before: ModelVersionReference
    public var after: ModelVersionReference
    public var method: String
    public var preset: String?
    /// `exact` or `outputs only` (``Unlearning/ErasureGrade``).
    public var grade: String
    /// The method's settings as run (its flattened configuration).
    public var configuration: [String: String]
    public var seed: UInt64
    /// The before/after figures: `before.RA`, `after.FA`, … in percent, and the erasure's seconds.
    public var metrics: [String: Double]
    /// The audit's verdict and the tests outside the oracles' band; `nil` for an exact erasure.
    public var audit: AuditEvidence?
    /// `qpae --version` of the code that ran it.
    public var codeVersion: String
    /// When it completed, ISO 8601 UTC.
    public var time: String
}

/// One model version: its number within the model and the SHA-256 of its checkpoint file.
public struct ModelVersionReference: Codable, Sendable, Equatable {
    public var version: Int
    public var sha256: String
}

/// The audit behind an erasure, as the ledger keeps it.
public struct AuditEvidence: Codable, Sendable, Equatable {
    public var verdict: String
    public var oracles: Int
    /// The tests whose value fell outside the oracles' band.
    public var failedTests: [String]
}

/// A ledger entry as signed: its place in the chain and the record. Its canonical JSON (``text``) is
/// what is hashed; the hash is what is signed.
public struct LedgerEntry: Codable, Sendable, Equatable {
    /// 1 for the first entry, then one more per entry.
    public var sequence: Int
    /// The previous entry's ``SignedLedgerEntry/hash``; 64 zeros for the first.
    public var previousHash: String
    public var record: LedgerRecord

    public static let genesisHash = String(repeating: "0", count: 64)
}

/// A ledger entry with its proof: the exact bytes that were hashed (``text``), their SHA-256 and the
/// service's Ed25519 signature of that hash.
public struct SignedLedgerEntry: Codable, Sendable, Equatable {
    public var sequence: Int
    /// The canonical JSON of the ``LedgerEntry``, byte for byte as hashed.
    public var text: String
    /// SHA-256 of ``text`` in hexadecimal.
    public var hash: String
    /// The Ed25519 signature of the 32 bytes of ``hash``, in base64.
    public var signature: String

    /// `entry` hashed and signed by `identity`.
    public init(signing entry: LedgerEntry, with identity: SigningIdentity) throws {
        let text = try CanonicalJSON.encode(entry)
        let digest = Data(SHA256.hash(data: text))
        sequence = entry.sequence
        self.text = String(decoding: text, as: UTF8.self)
        hash = sha256Hex(text)
        signature = try identity.privateKey.signature(for: digest).base64EncodedString()
    }

    public init(sequence: Int, text: String, hash: String, signature: String) {
        self.sequence = sequence
        self.text = text
        self.hash = hash
        self.signature = signature
    }

    /// The entry the text holds.
    public var entry: LedgerEntry {
        get throws { try JSONDecoder().decode(LedgerEntry.self, from: Data(text.utf8)) }
    }

    /// The first thing about this entry alone that does not hold, or `nil` when its text hashes to
    /// ``hash``, the signature of that hash verifies with `key`, and the text's own sequence number
    /// matches ``sequence``.
    public func problem(verifyingWith key: Curve25519.Signing.PublicKey) -> String? {
        guard sha256Hex(text) == hash else { return "its contents do not hash to its recorded hash (edited)" }
        guard let signature = Data(base64Encoded: signature), let digest = Self.bytes(ofHex: hash),
              key.isValidSignature(signature, for: digest) else {
            return "its signature does not verify with the public key"
        }
        guard let entry = try? entry else { return "its contents are not a ledger entry" }
        guard entry.sequence == sequence else {
            return "it is stored as entry \(sequence) but was signed as entry \(entry.sequence) (moved)"
        }
        return nil
    }

    static func bytes(ofHex hex: String) -> Data? {
        guard hex.count % 2 == 0 else { return nil }
        var data = Data(capacity: hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index ..< next], radix: 16) else { return nil }
            data.append(byte)
            index = next
        }
        return data
    }
}

/// The outcome of checking a whole ledger: how many entries held, and the first that did not.
public struct LedgerVerification: Sendable, Equatable, CustomStringConvertible {
    public var verifiedCount: Int
    /// The first entry that does not match and why; `nil` when the whole chain holds.
    public var firstProblem: (sequence: Int, problem: String)?

    public var isValid: Bool { firstProblem == nil }

    public static func == (left: Self, right: Self) -> Bool {
        left.verifiedCount == right.verifiedCount && left.firstProblem?.sequence == right.firstProblem?.sequence
            && left.firstProblem?.problem == right.firstProblem?.problem
    }

    public var description: String {
        if let firstProblem {
            return "ledger INVALID at entry \(firstProblem.sequence): \(firstProblem.problem) "
                + "(\(verifiedCount) entr\(verifiedCount == 1 ? "y" : "ies") before it verified)"
        }
        return "ledger valid: \(verifiedCount) entr\(verifiedCount == 1 ? "y" : "ies"), every hash chained and every signature verified"
    }

    /// Checks `entries` (in stored order) as one chain: numbered 1, 2, … without gaps, each naming its
    /// predecessor's hash, each hashing and verifying on its own (``SignedLedgerEntry/problem(verifyingWith:)``).
    ///
    /// An edited entry fails its hash or signature; a deleted one leaves a gap in the numbers; a moved
    /// one is stored under a number it was not signed with. Removing the newest entries is the one
    /// change a chain cannot show by itself: compare the head with a certificate or a copy kept elsewhere.
    public static func verify(_ entries: some Sequence<SignedLedgerEntry>,
                              with key: Curve25519.Signing.PublicKey) -> LedgerVerification {
        var previousHash = LedgerEntry.genesisHash
        var count = 0
        for stored in entries {
            let expected = count + 1
            func failure(_ problem: String) -> LedgerVerification {
                LedgerVerification(verifiedCount: count, firstProblem: (stored.sequence, problem))
            }
            guard stored.sequence == expected else {
                return LedgerVerification(verifiedCount: count, firstProblem: (
                    expected, stored.sequence > expected ? "missing (the next stored entry is \(stored.sequence): deleted)"
                        : "stored after entry \(count) but numbered \(stored.sequence) (reordered or duplicated)"))
            }
            if let problem = stored.problem(verifyingWith: key) { return failure(problem) }
            guard let entry = try? stored.entry, entry.previousHash == previousHash else {
                return failure("it does not name entry \(count)'s hash as its predecessor (the chain is broken)")
            }
            previousHash = stored.hash
            count += 1
        }
        return LedgerVerification(verifiedCount: count, firstProblem: nil)
    }
}
