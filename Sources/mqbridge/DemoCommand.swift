import ArgumentParser
import BridgeConfig
import BridgeCore
import BridgeRuntime
import Foundation
import LoopbackHarness
import Logging
import Mosquitto
import TestSupport
import Synchronization
import ZeroMQ

/// Starts a private Mosquitto on loopback and the bridge in front of it, sends sample device traffic
/// through both directions and prints what arrives: the whole product working, with one command.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the bridge against a private loopback Mosquitto and show sample traffic in both directions."
    )

    @Option(name: .long, help: "The mapping file; its broker and queue endpoints are replaced by loopback ones.")
    var config = "mappings/example.yaml"

    @Flag(name: .long, help: "Also start a private nats-server with JetStream: the queue side is stored in its streams, and commands published there reach the devices.")
    var jetstream = false

    @Option(name: .customLong("nats-server"), help: "With --jetstream: the nats-server binary (default: nats-server from PATH or /usr/sbin).")
    var natsServer = "nats-server"

    @Flag(name: .long, help: "After the sample traffic, keep the bridge running (a sensor publishes a reading every second) so that the console can be watched; Ctrl-C stops.")
    var keep = false

    func run() throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        var configuration: BridgeConfiguration
        do {
            configuration = try ConfigLoader.load(path: config)
        } catch {
            Console.error(error.description)
            throw ExitCode(1)
        }
        let broker = try MosquittoBroker(options: .init(statusLogging: true, extraConfig: ["max_queued_messages 100000"]))
        defer { broker.stop() }
        let nats = jetstream ? try DemoJetStream.startServer(executable: natsServer) : nil
        defer { nats?.stop() }
        if let nats { configuration.jetstream = DemoJetStream.settings(configuration.jetstream, server: nats) }
        configuration.mqtt.url = BrokerURL(host: "127.0.0.1", port: broker.port, tls: false)
        configuration.mqtt.username = nil
        configuration.mqtt.password = nil
        let publish = "tcp://127.0.0.1:\(try FreePort.allocate())"
        let accept = "tcp://127.0.0.1:\(try FreePort.allocate())"
        configuration.queue = QueueSettings(publish: publish, accept: accept, groups: [])
        // Always on loopback: the console and the API are part of the demo.
        configuration.api = APISettings(host: "127.0.0.1", port: try FreePort.allocate())
        if configuration.status.source != .none { configuration.status.source = .mosquittoLog }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stateDirectory = scratch.appendingPathComponent("state").path
        configuration.spool.directory = scratch.appendingPathComponent("spool").path
        Console.output("== Mosquitto on \(broker.url) (pid \(broker.pid ?? 0))")
        Console.output("== bridge on \(config): \(configuration.summary.split(separator: ";").first ?? "")")
        Console.output("== consumers connect to \(publish), producers to \(accept)")
        if let api = configuration.api { Console.output("== console on http://\(api.host):\(api.port)/ (the HTTP API on the same port)") }
        if let nats, let settings = configuration.jetstream {
            Console.output("== nats-server -js on \(nats.url) (pid \(nats.pid ?? 0)): the queue side in streams, subjects \(settings.subjectPrefix).<queueTopic>.<tag>")
        }
        Console.output("")

        let context = try ZMQContext()
        let host = try BridgeHost(
            configuration: configuration, context: context, workers: ["inproc://demo-workers"],
            stateDirectory: stateDirectory, logger: Logger(label: "mqbridge"))
        try host.start()
        defer { host.stop() }
        let jetStreamWorker = try configuration.jetstream.flatMap { settings in
            try nats.map { _ in
                try makeJetStreamWorker(configuration, settings: settings, hubEndpoint: "inproc://demo-workers", context: context, curve: nil)
            }
        }
        if let jetStreamWorker {
            host.attach(jetStream: jetStreamWorker)
            jetStreamWorker.start()
        }
        // After the MQTT worker (declared below) and before the hub: what is in flight still reaches a stream.
        defer { jetStreamWorker?.stop() }
        let streams = try nats.map { try DemoJetStream(server: $0, prefix: configuration.jetstream?.subjectPrefix ?? JetStreamSettings.defaultSubjectPrefix) }
        defer { streams?.close() }
        let worker = try MQTTWorker(
            settings: configuration.mqtt, hubEndpoint: "inproc://demo-workers", context: context,
            options: MQTTWorker.Options(spool: configuration.spool), logger: Logger(label: "mqbridge.mqtt"))
        host.attach(worker: worker)
        worker.start()
        defer { worker.stop() }

        let statusTopics = Set(configuration.mappings.statusRules.map(\.queueTopic))
        let topics = Array(Set(configuration.mappings.outflowRules.map(\.queueTopic)).union(statusTopics)).sorted()
        let consumers = DemoConsumers(context: context, endpoint: publish, topics: topics)
        defer { consumers.stop() }
        let device = try MQTTClient(clientID: "GID_sensors@@@dev-001", protocolVersion: .v5)
        let received = Mutex<[MQTTIncomingMessage]>([])
        device.onMessage = { message in received.withLock { $0.append(message) } }
        _ = try device.connectAndWait(host: "127.0.0.1", port: broker.port)
        defer { try? device.disconnect(); try? device.stopLoop() }
        _ = try device.subscribe(filter: "devices/dev-001/#", qos: .atLeastOnce)
        if jetstream { _ = try device.subscribe(filter: "devices/p2p/GID_sensors@@@dev-001", qos: .atLeastOnce) }

        // The bridge subscribes once the hub has welcomed its MQTT worker: probe until a message flows.
        let flowing = waitUntilBlocking(timeout: .seconds(20), pollInterval: .milliseconds(250)) {
            _ = try? device.publish(topic: "sensors/demo/probe", payload: Array(DemoConsumers.probe.utf8), qos: .atLeastOnce)
            return consumers.sawProbe
        }
        guard flowing else {
            Console.error("the bridge did not start passing messages within 20 s")
            throw ExitCode(1)
        }
        if let jetStreamWorker {
            let ready = waitUntilBlocking(timeout: .seconds(20), pollInterval: .milliseconds(250)) {
                let stats = jetStreamWorker.stats
                return stats.connected && stats.streamsReady && stats.hubConnected && stats.pending == 0 && jetStreamWorker.failureReason == nil
            }
            guard ready else {
                let stats = jetStreamWorker.stats
                Console.error("the JetStream worker was not ready within 20 s: \(jetStreamWorker.failureReason ?? stats.lastError ?? "connected \(stats.connected), streams ready \(stats.streamsReady)")")
                throw ExitCode(1)
            }
        }
        // The device's own connect happened before the bridge subscribed to the broker's log.
        consumers.clear()

        Console.output("-- outflow: devices publish, backend consumers receive")
        let samples: [(String, String, [MQTTUserProperty])] = [
            ("sensors/room1/temp", #"{"celsius":21.5}"#, [MQTTUserProperty("clientId", "GID_sensors@@@dev-001"), MQTTUserProperty("unit", "C")]),
            ("sensors/room2/hum", #"{"percent":40}"#, [MQTTUserProperty("clientId", "GID_sensors@@@dev-002")]),
            ("factory/press-7/events", #"{"event":"jam"}"#, []),
            ("devices/p2p/GID_app@@@phone7", "reply: ok", []),
        ]
        for (topic, body, properties) in samples {
            Console.output("MQTT  -> \(topic)  \(body)")
            _ = try device.publish(
                topic: topic, payload: Array(body.utf8), qos: .atLeastOnce,
                properties: MQTTPublishProperties(userProperties: properties))
        }
        _ = consumers.waitFor(count: samples.count, timeout: .seconds(10))
        for line in consumers.lines { Console.output(line) }
        if let streams {
            Console.output("\n-- JetStream: the same messages, read back from the streams on \(streams.server.url)")
            let outflowTopics = Array(Set(configuration.mappings.outflowRules.map(\.queueTopic))).sorted()
            streams.showStored(topics: outflowTopics, count: samples.count, skipping: Array(DemoConsumers.probe.utf8))
        }

        Console.output("\n-- inflow: the backend sends commands, devices receive them")
        let producer = try QueueProducerClient(context: context, endpoint: accept, name: "demo-producer")
        defer { producer.close() }
        let commands: [QueueMessage] = [
            QueueMessage(topic: "DEVICE_CMD", tag: "cmd", properties: [PropertyName.mqttSecondTopic: "/dev-001/set"], body: Array(#"{"target":22}"#.utf8)),
            QueueMessage(topic: "DEVICE_CMD", tag: "cmd", properties: [PropertyName.mqttSecondTopic: "/dev-001/set", PropertyName.qosLevel: "5"], body: Array("bad".utf8)),
        ]
        for command in commands {
            let shown = "queue -> \(command.topic) tag \(command.tag ?? "-") \(command.properties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
            do {
                let msgId = try producer.send(command, timeoutMs: 10_000)
                Console.output("\(shown)\n      acknowledged, msgId \(msgId)")
            } catch {
                Console.output("\(shown)\n      refused: \(error)")
            }
        }
        _ = waitUntilBlocking(timeout: .seconds(10)) { !received.withLock { $0.isEmpty } }
        for message in received.withLock({ $0 }) {
            Console.output("MQTT  <- \(message.topic)  QoS \(message.qos.rawValue)  \(message.payloadString ?? "<binary>")  (received by GID_sensors@@@dev-001)")
        }
        if let streams {
            try showJetStreamCommands(streams, configuration: configuration, consumers: consumers, received: { received.withLock { $0 } })
        }
        if configuration.status.source != .none, let api = configuration.api {
            try showClientStatus(api: api, broker: broker, consumers: consumers)
            if let streams, !statusTopics.isEmpty {
                Console.output("\n-- JetStream: the status events, read back from the streams")
                streams.showStored(topics: statusTopics.sorted(), count: consumers.lines.count, skipping: [])
            }
        }
        if let streams {
            var topics = Set(configuration.mappings.outflowRules.map(\.queueTopic)).union(statusTopics)
            topics.formUnion(configuration.mappings.inflowRules.map(\.queueTopic))
            let probe = Array(DemoConsumers.probe.utf8)
            let probes = Set(configuration.mappings.outflowRules.map(\.queueTopic)).reduce(0) { count, topic in
                count + streams.messages(topic: topic).filter { $0.body == probe }.count
            }
            let example = configuration.mappings.outflowRules.first?.queueTopic ?? topics.sorted().first ?? "SENSOR_DATA"
            streams.summary(topics: topics.sorted(), example: example, probes: probes)
        }
        if keep, let api = configuration.api {
            try keepRunning(console: "http://\(api.host):\(api.port)/", brokerPort: broker.port, consumers: consumers)
        }
        Console.output(jetstream ? "\n== done: stopping the bridge, nats-server and Mosquitto" : "\n== done: stopping the bridge and Mosquitto")
    }

    /// Keeps the bridge running until SIGINT or SIGTERM, with a live sensor publishing a reading every second,
    /// so that the console shows traffic and an online client.
    func keepRunning(console: String, brokerPort: Int, consumers: DemoConsumers) throws {
        let stop = DispatchSemaphore(value: 0)
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let sensor = try MQTTClient(clientID: "GID_sensors@@@dev-live", protocolVersion: .v5)
        _ = try sensor.connectAndWait(host: "127.0.0.1", port: brokerPort)
        defer { try? sensor.disconnect(); try? sensor.stopLoop() }
        Console.output("\n== kept running: open the console on \(console)")
        Console.output("   the sensor GID_sensors@@@dev-live publishes to sensors/live/temp every second; Ctrl-C stops")
        var reading = 0
        while stop.wait(timeout: .now() + 1) == .timedOut {
            reading += 1
            let celsius = 20 + Double(reading % 50) / 10
            _ = try? sensor.publish(
                topic: "sensors/live/temp", payload: Array(#"{"celsius":\#(celsius)}"#.utf8), qos: .atLeastOnce,
                properties: MQTTPublishProperties(userProperties: [MQTTUserProperty("clientId", "GID_sensors@@@dev-live")]))
            consumers.clear()
        }
    }

    /// Commands published straight into JetStream (one to a device's topic, one point-to-point) that the
    /// JetStream worker takes from the inflow rule's stream and publishes to the demo device over MQTT.
    func showJetStreamCommands(_ streams: DemoJetStream, configuration: BridgeConfiguration, consumers: DemoConsumers,
                               received: () -> [MQTTIncomingMessage]) throws {
        guard let rule = configuration.mappings.inflowRules.first else { return }
        Console.output("\n-- JetStream inflow: the backend publishes commands to JetStream, devices receive them")
        let before = received().count
        consumers.clear()
        let tag = rule.tags.tags?.sorted().first ?? "cmd"
        streams.publishCommand(
            topic: rule.queueTopic, tag: tag, headers: [(PropertyName.mqttSecondTopic, "/dev-001/set"), (PropertyName.qosLevel, "1")],
            body: #"{"target":23}"#, msgId: "demo-js-cmd-1")
        streams.publishCommand(
            topic: rule.queueTopic, tag: tag, headers: [(PropertyName.mqttSecondTopic, "/p2p/GID_sensors@@@dev-001")],
            body: "hello dev-001", msgId: "demo-js-p2p-1")
        _ = waitUntilBlocking(timeout: .seconds(10)) { received().count >= before + 2 }
        for message in received().dropFirst(before) {
            Console.output("MQTT  <- \(message.topic)  QoS \(message.qos.rawValue)  \(message.payloadString ?? "<binary>")  (received by GID_sensors@@@dev-001)")
        }
        // A point-to-point publish is also seen by outflow rules on its topic (P2P_AUDIT in the example).
        _ = consumers.waitFor(count: 1, timeout: .seconds(3))
        for line in consumers.lines { Console.output(line) }
    }

    /// A sensor connects and disconnects; the status consumers print its events and the HTTP API answers
    /// before and after.
    func showClientStatus(api: APISettings, broker: MosquittoBroker, consumers: DemoConsumers) throws {
        Console.output("\n-- client status: a sensor connects, then disconnects")
        consumers.clear()
        let sensorId = "GID_sensors@@@dev-042"
        let query = "/?Action=QuerySessionByClientId&ClientId=GID_sensors%40%40%40dev-042"
        func ask() -> String {
            guard let response = try? HTTPClient.get(host: api.host, port: api.port, path: query, timeout: .seconds(5)) else {
                return "no answer"
            }
            return "\(response.status) \(String(decoding: response.body, as: UTF8.self))"
        }
        let sensor = try MQTTClient(clientID: sensorId, protocolVersion: .v5)
        _ = try sensor.connectAndWait(host: "127.0.0.1", port: broker.port)
        _ = consumers.waitFor(count: 1, timeout: .seconds(10))
        Console.output("HTTP  GET \(query)\n      \(ask())")
        try sensor.disconnect()
        try? sensor.stopLoop()
        _ = consumers.waitFor(count: 3, timeout: .seconds(10))
        for line in consumers.lines { Console.output(line) }
        Console.output("HTTP  GET \(query)\n      \(ask())")
    }
}

/// One consumer thread per queue topic, collecting printable lines.
final class DemoConsumers: Sendable {
    static let probe = "__demo_probe"
    private let state = Mutex<(lines: [String], probe: Bool, stop: Bool)>(([], false, false))
    private let finished = DispatchSemaphore(value: 0)
    private let count: Int

    init(context: ZMQContext, endpoint: String, topics: [String]) {
        count = topics.count
        for topic in topics {
            Thread.detachNewThread { [self] in
                defer { finished.signal() }
                guard let client = try? QueueConsumerClient(context: context, endpoint: endpoint, topic: topic, name: "demo-\(topic)") else { return }
                defer { client.close() }
                _ = try? client.run(
                    count: nil, timeoutMs: nil,
                    handler: { message in
                        self.state.withLock { state in
                            if message.body == Array(Self.probe.utf8) {
                                state.probe = true
                            } else {
                                state.lines.append("queue <- \(MessageJSON.render(message))")
                            }
                        }
                    },
                    shouldContinue: { !self.state.withLock { $0.stop } })
            }
        }
    }

    var sawProbe: Bool { state.withLock { $0.probe } }

    /// Forgets the lines collected so far.
    func clear() { state.withLock { $0.lines.removeAll() } }
    var lines: [String] { state.withLock { $0.lines } }

    func waitFor(count: Int, timeout: Duration) -> Bool {
        waitUntilBlocking(timeout: timeout) { lines.count >= count }
    }

    func stop() {
        state.withLock { $0.stop = true }
        for _ in 0..<count { finished.wait() }
    }
}
