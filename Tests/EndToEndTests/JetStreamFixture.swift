import Foundation
import LoopbackHarness
import NATS
import ZeroMQ

/// A real Mosquitto and a real `nats-server -js`, each on a free loopback port with a directory of its own,
/// and a bridge between them with a `jetstream` section: `mqbridge run` as one child process, or `hub`,
/// `worker mqtt` and `worker jetstream` as three. Everything it starts it stops, by process id.
final class JetStreamFixture: @unchecked Sendable {
    // Safe: used by one test at a time; `processes` is touched only by the test's thread.

    enum Mode: Sendable {
        case runCommand
        case separateProcesses
    }

    /// Telemetry out (tag: third level, key: second level), commands in, status of `GID_sensors` clients.
    static let rules = """
        outflow:
          - id: telemetry
            mqtt: sensors/#
            queueTopic: SENSOR_DATA
            tag: "${level.3}"
            keys: ["${level.2}"]
            properties:
              site: "${level.2}"
        inflow:
          - id: commands
            queueTopic: DEVICE_CMD
            mqttParent: devices

        """

    let mode: Mode
    let broker: MosquittoBroker
    /// The nats-server (the first node when the fixture runs a cluster).
    let nats: NATSServer
    /// A cluster of nats-servers (`natsNodes` > 1); the bridge's `jetstream.url` lists every node.
    let cluster: NATSCluster?
    /// The URLs the bridges and the test's own connections use.
    var natsURLs: [String] { cluster?.urls ?? [nats.url] }
    let hubEndpoint: String
    let configPath: String
    let spoolDirectory: String
    let stateDirectory: String
    let apiPort: Int
    /// CURVE keys when the hub sets `hub.curve` (the workers then connect with `worker.curve`).
    let curve: FixtureCurve?
    private let keyDirectory: String
    /// Writes a mapping file for a bridge of this fixture: its client ID, hub endpoint, API port, spool and
    /// state directory; the broker, nats-server, rules and other settings are the fixture's.
    private let writeConfig: (_ path: String, _ clientId: String, _ hubEndpoint: String, _ apiPort: Int, _ spool: String, _ state: String) throws -> Void
    /// More bridges on the same broker and nats-server (`addBridge`).
    private(set) var siblings: [Sibling] = []
    private(set) var processes: [ManagedProcess] = []
    /// Output of bridge processes that were stopped, for failure messages.
    private var earlierLog = ""

    /// - Parameters:
    ///   - jetstream: extra lines for the `jetstream:` section (e.g. `maxBytes: 65536`).
    ///   - statusSource: `mosquitto-log` adds client status (and the broker's status logging).
    ///   - startNATS: false leaves nats-server stopped (start it with `nats.start()`).
    ///   - curve: `hub.curve` on the hub's tcp endpoint and `worker.curve` for the workers.
    ///   - natsNodes: more than 1 starts a nats-server cluster of that many nodes (``NATSCluster``).
    init(mode: Mode = .runCommand, rules: String = JetStreamFixture.rules, jetstream: [String] = [], statusSource: String? = nil,
         startNATS: Bool = true, startBridge: Bool = true, curve: FixtureCurve? = nil, mqtt: [String] = [], natsNodes: Int = 1) throws {
        self.mode = mode
        self.curve = curve
        var brokerOptions = MosquittoBroker.Options(extraConfig: ["max_queued_messages 1000000"])
        if statusSource != nil { brokerOptions.statusLogging = true }
        broker = try MosquittoBroker(options: brokerOptions)
        if natsNodes > 1 {
            let cluster = try NATSCluster(size: natsNodes)
            self.cluster = cluster
            nats = cluster.nodes[0]
        } else {
            cluster = nil
            nats = try NATSServer()
        }
        if !startNATS { nats.stopProcess() }
        hubEndpoint = "tcp://127.0.0.1:\(try FreePort.allocate())"
        apiPort = try FreePort.allocate()
        let temporary = FileManager.default.temporaryDirectory
        spoolDirectory = temporary.appendingPathComponent("mqbridge-spool-\(UUID().uuidString)").path
        stateDirectory = temporary.appendingPathComponent("mqbridge-state-\(UUID().uuidString)").path
        configPath = temporary.appendingPathComponent("mqbridge-js-\(UUID().uuidString).yaml").path
        keyDirectory = temporary.appendingPathComponent("mqbridge-keys-\(UUID().uuidString)").path
        var security = ""
        if let curve {
            try curve.writeKeys(to: keyDirectory)
            security = FixtureCurve.sections(keyDirectory: keyDirectory)
        }
        let brokerURL = broker.url
        let natsURL = cluster.map { "[\($0.urls.joined(separator: ", "))]" } ?? nats.url
        writeConfig = { path, clientId, hubEndpoint, apiPort, spool, state in
            let status = statusSource.map { "status:\n  source: \($0)\n  stateDir: \(state)\n" } ?? ""
            let yaml = """
                mqtt:
                  url: \(brokerURL)
                  clientId: \(clientId)
                \(mqtt.map { "  " + $0 + "\n" }.joined())hub:
                  endpoint: \(hubEndpoint)
                  heartbeatMs: 500
                \(security)api:
                  listen: 127.0.0.1:\(apiPort)
                spool:
                  dir: \(spool)
                jetstream:
                  url: \(natsURL)
                \((["duplicateWindow: 10m"] + jetstream).map { "  " + $0 }.joined(separator: "\n"))

                """ + status + rules
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try writeConfig(configPath, "bridge-\(UUID().uuidString.prefix(8))", hubEndpoint, apiPort, spoolDirectory, stateDirectory)
        if startBridge {
            do {
                try self.startBridge()
            } catch {
                stop()
                throw error
            }
        }
    }

    func startBridge() throws {
        precondition(processes.isEmpty, "the bridge is already running")
        let binary = BridgeFixture.executable.path
        switch mode {
        case .runCommand:
            processes.append(try ManagedProcess(executable: binary, arguments: ["run", "--config", configPath, "--progress", "0"]))
        case .separateProcesses:
            processes.append(try ManagedProcess(executable: binary, arguments: ["hub", "--config", configPath, "--progress", "0"]))
            let environment = curve.map { [FixtureCurve.workerKeyVariable: $0.worker.secretKey] } ?? [:]
            processes.append(try ManagedProcess(executable: binary, arguments: ["worker", "mqtt", "--config", configPath], environment: environment))
            processes.append(try ManagedProcess(
                executable: binary, arguments: ["worker", "jetstream", "--config", configPath], environment: environment))
        }
    }

    /// Another bridge (`mqbridge run`) on the same broker and nats-server, with its own client ID, API, spool
    /// and state directory.
    struct Sibling {
        let configPath: String
        let apiPort: Int
        let process: ManagedProcess
        let directories: [String]
    }

    @discardableResult
    func addBridge() throws -> Sibling {
        let temporary = FileManager.default.temporaryDirectory
        let configPath = temporary.appendingPathComponent("mqbridge-js-\(UUID().uuidString).yaml").path
        let spool = temporary.appendingPathComponent("mqbridge-spool-\(UUID().uuidString)").path
        let state = temporary.appendingPathComponent("mqbridge-state-\(UUID().uuidString)").path
        let apiPort = try FreePort.allocate()
        try writeConfig(configPath, "bridge-\(UUID().uuidString.prefix(8))", "tcp://127.0.0.1:\(try FreePort.allocate())", apiPort, spool, state)
        let process = try ManagedProcess(
            executable: BridgeFixture.executable.path, arguments: ["run", "--config", configPath, "--progress", "0"])
        let sibling = Sibling(configPath: configPath, apiPort: apiPort, process: process, directories: [configPath, spool, state])
        siblings.append(sibling)
        return sibling
    }

    /// SIGKILL to sibling `index` (`addBridge`); its spool, state and config stay for ``restartSibling(_:)``.
    func killSibling(_ index: Int) {
        let process = siblings[index].process
        process.kill(signal: SIGKILL)
        _ = process.waitForExit(timeout: .seconds(10))
        earlierLog += process.stderrText
    }

    /// Starts sibling `index` again with its config, spool and state.
    func restartSibling(_ index: Int) throws {
        let old = siblings[index]
        let process = try ManagedProcess(
            executable: BridgeFixture.executable.path, arguments: ["run", "--config", old.configPath, "--progress", "0"])
        siblings[index] = Sibling(configPath: old.configPath, apiPort: old.apiPort, process: process, directories: old.directories)
    }

    /// SIGKILL to every bridge process; the broker, nats-server and the spool stay.
    func killBridge() {
        for process in processes {
            process.kill(signal: SIGKILL)
            _ = process.waitForExit(timeout: .seconds(10))
            earlierLog += process.stderrText
        }
        processes.removeAll()
    }

    /// SIGTERM to every bridge process; returns their exit codes (nil: did not exit in 20 s).
    func terminateBridge() -> [Int32?] {
        let codes = processes.map { process -> Int32? in
            process.kill(signal: SIGTERM)
            let code = process.waitForExit(timeout: .seconds(20))
            earlierLog += process.stderrText
            return code
        }
        processes.forEach { $0.kill(signal: SIGKILL) }
        processes.removeAll()
        return codes
    }

    var bridgeLog: String {
        earlierLog + (processes + siblings.map(\.process)).map(\.stderrText).joined(separator: "\n")
    }

    func stop() {
        for process in processes {
            _ = process.terminate(timeout: .seconds(5))
        }
        processes.removeAll()
        for sibling in siblings {
            _ = sibling.process.terminate(timeout: .seconds(5))
            for path in sibling.directories { try? FileManager.default.removeItem(atPath: path) }
        }
        siblings.removeAll()
        broker.stop()
        nats.stop()
        cluster?.stop()
        for path in [configPath, spoolDirectory, stateDirectory, keyDirectory] { try? FileManager.default.removeItem(atPath: path) }
    }

    deinit { stop() }

    // MARK: - Reading JetStream back

    /// A connection of the test's own to the fixture's nats-server.
    func jetStream() throws -> JetStreamContext {
        let connection = try NATSConnection(options: NATSConnectionOptions(servers: natsURLs, retryOnFailedConnect: true))
        return try JetStreamContext(connection: connection)
    }

    /// Every message in a stream, in order (empty when the stream does not exist).
    static func messages(in stream: String, via jetStream: JetStreamContext) throws -> [StoredMessage] {
        guard let info = try jetStream.streamInfo(name: stream), info.state.messages > 0 else { return [] }
        var messages: [StoredMessage] = []
        for sequence in info.state.firstSequence...info.state.lastSequence {
            if let message = try jetStream.getMessage(stream: stream, sequence: sequence) { messages.append(message) }
        }
        return messages
    }

    /// Counts unique message bodies against the expected IDs.
    struct Tally: CustomStringConvertible {
        var counts: [String: Int] = [:]
        var missing: [String] = []

        init(expected: [String], bodies: [String]) {
            for body in bodies { counts[body, default: 0] += 1 }
            missing = expected.filter { counts[$0] == nil }
        }

        var duplicates: Int { counts.values.reduce(0) { $0 + max(0, $1 - 1) } }
        var description: String { "\(counts.count) distinct IDs stored, \(missing.count) missing, \(duplicates) duplicates" }
    }

    /// Waits until the stream holds every ID (or the timeout passes) and tallies what it holds.
    func waitForAll(_ ids: [String], in stream: String, timeout: Duration = .seconds(120)) throws -> Tally {
        let jetStream = try jetStream()
        let wanted = Set(ids)
        var bodies: [String] = []
        _ = waitUntilBlocking(timeout: timeout, pollInterval: .milliseconds(500)) {
            // Reading every message is slow for big streams: only once the stream holds enough of them.
            guard ((try? jetStream.streamInfo(name: stream))??.state.messages ?? 0) >= UInt64(wanted.count) else { return false }
            bodies = ((try? Self.messages(in: stream, via: jetStream)) ?? []).map { String(decoding: $0.body, as: UTF8.self) }
            return wanted.isSubset(of: Set(bodies))
        }
        // A moment more, so that duplicates still in flight are counted too.
        Thread.sleep(forTimeInterval: 1)
        bodies = try Self.messages(in: stream, via: jetStream).map { String(decoding: $0.body, as: UTF8.self) }
        return Tally(expected: ids, bodies: bodies.filter { wanted.contains($0) })
    }
}
