import Crypto
import Foundation
import GRDB
import PostgresNIO
import Testing
import TestSupport
@testable import Service

/// The ledger's chain and signatures, and the certificates cut from it: every kind of tampering named
/// at the entry where it happened, checked on a real database file.
@Suite struct LedgerTests {
    static func record(_ number: Int) -> LedgerRecord {
        LedgerRecord(request: "request-\(number)", reference: "ticket \(number)", subjects: ["sha256:" + String(repeating: "a", count: 64)],
                     model: "fsdd-cnn", before: ModelVersionReference(version: number, sha256: String(repeating: "1", count: 64)),
                     after: ModelVersionReference(version: number + 1, sha256: String(repeating: "2", count: 64)),
                     method: "qpaudioeraser", preset: nil, grade: "outputs only", configuration: ["epochs": "2"], seed: 7,
                     metrics: ["after.FA": 0, "after.RA": 97.25], audit: AuditEvidence(verdict: "outputs only", oracles: 3, failedTests: ["probe recall"]),
                     codeVersion: "test", time: "2026-11-30T12:00:00Z")
    }

    /// A data folder and a fresh `backend` database with `count` ledger entries appended through the
    /// database's own path.
    static func ledger(_ backend: Backend, entries count: Int) async throws
        -> (folder: URL, database: any ServiceDatabase, identity: SigningIdentity) {
        let folder = Scratch.folder("ledger")
        let identity = try SigningIdentity.loadOrCreate(in: folder)
        let database = try await backend.location().open(folder: folder)
        for number in 1 ... max(count, 1) where count > 0 {
            switch database {
            case let sqlite as SQLiteServiceDatabase:
                _ = try await sqlite.pool.write { db in try SQLiteServiceDatabase.appendToLedger(record(number), identity: identity, in: db) }
            case let postgres as PostgresServiceDatabase:
                _ = try await postgres.transaction { connection in
                    try await postgres.appendToLedger(record(number), identity: identity, on: connection)
                }
            default: preconditionFailure("unknown database \(database)")
            }
        }
        return (folder, database, identity)
    }

    /// Runs `sql` on the stored ledger, behind the service's back; with `force`, the append-only
    /// triggers are dropped first (as anyone with the database's owner rights can).
    static func execute(_ sql: String, on database: any ServiceDatabase, force: Bool = true) async throws {
        switch database {
        case let sqlite as SQLiteServiceDatabase:
            try await sqlite.pool.write { db in
                if force { try db.execute(sql: "DROP TRIGGER ledgerIsAppendOnlyUpdate; DROP TRIGGER ledgerIsAppendOnlyDelete") }
                try db.execute(sql: sql)
            }
        case let postgres as PostgresServiceDatabase:
            try await postgres.transaction { connection in
                if force { try await connection.query(#"DROP TRIGGER "ledgerIsAppendOnly" ON ledger"#, logger: postgres.logger) }
                for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: postgres.logger)
                }
            }
        default: preconditionFailure("unknown database \(database)")
        }
    }

    @Test(arguments: Backend.allCases) func anIntactChainVerifiesAndTheDatabaseRefusesEdits(_ backend: Backend) async throws {
        let (_, database, identity) = try await Self.ledger(backend, entries: 4)
        let verification = try await database.verifyLedger(with: identity.publicKey)
        #expect(verification.isValid && verification.verifiedCount == 4)
        let entries = try await database.ledgerEntries()
        #expect(try entries.map { try $0.entry.previousHash } == [LedgerEntry.genesisHash] + entries.dropLast().map(\.hash))
        await #expect(throws: (any Error).self) { try await Self.execute("DELETE FROM ledger WHERE sequence = 2", on: database, force: false) }
        await #expect(throws: (any Error).self) { try await Self.execute("UPDATE ledger SET text = 'x'", on: database, force: false) }
        #expect(try await database.ledgerEntries().count == 4)
        let other = Curve25519.Signing.PrivateKey().publicKey
        #expect(try await database.verifyLedger(with: other).firstProblem?.sequence == 1)
    }

    @Test(arguments: Backend.allCases) func anEditedEntryIsNamed(_ backend: Backend) async throws {
        let (_, database, identity) = try await Self.ledger(backend, entries: 4)
        try await Self.execute("UPDATE ledger SET text = replace(text, '97.25', '99.25') WHERE sequence = 3", on: database)
        let verification = try await database.verifyLedger(with: identity.publicKey)
        #expect(verification.verifiedCount == 2 && verification.firstProblem?.sequence == 3)
        #expect(verification.firstProblem?.problem.contains("edited") == true)
    }

    @Test(arguments: Backend.allCases) func anEditRehashedWithoutTheKeyFailsItsSignature(_ backend: Backend) async throws {
        let (_, database, identity) = try await Self.ledger(backend, entries: 3)
        let second = try await database.ledgerEntry(2)
        let text = second.text.replacingOccurrences(of: "ticket 2", with: "ticket 9")
        try await Self.execute("UPDATE ledger SET text = '\(text)', hash = '\(sha256Hex(text))' WHERE sequence = 2", on: database)
        let verification = try await database.verifyLedger(with: identity.publicKey)
        #expect(verification.firstProblem?.sequence == 2)
        #expect(verification.firstProblem?.problem.contains("signature") == true)
    }

    @Test(arguments: Backend.allCases) func aDeletedEntryIsNamed(_ backend: Backend) async throws {
        let (_, database, identity) = try await Self.ledger(backend, entries: 4)
        try await Self.execute("DELETE FROM ledger WHERE sequence = 2", on: database)
        let verification = try await database.verifyLedger(with: identity.publicKey)
        #expect(verification.verifiedCount == 1 && verification.firstProblem?.sequence == 2)
        #expect(verification.firstProblem?.problem.contains("deleted") == true)
    }

    @Test(arguments: Backend.allCases) func reorderedEntriesAreNamed(_ backend: Backend) async throws {
        let (_, database, identity) = try await Self.ledger(backend, entries: 4)
        // Swap entries 2 and 3 wholesale (each keeps its own valid hash and signature).
        try await Self.execute("""
            UPDATE ledger SET sequence = -2 WHERE sequence = 2;
            UPDATE ledger SET sequence = 2 WHERE sequence = 3;
            UPDATE ledger SET sequence = 3 WHERE sequence = -2;
            """, on: database)
        let verification = try await database.verifyLedger(with: identity.publicKey)
        #expect(verification.verifiedCount == 1 && verification.firstProblem?.sequence == 2)
        #expect(verification.firstProblem?.problem.contains("moved") == true)
    }

    @Test func aCertificateVerifiesOfflineAndNoByteOfItCanChange() async throws {
        let (folder, database, identity) = try await Self.ledger(.sqlite, entries: 2)
        let certificate = try ErasureCertificate(entry: try await database.ledgerEntry(2), publicKey: identity.publicKeyText)
        let contents = try certificate.fileContents()
        // What an auditor has: the file and the public key's text.
        let publicKeyText = try String(contentsOf: folder.appendingPathComponent("signing-key.pub"), encoding: .utf8)
        let key = try #require(SigningIdentity.publicKey(fromText: publicKeyText))
        let verified = try ErasureCertificate.verify(contents, file: "c.json", publicKey: key)
        #expect(verified.record == Self.record(2) && verified.entry.sequence == 2)

        // Every single-byte change anywhere in the file is rejected.
        var rejected = 0
        for offset in stride(from: 0, to: contents.count, by: max(contents.count / 300, 1)) {
            var changed = contents
            changed[offset] = changed[offset] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            #expect(throws: ServiceError.self) { try ErasureCertificate.verify(changed, file: "c.json", publicKey: key) }
            rejected += 1
        }
        #expect(rejected >= 300)
        let other = Curve25519.Signing.PrivateKey().publicKey
        #expect(throws: ServiceError.self) { try ErasureCertificate.verify(contents, file: "c.json", publicKey: other) }
    }

    @Test func theSigningKeyIsTheOwnersAloneAndKeptAcrossStarts() async throws {
        let (folder, _, identity) = try await Self.ledger(.sqlite, entries: 0)
        let file = folder.appendingPathComponent("signing-key")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        #expect(try SigningIdentity.loadOrCreate(in: folder).publicKeyText == identity.publicKeyText)
        chmod(file.path, 0o644)
        #expect(throws: ServiceError.self) { try SigningIdentity.loadOrCreate(in: folder) }
    }
}
