import Foundation

/// A private `mosquitto` broker on 127.0.0.1 for tests and demos.
///
/// Each broker gets a fresh temporary directory (config, password file, persistence database,
/// `mosquitto.log`) and a free port. ``restart()`` keeps the port and the persistence database,
/// so persistent sessions survive it. The broker is stopped by pid; `deinit` stops it and removes
/// the directory.
public final class MosquittoBroker: @unchecked Sendable {
    // Safe: every mutable field is only touched while `lock` is held.
    private let lock = NSLock()
    private var process: ManagedProcess?
    private var previousOutput = ""
    private var currentPort: Int
    private var currentTLSPort: Int?

    /// Broker settings.
    public struct Options: Sendable {
        /// `allow_anonymous` (default `true`).
        public var allowAnonymous: Bool
        /// Adds what client-status monitoring needs: `connection_messages true`, `log_dest topic`,
        /// `log_type notice`, `log_type error`, `log_timestamp true`. Log lines are then published on
        /// `$SYS/broker/log/N` (notice) and `$SYS/broker/log/E` (error).
        public var statusLogging: Bool
        /// User name -> password, written with `mosquitto_passwd -b -c`.
        public var users: [String: String]
        /// Extra lines appended to the generated config.
        public var extraConfig: [String]
        /// Adds a second listener on ``MosquittoBroker/tlsPort`` that speaks TLS only, with a throwaway CA and
        /// server certificate (``TLSCertificates``) made in the broker's directory. The plain listener stays.
        public var tlsListener: Bool
        /// The broker binary (name or path); default `mosquitto` from `PATH`, `/usr/sbin`, `/usr/local/sbin`.
        public var executable: String
        /// How long to wait for the port to accept connections.
        public var startTimeout: Duration
        /// The address the plain listener binds (`127.0.0.1`; `0.0.0.0` also takes clients in other network
        /// namespaces, over links to this one). Clients of the harness still use ``MosquittoBroker/host``.
        public var listenAddress = "127.0.0.1"

        /// Creates options; every setting has a default.
        public init(allowAnonymous: Bool = true, statusLogging: Bool = false, users: [String: String] = [:],
                    extraConfig: [String] = [], tlsListener: Bool = false, executable: String = "mosquitto",
                    startTimeout: Duration = .seconds(10)) {
            self.allowAnonymous = allowAnonymous
            self.statusLogging = statusLogging
            self.users = users
            self.extraConfig = extraConfig
            self.tlsListener = tlsListener
            self.executable = executable
            self.startTimeout = startTimeout
        }
    }

    /// Start failures.
    public struct StartError: Error, CustomStringConvertible {
        /// What went wrong, with the broker's log.
        public let description: String
    }

    /// The settings the broker was started with.
    public let options: Options
    /// The broker's private directory.
    public let directory: URL
    /// Always `127.0.0.1`.
    public let host = "127.0.0.1"
    /// The listener port (kept across ``restart()``).
    public var port: Int { lock.withLock { currentPort } }
    /// `mqtt://127.0.0.1:<port>`.
    public var url: String { "mqtt://\(host):\(port)" }
    /// The TLS listener's port, with ``Options/tlsListener`` (kept across ``restart()``).
    public var tlsPort: Int? { lock.withLock { currentTLSPort } }
    /// `mqtts://127.0.0.1:<tlsPort>`, with ``Options/tlsListener``.
    public var tlsURL: String? { tlsPort.map { "mqtts://\(host):\($0)" } }
    /// The throwaway CA and server certificate of the TLS listener.
    public var certificates: TLSCertificates? {
        options.tlsListener ? Self.certificatePaths(in: directory) : nil
    }
    /// The broker's pid while running.
    public var pid: Int32? { lock.withLock { process?.isRunning == true ? process?.pid : nil } }
    /// Whether the broker process is running.
    public var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }
    /// Everything the broker logged or wrote to stdout/stderr, over all runs. The log goes to stderr,
    /// which Mosquitto writes line by line; its log file would only be flushed when a later line arrives
    /// more than a second after the last flush, so a test could wait forever for the last line.
    public var logText: String {
        lock.withLock { previousOutput + (process.map { $0.stdoutText + $0.stderrText } ?? "") }
    }

    /// Starts a broker on a free port and waits until it accepts TCP connections.
    public init(options: Options = Options()) throws {
        self.options = options
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mqbridge-mosquitto-\(UUID().uuidString)", isDirectory: true)
        currentPort = 0
        do {
            try FreePort.retryingPortRaces {
                currentPort = try FreePort.allocate()
                if options.tlsListener { currentTLSPort = try FreePort.allocate() }
                try launch()
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// Starts the broker again after ``stop()`` or ``kill()``, on the same port.
    public func start() throws {
        guard !isRunning else { return }
        try launch()
    }

    /// SIGTERM (mosquitto then saves its persistence database), SIGKILL after 5 s; removes the directory.
    public func stop() {
        stopProcess()
        try? FileManager.default.removeItem(at: directory)
    }

    /// SIGKILL, like a crash: nothing is saved. The directory is kept so ``start()`` can follow.
    public func kill() {
        lock.withLock {
            process?.kill(signal: SIGKILL)
            _ = process?.waitForExit(timeout: .seconds(5))
        }
    }

    /// Stops the broker gracefully and starts it again on the same port with the same persistence.
    public func restart() throws {
        stopProcess()
        try launch()
    }

    /// SIGTERM (mosquitto saves its persistence database), SIGKILL after 5 s; the directory is kept so
    /// ``start()`` can follow on the same port with the same persistence.
    public func stopProcess() {
        lock.withLock {
            _ = process?.terminate(timeout: .seconds(5))
        }
    }

    private func launch() throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = self.port
        let tlsPort = self.tlsPort
        var lines = [
            "listener \(port) \(options.listenAddress)",
            "allow_anonymous \(options.allowAnonymous)",
            "persistence true",
            "persistence_location \(directory.path)/",
            "log_dest stderr",
        ]
        if geteuid() == 0 { lines.append("user root") }  // otherwise it switches to user "mosquitto"
        if !options.users.isEmpty {
            let passwordFile = directory.appendingPathComponent("passwd").path
            try writePasswordFile(passwordFile)
            lines.append("password_file \(passwordFile)")
        }
        if options.statusLogging {
            lines += ["connection_messages true", "log_dest topic", "log_type notice", "log_type error", "log_timestamp true"]
        }
        lines += options.extraConfig
        if options.tlsListener, let tlsPort {
            // Last: cafile, certfile and keyfile belong to the listener above them.
            let certificates = try TLSCertificates.generate(in: directory.appendingPathComponent("tls"))
            lines += [
                "listener \(tlsPort) 127.0.0.1", "cafile \(certificates.caFile)", "certfile \(certificates.certFile)",
                "keyfile \(certificates.keyFile)",
            ]
        }
        let configFile = directory.appendingPathComponent("mosquitto.conf")
        try (lines.joined(separator: "\n") + "\n").write(to: configFile, atomically: true, encoding: .utf8)

        let binary = try ManagedProcess.resolve(options.executable, extraDirectories: ["/usr/sbin", "/usr/local/sbin"])
        let started = try ManagedProcess(executable: binary, arguments: ["-c", configFile.path])
        lock.withLock {
            if let old = process { previousOutput += old.stdoutText + old.stderrText }
            process = started
        }
        let up = waitUntilBlocking(timeout: options.startTimeout, pollInterval: .milliseconds(20)) {
            !started.isRunning
                || (FreePort.isAcceptingConnections(port: port) && tlsPort.map(FreePort.isAcceptingConnections) ?? true)
        }
        guard up, started.isRunning else {
            started.terminate(timeout: .seconds(2))
            throw StartError(description: "mosquitto did not start on port \(port) (exit \(started.exitCode.map(String.init) ?? "none")):\n\(logText)")
        }
    }

    private static func certificatePaths(in directory: URL) -> TLSCertificates {
        let tls = directory.appendingPathComponent("tls")
        return TLSCertificates(
            caFile: tls.appendingPathComponent("ca.crt").path, certFile: tls.appendingPathComponent("server.crt").path,
            keyFile: tls.appendingPathComponent("server.key").path)
    }

    private func writePasswordFile(_ path: String) throws {
        var create = true
        for (user, password) in options.users.sorted(by: { $0.key < $1.key }) {
            let tool = try ManagedProcess(executable: ManagedProcess.resolve("mosquitto_passwd", extraDirectories: ["/usr/sbin"]),
                                          arguments: (create ? ["-b", "-c"] : ["-b"]) + [path, user, password])
            let status = tool.waitForExit(timeout: .seconds(10)) ?? tool.terminate() ?? -1
            guard status == 0 else {
                throw StartError(description: "mosquitto_passwd failed (\(status)): \(tool.stderrText)")
            }
            create = false
        }
    }
}
