import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Service

/// A `qpae serve` in a process of its own (the executable built beside the test bundle), on a port the
/// system picked, its output in `<folder>/<name>.log`.
final class ServerProcess: @unchecked Sendable {          // `Process` is used from one thread at a time
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qpae")
    }

    let process = Process()
    let log: URL
    private(set) var port = 0

    /// The instance's name in leases, as its first line gives it.
    var instanceName: String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.components(separatedBy: "instance ").dropFirst().first?.components(separatedBy: ",").first ?? "?"
    }

    /// Starts `qpae serve --data-dir folder --port 0` with `arguments` and waits until it listens.
    init(folder: URL, name: String, arguments: [String]) throws {
        log = folder.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)   // the handle below fails if it could not
        let output = try FileHandle(forWritingTo: log)
        process.executableURL = Self.executable
        process.arguments = ["serve", "--data-dir", folder.path, "--port", "0"] + arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while port == 0 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://") }),
               let number = line.split(separator: ":").last.flatMap({ Int($0) }) {
                port = number
            } else {
                guard process.isRunning, Date() < deadline else { throw StartError.didNotStart(text) }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    enum StartError: Error { case didNotStart(String) }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Kills the process with SIGKILL as soon as its log contains `text`, watching from a thread started
    /// before this returns: a test's tasks share a cooperative pool as wide as the machine, which other
    /// tests' training can hold for longer than a whole small job, so a watch started (or polled) from a
    /// task may only begin after the job finished. Start it before the job is submitted; the task answers
    /// whether the text appeared (and the process was killed) within `seconds`.
    func killWhenLogContains(_ text: String, within seconds: TimeInterval) -> Task<Bool, Never> {
        let (outcome, report) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
        Thread.detachNewThread {
            let deadline = Date().addingTimeInterval(seconds)
            var killed = false
            while !killed && Date() < deadline {
                if let written = try? String(contentsOf: self.log, encoding: .utf8), written.contains(text) {
                    self.kill()
                    killed = true
                } else {
                    Thread.sleep(forTimeInterval: 0.005)
                }
            }
            report.yield(killed)
            report.finish()
        }
        return Task {
            for await killed in outcome { return killed }
            return false
        }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    func send(_ method: String, _ path: String, token: String, json: String? = nil) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    func get<Value: Decodable>(_ path: String, as type: Value.Type, token: String) async throws -> Value {
        return try ServiceAPI.makeDecoder().decode(type, from: try await send("GET", path, token: token).body)
    }

    func request(_ id: String, token: String) async throws -> RequestResource {
        try await get("/v1/requests/\(id)", as: RequestResource.self, token: token)
    }

    struct IdOnly: Decodable { var id: String }
}
