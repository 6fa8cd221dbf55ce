import ArgumentParser
import BridgeCore
import BridgeRuntime
import Foundation
import ZeroMQ

struct ConsumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Consume queue-side messages from the bridge and print each one as a JSON line.",
        discussion: """
            Exits 0 after --count messages or when --timeout seconds have passed since it started, messages or not, \
            once a hub has answered. Exits 1, saying so, when no hub answered at --endpoint within --timeout.
            """
    )

    @Option(name: .long, help: "The bridge's queue.publish endpoint, e.g. tcp://127.0.0.1:5601.")
    var endpoint: String
    @Option(name: .long, help: "The queue topic.")
    var topic: String
    @Option(name: .long, help: "Tag expression: '*' or tags joined by '||'.")
    var tags: String = "*"
    @Option(name: .long, help: "Consumer group: members of one group share the messages.")
    var group: String?
    @Option(name: .long, help: "Exit after this many messages.")
    var count: Int?
    @Option(name: .long, help: "Exit after this many seconds.")
    var timeout: Double?
    @Option(name: .long, help: "Messages the bridge may send before they are acknowledged.")
    var window: Int = 100
    @OptionGroup(title: "CURVE (for a hub with hub.curve)") var curve: CurveClientOptions

    func run() throws {
        let keys = try curve.keys(command: "consume")
        let context = try ZMQContext()
        let consumer = try QueueConsumerClient(
            context: context, endpoint: endpoint, topic: topic, tags: tags, group: group, window: window,
            name: "mqbridge-consume", curve: keys)
        defer { consumer.close() }
        do {
            try consumer.run(
                count: count, timeoutMs: timeout.map { Int64($0 * 1_000) },
                handler: { message in Console.output(MessageJSON.render(message)) },
                onProblem: { Console.error("mqbridge consume: \($0)") })
        } catch let error as QueueClientError {
            Console.error("mqbridge consume: \(error)")
            throw ExitCode(1)
        }
    }
}

struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Send one queue-side message to the bridge; exit 0 once it is acknowledged, 1 with the reason otherwise."
    )

    @Option(name: .long, help: "The bridge's queue.accept endpoint, e.g. tcp://127.0.0.1:5602.")
    var endpoint: String
    @Option(name: .long, help: "The queue topic.")
    var topic: String
    @Option(name: .long, help: "The tag.")
    var tag: String?
    @Option(name: .long, help: "A message key (repeatable).")
    var key: [String] = []
    @Option(name: .long, help: "A user property KEY=VALUE (repeatable).")
    var property: [String] = []
    @Option(name: .long, help: "The body as text.")
    var body: String?
    @Option(name: .customLong("body-file"), help: "Read the body from a file.")
    var bodyFile: String?
    @Option(name: .long, help: "Seconds to wait for the bridge's answer.")
    var timeout: Double = 10
    @OptionGroup(title: "CURVE (for a hub with hub.curve)") var curve: CurveClientOptions

    func validate() throws {
        guard (body == nil) != (bodyFile == nil) else { throw ValidationError("give exactly one of --body or --body-file") }
    }

    func run() throws {
        var properties: [String: String] = [:]
        for text in property {
            let (name, value) = try splitKeyValue(text, option: "--property")
            properties[name] = value
        }
        let bytes = try bodyFile.map { try Console.readFile($0, what: "body file") } ?? Array((body ?? "").utf8)
        let keys = try curve.keys(command: "produce")
        let context = try ZMQContext()
        let producer = try QueueProducerClient(context: context, endpoint: endpoint, name: "mqbridge-produce", curve: keys)
        defer { producer.close() }
        do {
            let msgId = try producer.send(
                QueueMessage(topic: topic, tag: tag, keys: key, properties: properties, body: bytes),
                timeoutMs: Int64(timeout * 1_000))
            Console.output(msgId)
        } catch let error as QueueClientError {
            Console.error("mqbridge produce: \(error)")
            throw ExitCode(1)
        }
    }
}
