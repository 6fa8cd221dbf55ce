import Foundation

/// A private `nats-server` with JetStream on 127.0.0.1 for tests and demos.
///
/// Each server gets a fresh temporary directory (`nats-server.conf`; the JetStream store, given with `-sd`,
/// under `store/`)
/// and a free client port (plus a free monitoring port). ``restart()`` and ``start()`` keep the ports and the
/// store, so streams and their messages survive. The server is stopped by pid; `deinit` stops it and
/// removes the directory.
///
/// Three servers can form a cluster on loopback: give each the same ``Options/clusterName``, its own
/// ``Options/serverName`` and ``Options/clusterPort``, and ``Options/routes`` to the others'
/// cluster ports (``FreePort/allocate()`` them up front).
public final class NATSServer: @unchecked Sendable {
    // Safe: every mutable field is only touched while `lock` is held.
    private let lock = NSLock()
    private var process: ManagedProcess?
    private var previousOutput = ""
    private var currentPort: Int
    private var currentMonitorPort: Int

    /// Server settings.
    public struct Options: Sendable {
        /// `server_name` (required by JetStream in a cluster; default: one derived from the port).
        public var serverName: String?
        /// `max_payload` in bytes (the server's default is 1 MiB).
        public var maxPayload: Int?
        /// The cluster's name; with ``clusterPort`` this server joins a cluster.
        public var clusterName: String?
        /// The port this server listens on for routes from the other cluster members.
        public var clusterPort: Int?
        /// Route URLs to the other members, e.g. `nats-route://127.0.0.1:6223`.
        public var routes: [String]
        /// Extra lines appended to the generated config.
        public var extraConfig: [String]
        /// The server binary (name or path); default `nats-server` from `PATH`, `/usr/sbin`, `/usr/local/bin`.
        public var executable: String
        /// How long to wait for the server to accept connections with JetStream ready.
        public var startTimeout: Duration
        /// The address the client listener binds (`127.0.0.1`; `0.0.0.0` also takes clients in other network
        /// namespaces, over links to this one). ``NATSServer/url`` still names `127.0.0.1`.
        public var listenAddress = "127.0.0.1"

        /// Creates options; every setting has a default.
        public init(serverName: String? = nil, maxPayload: Int? = nil, clusterName: String? = nil, clusterPort: Int? = nil,
                    routes: [String] = [], extraConfig: [String] = [], executable: String = "nats-server",
                    startTimeout: Duration = .seconds(15)) {
            self.serverName = serverName
            self.maxPayload = maxPayload
            self.clusterName = clusterName
            self.clusterPort = clusterPort
            self.routes = routes
            self.extraConfig = extraConfig
            self.executable = executable
            self.startTimeout = startTimeout
        }
    }

    /// Start failures.
    public struct StartError: Error, CustomStringConvertible {
        /// What went wrong, with the server's output.
        public let description: String
    }

    /// The settings the server was started with.
    public let options: Options
    /// The server's private directory.
    public let directory: URL
    /// The JetStream store directory (`-sd`), inside ``directory``.
    public var storeDirectory: String { directory.appendingPathComponent("store").path }
    /// Path of the generated config file.
    public var configFile: String { directory.appendingPathComponent("nats-server.conf").path }
    /// Always `127.0.0.1`.
    public let host = "127.0.0.1"
    /// The client port (kept across ``restart()``).
    public var port: Int { lock.withLock { currentPort } }
    /// The HTTP monitoring port (kept across ``restart()``).
    public var monitorPort: Int { lock.withLock { currentMonitorPort } }
    /// `nats://127.0.0.1:<port>`.
    public var url: String { "nats://\(host):\(port)" }
    /// `nats-route://127.0.0.1:<clusterPort>`, for the other members' ``Options/routes``.
    public var routeURL: String? { options.clusterPort.map { "nats-route://\(host):\($0)" } }
    /// The server's pid while running.
    public var pid: Int32? { lock.withLock { process?.isRunning == true ? process?.pid : nil } }
    /// Whether the server process is running.
    public var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }
    /// Everything the server wrote to stdout/stderr (all runs).
    public var logText: String {
        lock.withLock { previousOutput + (process.map { $0.stdoutText + $0.stderrText } ?? "") }
    }

    /// Starts a server on free ports and waits until it accepts connections with JetStream ready.
    public init(options: Options = Options()) throws {
        self.options = options
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mqbridge-nats-\(UUID().uuidString)", isDirectory: true)
        currentPort = 0
        currentMonitorPort = 0
        do {
            try FreePort.retryingPortRaces {
                currentPort = try FreePort.allocate()
                currentMonitorPort = try FreePort.allocate()
                try launch()
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// Starts the server again after ``stopProcess()`` or ``kill()``, on the same ports with the same store.
    public func start() throws {
        guard !isRunning else { return }
        try launch()
    }

    /// SIGTERM (SIGKILL after 5 s) and removes the directory with the store.
    public func stop() {
        stopProcess()
        try? FileManager.default.removeItem(at: directory)
    }

    /// SIGTERM (SIGKILL after 5 s), keeping the directory so that ``start()`` can follow.
    public func stopProcess() {
        lock.withLock {
            _ = process?.terminate(timeout: .seconds(5))
        }
    }

    /// SIGKILL, like a crash. The directory is kept so ``start()`` can follow.
    public func kill() {
        lock.withLock {
            process?.kill(signal: SIGKILL)
            _ = process?.waitForExit(timeout: .seconds(5))
        }
    }

    /// Stops the server gracefully and starts it again on the same ports with the same store.
    public func restart() throws {
        stopProcess()
        try launch()
    }

    /// The generated configuration lines.
    func configLines() -> [String] {
        var lines = [
            "listen: \(options.listenAddress):\(port)",
            "http: \(host):\(monitorPort)",
            "server_name: \(options.serverName ?? "mqbridge-nats-\(port)")",
        ]
        if let maxPayload = options.maxPayload { lines.append("max_payload: \(maxPayload)") }
        if let clusterPort = options.clusterPort {
            lines += ["cluster {", "  name: \(options.clusterName ?? "mqbridge")", "  listen: \(host):\(clusterPort)"]
            if !options.routes.isEmpty {
                lines.append("  routes: [")
                lines += options.routes.map { "    \($0)" }
                lines.append("  ]")
            }
            lines.append("}")
        }
        return lines + options.extraConfig
    }

    private func launch() throws {
        try FileManager.default.createDirectory(atPath: storeDirectory, withIntermediateDirectories: true)
        try (configLines().joined(separator: "\n") + "\n").write(toFile: configFile, atomically: true, encoding: .utf8)

        let binary = try ManagedProcess.resolve(options.executable, extraDirectories: ["/usr/sbin", "/usr/local/bin", "/usr/local/sbin"])
        let started = try ManagedProcess(executable: binary, arguments: ["-c", configFile, "-js", "-sd", storeDirectory])
        lock.withLock {
            if let old = process { previousOutput += old.stdoutText + old.stderrText }
            process = started
        }
        let port = self.port
        // "Server is ready" comes after JetStream has started and the client listener is open.
        let up = waitUntilBlocking(timeout: options.startTimeout, pollInterval: .milliseconds(20)) {
            !started.isRunning
                || (started.stderrText.contains("Server is ready") && FreePort.isAcceptingConnections(port: port))
        }
        guard up, started.isRunning else {
            started.terminate(timeout: .seconds(2))
            let output = started.stdoutText + started.stderrText
            throw StartError(description: "nats-server did not start on port \(port) (exit \(started.exitCode.map(String.init) ?? "none")):\n\(output)")
        }
    }
}
