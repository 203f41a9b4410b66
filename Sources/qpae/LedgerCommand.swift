import ArgumentParser
import Foundation
import Service

struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Check the service's ledger.", subcommands: [LedgerVerifyCommand.self])
}

struct LedgerVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the ledger's hash chain and every signature; name the first entry that does not match.",
        discussion: "Exits with status 1 when the ledger does not verify. Deleting the newest entries is the one change a chain cannot show by itself: compare the head with a certificate or a copy kept elsewhere.")

    @OptionGroup var folder: DataFolderOption

    @Option(help: ArgumentHelp("The public key to verify with (a file or the key's text); by default the data folder's signing-key.pub.",
                               valueName: "key"))
    var publicKey: String?

    func run() async throws {
        let keyText = try publicKey.map(readKeyText) ?? String(contentsOf: folder.url.appendingPathComponent("signing-key.pub"), encoding: .utf8)
        guard let key = SigningIdentity.publicKey(fromText: keyText) else {
            throw ValidationError("--public-key: not an Ed25519 public key (ed25519:BASE64)")
        }
        let verification = try await DatabaseLocation(folder.database).open(folder: folder.url).verifyLedger(with: key)
        print(verification)
        if !verification.isValid { throw ExitCode.failure }
    }
}

struct CertificateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certificate", abstract: "Check an erasure certificate.", subcommands: [CertificateVerifyCommand.self])
}

struct CertificateVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an erasure certificate offline against the service's public key.",
        discussion: """
        Needs only the file and the key (`GET /v1/public-key`, or signing-key.pub in the service's data \
        folder). Exits with status 1 and names the first check that fails.

          qpae certificate verify certificate-3f2a.json --public-key signing-key.pub
        """)

    @Argument(help: ArgumentHelp("The certificate file.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The service's public key: a file holding it or its text (ed25519:BASE64).", valueName: "key"))
    var publicKey: String

    func run() throws {
        guard let key = SigningIdentity.publicKey(fromText: try readKeyText(publicKey)) else {
            throw ValidationError("--public-key \(publicKey): not an Ed25519 public key (ed25519:BASE64)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        do {
            let certificate = try ErasureCertificate.verify(data, file: file, publicKey: key)
            let record = certificate.record
            print("certificate \(file) verified: ledger entry \(certificate.entry.sequence), request \(record.request) "
                  + "(\(record.reference)), \(record.subjects.count) subject(s) forgotten from \(record.model) version "
                  + "\(record.before.version) → \(record.after.version) by \(record.method) (\(record.grade)), "
                  + "audit: \(record.audit?.verdict ?? "none (exact)"), \(record.time)")
        } catch let error as ServiceError {
            print(error)
            throw ExitCode.failure
        }
    }
}

/// A key given as a file's path or as the key's text.
func readKeyText(_ argument: String) throws -> String {
    FileManager.default.fileExists(atPath: argument) ? try String(contentsOf: URL(fileURLWithPath: argument), encoding: .utf8) : argument
}
