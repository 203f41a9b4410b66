import Foundation

/// Where tests write files: one folder per test process under the system's temporary directory, removed
/// when the process exits, so a test run leaves nothing behind however its tests end.
public enum Scratch {
    /// `<temporary directory>/qpae-tests-<pid>`, made on first use.
    public static let root: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qpae-tests-\(getpid())")
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return folder
    }()

    /// A path no other test uses, `<root>/<name>-<uuid><suffix>`; nothing is made there.
    public static func path(_ name: String, suffix: String = "") -> URL {
        root.appendingPathComponent("\(name)-\(UUID().uuidString)\(suffix)")
    }

    /// A fresh empty folder, `<root>/<name>-<uuid>`.
    public static func folder(_ name: String) -> URL {
        let folder = path(name)
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
