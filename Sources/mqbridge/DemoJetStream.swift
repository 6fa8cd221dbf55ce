import ArgumentParser
import BridgeConfig
import BridgeCore
import Foundation
import JetStreamMapping
import LoopbackHarness
import NATS

/// The JetStream part of `mqbridge demo --jetstream`: a private `nats-server -js`, and a NATS client of the
/// demo's own that reads the bridge's streams back and publishes commands into them.
final class DemoJetStream {
    let server: NATSServer
    let subjects: JetStreamSubjects
    private let jetStream: JetStreamContext

    /// Starts a private `nats-server -js` on a free loopback port; a missing binary ends the demo with a hint.
    static func startServer(executable: String) throws -> NATSServer {
        do {
            return try NATSServer(options: NATSServer.Options(executable: executable))
        } catch ManagedProcess.LaunchError.notFound(let name) {
            let what = name.contains("/") ? "\(name) not found" : "\(name) is not installed (not on PATH)"
            Console.error("mqbridge: \(what); demo --jetstream starts a private nats-server with JetStream: "
                + "run `bash scripts/install-deps.sh` to install it")
            throw ExitCode(1)
        } catch {
            Console.error("mqbridge: \(error)")
            throw ExitCode(1)
        }
    }

    /// The mapping file's `jetstream` section (or the defaults) pointed at `server`, without credentials.
    static func settings(_ configured: JetStreamSettings?, server: NATSServer) -> JetStreamSettings {
        var settings = configured ?? JetStreamSettings(servers: [])
        settings.servers = [NATSServerURL(host: server.host, port: server.port)]
        settings.authentication = .none
        settings.caFile = nil
        settings.replicas = 1
        return settings
    }

    init(server: NATSServer, prefix: String) throws {
        self.server = server
        subjects = try JetStreamSubjects(prefix: prefix)
        let connection = try NATSConnection(options: NATSConnectionOptions(servers: [server.url], name: "mqbridge-demo"))
        jetStream = try JetStreamContext(connection: connection)
    }

    func close() { jetStream.connection.close() }

    func streamName(_ topic: String) -> String { (try? subjects.streamName(topic: topic)) ?? "\(subjects.streamPrefix)_\(topic)" }

    /// Every message in the stream of `topic`, in order (empty when the stream does not exist).
    func messages(topic: String) -> [StoredMessage] {
        let stream = streamName(topic)
        guard let info = try? jetStream.streamInfo(name: stream), info.state.messages > 0 else { return [] }
        return (info.state.firstSequence...info.state.lastSequence).compactMap { try? jetStream.getMessage(stream: stream, sequence: $0) }
    }

    func messageCount(topic: String) -> UInt64 {
        (try? jetStream.streamInfo(name: streamName(topic)))?.state.messages ?? 0
    }

    /// Waits until the streams of `topics` hold at least `count` messages other than `skipping` bodies, then
    /// prints each stream with its messages, subjects, headers and bodies.
    func showStored(topics: [String], count: Int, skipping probe: [UInt8]) {
        func stored() -> [(topic: String, messages: [StoredMessage])] {
            topics.map { topic in (topic, messages(topic: topic).filter { $0.body != probe }) }
        }
        var found = stored()
        _ = waitUntilBlocking(timeout: .seconds(10), pollInterval: .milliseconds(200)) {
            found = stored()
            return found.reduce(0) { $0 + $1.messages.count } >= count
        }
        for (topic, messages) in found where !messages.isEmpty {
            let subjects = (try? self.subjects.streamSubjects(topic: topic)) ?? "\(self.subjects.prefix).\(topic).>"
            Console.output("stream \(streamName(topic)) (subjects \(subjects))")
            for message in messages { show(message) }
        }
    }

    /// One stored message: subject, body and sequence, then its headers in the bridge's order.
    func show(_ message: StoredMessage) {
        Console.output("JS    <- \(message.subject)  \(Self.printable(message.body))  (seq \(message.sequence))")
        for header in Self.ordered(message.headers) {
            Console.output("      \(header.name): \(header.value)")
        }
    }

    /// Publishes a command with JetStream and prints it with its acknowledgement.
    func publishCommand(topic: String, tag: String, headers: [(name: String, value: String)], body: String, msgId: String) {
        let subject = (try? subjects.subject(topic: topic, tag: tag)) ?? "\(subjects.prefix).\(topic).\(tag)"
        let shownHeaders = headers.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
        Console.output("JS    -> \(subject)  Nats-Msg-Id=\(msgId) \(shownHeaders)  \(body)")
        do {
            let ack = try jetStream.publish(
                NATSOutgoingMessage(subject: subject, headers: headers, body: Array(body.utf8)), msgId: msgId, timeoutMs: 10_000)
            Console.output("      stored in \(ack.stream), seq \(ack.sequence)")
        } catch {
            Console.output("      refused: \(error)")
        }
    }

    /// The closing lines: how many messages each stream holds and where to find them with any NATS client;
    /// `example` is the queue topic the hint uses.
    func summary(topics: [String], example: String, probes: Int) {
        let counts = topics.map { (stream: streamName($0), count: messageCount(topic: $0)) }
        let total = counts.reduce(0) { $0 + $1.count }
        let probeNote = probes > 0 ? " (\(probes) of them the demo's start-up probes)" : ""
        Console.output("\n-- JetStream: \(total) messages in \(counts.count) streams on \(server.url)\(probeNote)")
        Console.output("      " + counts.map { "\($0.stream) \($0.count)" }.joined(separator: ", "))
        let (prefix, streamPrefix) = (subjects.prefix, subjects.streamPrefix)
        Console.output("      any NATS client reads them: subjects \(prefix).<queueTopic>.<tag> in streams \(streamPrefix)_<queueTopic> "
            + "(dead letters \(prefix).DLQ.<queueTopic> in \(streamPrefix)_DLQ), e.g. `nats sub '\(prefix).\(example).>'` "
            + "or `nats stream view \(streamName(example))`; see docs/jetstream.md")
    }

    /// `Nats-` headers first, then the properties by name (UTF-8 byte order), then the bridge's `Mq-` headers
    /// in the order docs/jetstream.md gives.
    static func ordered(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        let bridgeOrder = ["mq-keys", "mq-born-timestamp", "mq-encoded", "mq-empty"]
        func rank(_ name: String) -> Int {
            let lower = name.lowercased()
            if lower.hasPrefix("nats-") { return 0 }
            guard lower.hasPrefix("mq-") else { return 1 }
            return 2 + (bridgeOrder.firstIndex(of: lower) ?? bridgeOrder.count)
        }
        return headers.enumerated().sorted { left, right in
            let (l, r) = (rank(left.element.name), rank(right.element.name))
            if l != r { return l < r }
            if l == 1, left.element.name != right.element.name {
                return Array(left.element.name.utf8).lexicographicallyPrecedes(Array(right.element.name.utf8))
            }
            return left.offset < right.offset
        }.map(\.element)
    }

    static func printable(_ body: [UInt8]) -> String {
        if let text = String(validating: body, as: UTF8.self), !text.contains(where: { $0.isNewline }) { return text }
        return "<\(body.count) bytes>"
    }
}
