import Foundation

/// A throwaway PostgreSQL cluster for this test process, made with Debian's server binaries
/// (`postgresql`): `initdb` into a temporary folder, started on a Unix socket in that folder and a
/// private port, stopped when the process exits. Each test gets a database of its own.
///
/// When the process runs as root (CI does), the cluster runs as the `postgres` user, which the server
/// refuses to do otherwise.
enum TestPostgres {
    struct Cluster {
        var folder: URL
        var port: Int
        var binaries: URL
    }

    static let cluster: Cluster = {
        do {
            return try start()
        } catch {
            preconditionFailure("cannot start a PostgreSQL cluster for the tests (install postgresql: scripts/install-system-deps): \(error)")
        }
    }()

    static let asPostgres = getuid() == 0

    static func start() throws -> Cluster {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted(by: { Int($0) ?? 0 < Int($1) ?? 0 }).last else {
            throw TestPostgresError.notInstalled
        }
        let binaries = URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin")
        let folder = URL(fileURLWithPath: "/tmp/qpae-postgres-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if asPostgres { try run("/bin/chown", ["postgres:postgres", folder.path], asPostgres: false) }
        let port = 20_000 + Int(getpid()) % 20_000
        try run(binaries.appendingPathComponent("initdb").path,
                ["-D", folder.appendingPathComponent("data").path, "--auth=trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        try run(binaries.appendingPathComponent("pg_ctl").path,
                ["-D", folder.appendingPathComponent("data").path, "-l", folder.appendingPathComponent("log").path, "-w",
                 "-o", "-k \(folder.path) -p \(port) -c listen_addresses='' -c fsync=off -c max_connections=200", "start"])
        let cluster = Cluster(folder: folder, port: port, binaries: binaries)
        atexit {
            let cluster = TestPostgres.cluster
            try? TestPostgres.run(cluster.binaries.appendingPathComponent("pg_ctl").path,
                                  ["-D", cluster.folder.appendingPathComponent("data").path, "-m", "immediate", "stop"])
            try? FileManager.default.removeItem(at: cluster.folder)
        }
        return cluster
    }

    /// A new, empty database in the cluster, as a `postgres://` URL over the Unix socket.
    static func freshDatabase() throws -> URL {
        let cluster = cluster
        let name = "qpae_test_" + UUID().uuidString.prefix(8).lowercased()
        try run(cluster.binaries.appendingPathComponent("createdb").path,
                ["-h", cluster.folder.path, "-p", "\(cluster.port)", "-U", "postgres", name])
        return URL(string: "postgres://postgres@/\(name)?host=\(cluster.folder.path)&port=\(cluster.port)")!
    }

    /// Runs `executable` (as `postgres` when `asPostgres`) and waits for it with `waitpid`, its output
    /// in a file: `pg_ctl start` leaves a server running that inherits what it was given, so neither a
    /// pipe nor Foundation's `Process` (whose wait did not return here) would see the end of it.
    static func run(_ executable: String, _ arguments: [String], asPostgres: Bool = asPostgres) throws {
        let command = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("qpae-postgres-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw TestPostgresError.failed(executable, "posix_spawn: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard status == 0 else { throw TestPostgresError.failed(executable, text) }
    }

    enum TestPostgresError: Error {
        case notInstalled
        case failed(String, String)
    }
}
