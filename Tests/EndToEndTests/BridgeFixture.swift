import BridgeConfig
import BridgeHub
import BridgeRuntime
import Foundation
import LoopbackHarness
import Logging
import ZeroMQ

/// A real Mosquitto on a free loopback port and a bridge in front of it, in one of three shapes. Everything
/// it starts it stops, by process id.
final class BridgeFixture: @unchecked Sendable {
    // Safe: used by one test at a time; the fields are set in init and only read afterwards.

    enum Mode: String, CaseIterable, Sendable {
        /// Hub and MQTT worker as threads of the test process.
        case inProcess
        /// `mqbridge run`: hub and worker in one child process.
        case runCommand
        /// `mqbridge hub` and `mqbridge worker mqtt` as two child processes over tcp.
        case separateProcesses
    }

    let mode: Mode
    let broker: MosquittoBroker
    let publishEndpoint: String
    let acceptEndpoint: String
    let hubEndpoint: String
    let configPath: String
    let context: ZMQContext
    /// The HTTP API's port when the fixture has a status source.
    let apiPort: Int?
    /// The CURVE keys when the hub sets `hub.curve`.
    let curve: FixtureCurve?
    /// The in-process MQTT worker's window and whether it has the spool.
    let inProcessWorker: (window: Int, spool: Bool)
    /// Where the key files live (removed by `stop`).
    private let keyDirectory: String
    /// Where the bridge keeps its online-status view (removed by `stop`).
    let stateDirectory: String
    /// The bridge's spool: outflow journal and durable group registrations (removed by `stop` unless the caller
    /// gave it).
    let spoolDirectory: String
    let ownsSpoolDirectory: Bool
    private var processes: [ManagedProcess] = []
    private var host: BridgeHost?
    private var worker: MQTTWorker?

    /// `rules` is the YAML of the rule sections; the fixture writes the rest of the mapping file.
    /// Telemetry out (tagged by the third level) and commands in: enough for most flows.
    static let telemetryAndCommands = """
        outflow:
          - id: telemetry
            mqtt: sensors/#
            queueTopic: SENSOR_DATA
            tag: "${level.3}"
        inflow:
          - id: commands
            queueTopic: DEVICE_CMD
            mqttParent: devices

        """

    /// Mosquitto drops QoS 1/2 messages for a subscriber once more than `max_queued_messages` (default
    /// 1000) wait for it; a bridge under back-pressure needs a deeper queue, as the README says.
    static let brokerQueueConfig = ["max_queued_messages 1000000"]

    /// How the bridge reaches the broker.
    enum BrokerAccess {
        /// `mqtt://` on the broker's plain listener.
        case plain
        /// `mqtts://` on the broker's TLS listener (the broker needs `tlsListener`), trusting `caFile`
        /// (default: the broker's own throwaway CA).
        case tls(caFile: String? = nil)
    }

    /// - Parameters:
    ///   - mqttSettings: extra lines for the `mqtt:` section (e.g. `protocol: "3.1.1"`).
    ///   - statusSource: `mosquitto-log` or `emqx-events`: adds the `status:` and `api:` sections (and, for
    ///     `mosquitto-log`, the broker's status logging).
    ///   - durableGroups: `queue.groups`.
    ///   - withAPI: adds `api.listen` on a free port (always there with a status source).
    ///   - apiToken: `api.token`, with the API.
    ///   - access: plain MQTT or TLS to the broker.
    ///   - curve: CURVE keys: the hub gets `hub.curve` (its secret key in a file; the worker's and the
    ///     client's public keys allowed), the worker `worker.curve` (its secret key in an environment variable).
    ///   - inProcessWorker: the in-process MQTT worker's window and whether it has the spool (`.inProcess` only; the
    ///     commands always give their worker the spool).
    ///   - spoolDirectory: `spool.dir` (default: a new directory, removed by `stop`; one given is the caller's).
    init(mode: Mode, rules: String, mqttSettings: [String] = [], statusSource: String? = nil, durableGroups: [String] = [],
         queueSettings: [String] = [], hubSettings: [String] = [], withAPI: Bool = false, apiToken: String? = nil,
         brokerOptions: MosquittoBroker.Options = MosquittoBroker.Options(extraConfig: BridgeFixture.brokerQueueConfig),
         access: BrokerAccess = .plain, curve: FixtureCurve? = nil,
         inProcessWorker: (window: Int, spool: Bool) = (window: 1_000, spool: true), spoolDirectory: String? = nil) throws {
        self.mode = mode
        self.curve = curve
        self.inProcessWorker = inProcessWorker
        var brokerOptions = brokerOptions
        if statusSource == "mosquitto-log" { brokerOptions.statusLogging = true }
        if case .tls = access { brokerOptions.tlsListener = true }
        broker = try MosquittoBroker(options: brokerOptions)
        publishEndpoint = "tcp://127.0.0.1:\(try FreePort.allocate())"
        acceptEndpoint = "tcp://127.0.0.1:\(try FreePort.allocate())"
        hubEndpoint = "tcp://127.0.0.1:\(try FreePort.allocate())"
        apiPort = statusSource == nil && !withAPI ? nil : try FreePort.allocate()
        stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-state-\(UUID().uuidString)").path
        ownsSpoolDirectory = spoolDirectory == nil
        self.spoolDirectory = spoolDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-spool-\(UUID().uuidString)").path
        keyDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-keys-\(UUID().uuidString)").path
        context = try ZMQContext()
        var brokerURL = broker.url
        var mqttSettings = mqttSettings
        if case .tls(let caFile) = access {
            brokerURL = broker.tlsURL ?? broker.url
            mqttSettings.append("caFile: \(caFile ?? broker.certificates?.caFile ?? "")")
        }
        var curveSections = ""
        if let curve {
            try curve.writeKeys(to: keyDirectory)
            curveSections = FixtureCurve.sections(keyDirectory: keyDirectory)
        }
        var statusSections = ""
        if let statusSource {
            statusSections += "status:\n  source: \(statusSource)\n  stateDir: \(stateDirectory)\n"
        }
        if let apiPort {
            statusSections += "api:\n  listen: 127.0.0.1:\(apiPort)\n" + (apiToken.map { "  token: \($0)\n" } ?? "")
        }
        let yaml = """
            mqtt:
              url: \(brokerURL)
              clientId: bridge-\(UUID().uuidString.prefix(8))
            \(mqttSettings.map { "  " + $0 }.joined(separator: "\n"))
            queue:
              publish: \(publishEndpoint)
              accept: \(acceptEndpoint)
              groups: [\(durableGroups.joined(separator: ", "))]
            \(queueSettings.map { "  " + $0 + "\n" }.joined())hub:
              endpoint: \(hubEndpoint)
              heartbeatMs: 500
            \(hubSettings.map { "  " + $0 + "\n" }.joined())
            """ + curveSections + "spool:\n  dir: \(self.spoolDirectory)\n" + statusSections + rules
        configPath = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        do {
            try start()
        } catch {
            stop()
            throw error
        }
    }

    private func start() throws {
        precondition(host == nil && processes.isEmpty, "the bridge is already running")
        let binary = Self.executable.path
        switch mode {
        case .inProcess:
            let configuration = try ConfigLoader.load(path: configPath)
            let host = try BridgeHost(
                configuration: configuration, context: context, workers: [Self.inProcessWorkers, hubEndpoint],
                logger: Logger(label: "test"))
            try host.start()
            self.host = host
            var password: String?
            if case .literal(let text) = configuration.mqtt.password { password = text }
            let worker = try MQTTWorker(
                settings: configuration.mqtt, hubEndpoint: Self.inProcessWorkers, context: context,
                options: MQTTWorker.Options(
                    window: inProcessWorker.window, password: password, spool: inProcessWorker.spool ? configuration.spool : nil),
                logger: Logger(label: "test.mqtt"))
            host.attach(worker: worker)
            worker.start()
            self.worker = worker
        case .runCommand:
            processes.append(try ManagedProcess(executable: binary, arguments: ["run", "--config", configPath]))
        case .separateProcesses:
            processes.append(try ManagedProcess(executable: binary, arguments: ["hub", "--config", configPath]))
            processes.append(try ManagedProcess(
                executable: binary, arguments: ["worker", "mqtt", "--config", configPath], environment: workerEnvironment))
        }
    }

    /// The worker process's secret key, when the fixture has CURVE keys.
    private var workerEnvironment: [String: String] {
        curve.map { [FixtureCurve.workerKeyVariable: $0.worker.secretKey] } ?? [:]
    }

    /// Where the in-process MQTT worker reaches the in-process hub; other workers use `hubEndpoint` (tcp).
    static let inProcessWorkers = "inproc://workers"

    /// The in-process hub's counters (nil in the other modes).
    var hubCounters: HubCounters? { host?.hub.counters() }

    /// The in-process MQTT worker's counters (nil in the other modes).
    var workerStats: MQTTWorker.Stats? { worker?.stats }

    /// CURVE handshakes the in-process hub refused (nil in the other modes).
    var curveRefusals: Int? { host?.curveRefusals }

    /// The in-process bridge's status view (nil in the other modes).
    var presence: PresenceService? { host?.presence }

    /// Stops the bridge (SIGKILL for child processes, an orderly stop in process) and leaves the broker
    /// running; `startBridge` starts it again on the same mapping file and state directory.
    func killBridge() {
        worker?.stop()
        host?.stop()
        worker = nil
        host = nil
        for process in processes {
            process.kill(signal: SIGKILL)
            _ = process.waitForExit(timeout: .seconds(10))
        }
        processes.removeAll()
    }

    /// Stops the bridge processes with SIGTERM and returns their exit codes (nil: did not exit in 20 s).
    func terminateBridge() -> [Int32?] {
        let codes = processes.map { process -> Int32? in
            process.kill(signal: SIGTERM)
            return process.waitForExit(timeout: .seconds(20))
        }
        processes.forEach { $0.kill(signal: SIGKILL) }
        processes.removeAll()
        return codes
    }

    /// The bridge's child process ids (none in process).
    var bridgePids: [Int32] { processes.map(\.pid) }

    /// Sends a signal to the bridge's child processes (e.g. SIGHUP to reload the mapping file).
    func signalBridge(_ signal: Int32) {
        processes.forEach { $0.kill(signal: signal) }
    }

    /// Starts the bridge again after `killBridge`.
    func startBridge() throws {
        try start()
    }

    /// Kills the `mqbridge hub` process (separate-processes mode) with SIGKILL and starts a new one on the
    /// same endpoints; the worker and the consumers must find it again by themselves.
    func restartHub() throws {
        precondition(mode == .separateProcesses, "only the separate-processes mode has a hub process")
        processes[0].kill(signal: SIGKILL)
        _ = processes[0].waitForExit(timeout: .seconds(10))
        processes[0] = try ManagedProcess(executable: Self.executable.path, arguments: ["hub", "--config", configPath])
    }

    /// Whether every bridge child process still runs (true in process).
    var isRunning: Bool { processes.allSatisfy(\.isRunning) }

    /// The bridge's log so far (child processes only), for failure messages.
    var bridgeLog: String { processes.map { $0.stderrText }.joined(separator: "\n") }

    func stop() {
        worker?.stop()
        host?.stop()
        worker = nil
        host = nil
        for process in processes { _ = process.terminate(timeout: .seconds(5)) }
        processes.removeAll()
        broker.stop()
        try? FileManager.default.removeItem(atPath: configPath)
        try? FileManager.default.removeItem(atPath: stateDirectory)
        if ownsSpoolDirectory { try? FileManager.default.removeItem(atPath: spoolDirectory) }
        try? FileManager.default.removeItem(atPath: keyDirectory)
    }

    deinit { stop() }

    /// `mqbridge` sits beside the test bundle in the build products folder.
    static let executable = BuildProducts.executable(named: "mqbridge")
        ?? repositoryRoot.appendingPathComponent(".build/debug/mqbridge")

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// CURVE keys for a fixture whose hub sets `hub.curve`: the hub's, the worker's and one allowed client's.
struct FixtureCurve: Sendable {
    static let workerKeyVariable = "MQBRIDGE_TEST_WORKER_SECRET_KEY"

    let hub: CurveKeyPair
    let worker: CurveKeyPair
    let client: CurveKeyPair

    static func generate() throws -> FixtureCurve {
        FixtureCurve(hub: try CurveKeyPair.generate(), worker: try CurveKeyPair.generate(), client: try CurveKeyPair.generate())
    }

    /// The end of the `hub:` section (`curve:` with the hub's key files) and the `worker:` section that a
    /// mapping file needs for these keys, written to `keyDirectory` by `writeKeys`.
    static func sections(keyDirectory: String) -> String {
        """
          curve:
            secretKeyFile: \(keyDirectory)/hub.key
            allowedClientsFile: \(keyDirectory)/clients.txt
        worker:
          curve:
            serverKeyFile: \(keyDirectory)/hub.pub
            secretKeyEnv: \(workerKeyVariable)

        """
    }

    /// What the allowed client passes to the queue clients.
    var clientKeys: CurveClientKeys { CurveClientKeys(serverPublicKey: hub.publicKey, clientKeys: client) }

    /// `hub.key` (mode 0600), `hub.pub`, `client.key` (0600) and `clients.txt` with the worker's and the client's public keys.
    func writeKeys(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write(_ text: String, _ name: String, secret: Bool = false) throws {
            let path = directory + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: secret ? 0o600 : 0o644], ofItemAtPath: path)
        }
        try write(hub.secretKey + "\n", "hub.key", secret: true)
        try write(hub.publicKey + "\n", "hub.pub")
        try write(client.secretKey + "\n", "client.key", secret: true)
        try write("# the MQTT worker\n\(worker.publicKey)\n# the test client\n\(client.publicKey)\n", "clients.txt")
    }
}
