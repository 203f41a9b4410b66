import Foundation
import GRDB

extension SQLiteServiceDatabase {
    /// Appends `record` as the next entry of the chain, signed by `identity`, inside the caller's
    /// transaction (the head is read and written in it, so appends never fork the chain).
    static func appendToLedger(_ record: LedgerRecord, identity: SigningIdentity, in db: Database) throws -> SignedLedgerEntry {
        let head = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM ledger ORDER BY sequence DESC LIMIT 1")
        let entry = LedgerEntry(sequence: (head?["sequence"] ?? 0) + 1,
                                previousHash: head?["hash"] ?? LedgerEntry.genesisHash, record: record)
        let signed = try SignedLedgerEntry(signing: entry, with: identity)
        try db.execute(sql: "INSERT INTO ledger (sequence, text, hash, signature) VALUES (?, ?, ?, ?)",
                       arguments: [signed.sequence, signed.text, signed.hash, signed.signature])
        return signed
    }

    public func ledgerEntries(after sequence: Int, limit: Int?) async throws -> [SignedLedgerEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ledger WHERE sequence > ? ORDER BY rowid LIMIT ?",
                             arguments: [sequence, limit ?? -1]).map(Self.ledgerEntry(from:))
        }
    }

    public func ledgerEntry(_ sequence: Int) async throws -> SignedLedgerEntry {
        guard let row = try await pool.read({ db in try Row.fetchOne(db, sql: "SELECT * FROM ledger WHERE sequence = ?",
                                                               arguments: [sequence]) }) else {
            throw ServiceError.notFound("ledger entry \(sequence)")
        }
        return Self.ledgerEntry(from: row)
    }

    private static func ledgerEntry(from row: Row) -> SignedLedgerEntry {
        SignedLedgerEntry(sequence: row["sequence"], text: row["text"], hash: row["hash"], signature: row["signature"])
    }
}
