import Crypto
import Foundation
import NeuralNetworks

/// The service's Ed25519 key pair: it signs every ledger entry, and so every certificate.
///
/// Made at first start in the data folder: `signing-key` holds the private key and is readable by its
/// owner only (mode 0600, appearing whole and only once, so two instances starting at once share one key);
/// `signing-key.pub` holds the public key in the text form ``publicKeyText`` that auditors are given.
public struct SigningIdentity: Sendable {
    public typealias PublicKey = Curve25519.Signing.PublicKey

    public let privateKey: Curve25519.Signing.PrivateKey

    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }

    /// The public key as text, `ed25519:` and the 32 raw bytes in base64: what `qpae certificate verify
    /// --public-key` reads.
    public var publicKeyText: String { Self.text(of: publicKey) }

    public init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
    }

    static let privatePrefix = "ed25519-private:"
    static let publicPrefix = "ed25519:"

    /// The key pair kept in `folder`, made there when absent.
    ///
    /// - Throws: ``ServiceError/badKeyFile(_:problem:)`` for a key file that is not one of ours or that
    ///   others may read; file-system errors.
    public static func loadOrCreate(in folder: URL) throws -> SigningIdentity {
        let file = folder.appendingPathComponent("signing-key")
        if !FileManager.default.fileExists(atPath: file.path) {
            let identity = SigningIdentity(privateKey: Curve25519.Signing.PrivateKey())
            let text = privatePrefix + identity.privateKey.rawRepresentation.base64EncodedString() + "\n"
            if try AtomicFile.createExclusively(file, with: Data(text.utf8), permissions: 0o600) {
                try AtomicFile.replaceContents(of: folder.appendingPathComponent("signing-key.pub"),
                                               with: Data((identity.publicKeyText + "\n").utf8))
                return identity
            }                                  // another instance made it first: use theirs
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        if let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 != 0 {
            throw ServiceError.badKeyFile(file.path, problem: String(format: "others may read it (mode %o); chmod 600 it", permissions))
        }
        let text = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix(privatePrefix), let raw = Data(base64Encoded: String(text.dropFirst(privatePrefix.count))),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw ServiceError.badKeyFile(file.path, problem: "not an Ed25519 private key written by qpae serve")
        }
        return SigningIdentity(privateKey: key)
    }

    /// `key` as text: `ed25519:` and its raw bytes in base64.
    public static func text(of key: Curve25519.Signing.PublicKey) -> String {
        publicPrefix + key.rawRepresentation.base64EncodedString()
    }

    /// The public key written as ``publicKeyText`` (surrounding white space is ignored), or `nil`.
    public static func publicKey(fromText text: String) -> Curve25519.Signing.PublicKey? {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix(publicPrefix), let raw = Data(base64Encoded: String(text.dropFirst(publicPrefix.count))) else {
            return nil
        }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }
}
