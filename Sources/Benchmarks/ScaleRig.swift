import Foundation
import TestSupport
import LoopbackHarness
import Mosquitto
import NATS

/// A private Mosquitto and `nats-server -js` on loopback, and N bridges between them as `mqbridge run`
/// processes of one `mqtt.sharedGroup`, each with its own client ID, spool, hub endpoint and API port: the
/// broker shares their `$share/<group>/bench/#` subscription's messages among them, and all store into one
/// stream. Everything it starts, `stop()` stops (by pid).
final class ScaleRig: JetStreamReading {
    struct Bridge {
        let process: ManagedProcess
        let apiPort: Int
    }

    let broker: MosquittoBroker
    let nats: NATSServer
    let directory: URL
    let executable: URL
    private(set) var reader: JetStreamContext?
    private(set) var bridges: [Bridge] = []

    static let sharedGroup = "bench-scale"

    init() throws {
        guard let executable = BuildProducts.executable(named: "mqbridge") else {
            throw BenchError("the mqbridge executable is not beside mqbridge-bench: build both (`swift build -c release`)")
        }
        self.executable = executable
        broker = try MosquittoBroker(options: MosquittoBroker.Options(extraConfig: LoopbackRig.brokerConfig))
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-bench-scale-\(UUID().uuidString)")
        do {
            nats = try NATSServer()
        } catch {
            broker.stop()
            throw error
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let connection = try NATSConnection(options: NATSConnectionOptions(servers: [nats.url], name: "mqbridge-bench-reader"))
            reader = try JetStreamContext(connection: connection)
        } catch {
            stop()
            throw error
        }
    }

    /// The stream of queue topic `queueTopic`.
    static func stream(_ queueTopic: String) -> String { "mq_\(queueTopic)" }

    /// Starts `count` bridges whose outflow rule stores `bench/#` in queue topic `queueTopic`.
    func startBridges(_ count: Int, queueTopic: String) throws {
        precondition(bridges.isEmpty, "bridges are running")
        for index in 0..<count {
            let own = directory.appendingPathComponent("\(queueTopic)-\(index)")
            try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
            let apiPort = try FreePort.allocate()
            let yaml = """
                mqtt:
                  url: \(broker.url)
                  clientId: bench-scale-\(index)
                  sharedGroup: \(Self.sharedGroup)
                hub:
                  endpoint: tcp://127.0.0.1:\(try FreePort.allocate())
                api:
                  listen: 127.0.0.1:\(apiPort)
                spool:
                  dir: \(own.appendingPathComponent("spool").path)
                jetstream:
                  url: \(nats.url)
                outflow:
                  - id: bench
                    mqtt: bench/#
                    queueTopic: \(queueTopic)
                    tag: "${level.2}"

                """
            let config = own.appendingPathComponent("bridge.yaml").path
            try yaml.write(toFile: config, atomically: true, encoding: .utf8)
            let process = try ManagedProcess(executable: executable.path, arguments: ["run", "--config", config, "--progress", "0"])
            bridges.append(Bridge(process: process, apiPort: apiPort))
        }
    }

    /// Probes until every bridge has stored at least one message: all are subscribed and storing.
    func waitUntilEveryBridgeStores(stream: String) throws {
        try probing(every: .milliseconds(50), timeout: .seconds(60), until: {
            if let ended = bridges.first(where: { !$0.process.isRunning }) {
                throw BenchError("a bridge exited: \(ended.process.stderrText.suffix(2_000))")
            }
            return bridges.allSatisfy { stored(by: $0) > 0 }
        }) {
            "not every bridge stored a probe in \(stream) within 60 s: \(bridges.map { stored(by: $0) })"
        }
    }

    /// What `bridge` has had acknowledged by JetStream (`mqbridge_jetstream_acked_total`), 0 when its API is not up yet.
    func stored(by bridge: Bridge) -> Double {
        guard let response = try? HTTPClient.get(host: "127.0.0.1", port: bridge.apiPort, path: "/metrics"), response.status == 200 else { return 0 }
        let prefix = "mqbridge_jetstream_acked_total "
        let line = String(decoding: response.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Double($0.dropFirst(prefix.count)) } ?? 0
    }

    /// SIGTERM to every bridge (SIGKILL after 20 s).
    func stopBridges() {
        for bridge in bridges { _ = bridge.process.terminate(timeout: .seconds(20)) }
        bridges.removeAll()
    }

    var otherProcesses: [(pid: Int32, name: String)] {
        bridges.enumerated().map { (pid: $0.element.process.pid, name: "bridge \($0.offset + 1)") }
            + [broker.pid.map { (pid: $0, name: "mosquitto broker") }, nats.pid.map { (pid: $0, name: "nats-server") }].compactMap { $0 }
    }

    func stop() {
        stopBridges()
        reader?.connection.close()
        reader = nil
        broker.stop()
        nats.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
