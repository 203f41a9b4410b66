import Foundation

extension DatasetIndex {
    /// A short identity of the listed data for reports: 16 hex digits of a 64-bit FNV-1a hash over the
    /// layout and, per recording in `id` order, its id and file size in bytes.
    ///
    /// Two copies of a dataset in different folders get the same fingerprint; adding, removing, renaming
    /// or resizing a recording changes it. File contents are not read (a full read of LibriSpeech would
    /// cost minutes), so an edit that keeps every size goes unnoticed, as in ``FeatureCache``.
    public var fingerprint: String {
        var hash = FNV1a()
        hash.combine(layout.rawValue)
        for recording in recordings {
            hash.combine(recording.id)
            hash.combine(String(RecordingFingerprint(of: recording).size))
        }
        return String(format: "%016llx", hash.value)
    }
}
