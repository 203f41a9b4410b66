import Foundation

/// Debian's `chromium-headless-shell`, for tests that check pages as a browser lays them out
/// (`scripts/install-system-deps` installs it).
public enum HeadlessChromium {
    public static let executable = "/usr/bin/chromium-headless-shell"

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    /// The page's DOM after Chromium loaded `url` and ran its scripts, from a fresh profile.
    ///
    /// Chromium is waited for on a Dispatch thread, not on one of Swift's cooperative threads: a server in
    /// the same process needs those to answer Chromium (there are as many as cores, 2 here).
    public static func dumpDOM(_ url: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try dumpDOMWaiting(url) })
            }
        }
    }

    private static func dumpDOMWaiting(_ url: String) throws -> String {
        let profile = Scratch.path("chromium-profile")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--user-data-dir=" + profile.path,
                             "--dump-dom", url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
