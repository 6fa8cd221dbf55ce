import ArgumentParser
import BridgeConfig
import BridgeCore

struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Dry-run the mapping engine on one message and print the result as JSON.",
        discussion: """
            MQTT -> queue: --mqtt-topic with --payload or --payload-file prints one JSON line per resulting
            queue-side message. Queue -> MQTT: --queue-topic with --body or --body-file prints the MQTT publish.
            A message that is rejected or that no rule takes: the reason on stderr, exit 1.
            """
    )

    @Option(name: .long, help: "The mapping file.")
    var config: String

    @Option(name: .customLong("mqtt-topic"), help: "MQTT -> queue: the topic of the MQTT message.")
    var mqttTopic: String?
    @Option(name: .long, help: "MQTT -> queue: the payload as text.")
    var payload: String?
    @Option(name: .customLong("payload-file"), help: "MQTT -> queue: read the payload from a file.")
    var payloadFile: String?
    @Option(name: .long, help: "MQTT -> queue: the QoS the message arrived with (0, 1 or 2).")
    var qos: Int = 0
    @Flag(name: .long, help: "MQTT -> queue: the retain flag was set.")
    var retain = false
    @Option(name: .customLong("user-property"), help: "MQTT -> queue: an MQTT 5 user property KEY=VALUE (repeatable).")
    var userProperties: [String] = []
    @Option(name: .customLong("client-id"), help: "MQTT -> queue: the publisher's client ID, when known.")
    var clientId: String?

    @Option(name: .customLong("queue-topic"), help: "Queue -> MQTT: the queue topic of the message.")
    var queueTopic: String?
    @Option(name: .long, help: "Queue -> MQTT: the tag.")
    var tag: String?
    @Option(name: .long, help: "Queue -> MQTT: a message key (repeatable).")
    var key: [String] = []
    @Option(name: .long, help: "Queue -> MQTT: a user property KEY=VALUE (repeatable).")
    var property: [String] = []
    @Option(name: .long, help: "Queue -> MQTT: the body as text.")
    var body: String?
    @Option(name: .customLong("body-file"), help: "Queue -> MQTT: read the body from a file.")
    var bodyFile: String?

    func validate() throws {
        guard (mqttTopic == nil) != (queueTopic == nil) else {
            throw ValidationError("give exactly one of --mqtt-topic (MQTT -> queue) or --queue-topic (queue -> MQTT)")
        }
        if mqttTopic != nil {
            guard (payload == nil) != (payloadFile == nil) else {
                throw ValidationError("give exactly one of --payload or --payload-file")
            }
            guard (0...2).contains(qos) else { throw ValidationError("--qos must be 0, 1 or 2") }
        } else {
            guard (body == nil) != (bodyFile == nil) else {
                throw ValidationError("give exactly one of --body or --body-file")
            }
        }
    }

    func run() throws {
        let configuration: BridgeConfiguration
        do {
            configuration = try ConfigLoader.load(path: config)
        } catch {
            Console.error(error.description)
            throw ExitCode(1)
        }
        do {
            if let mqttTopic {
                try translateOutflow(topic: mqttTopic, mappings: configuration.mappings)
            } else if let queueTopic {
                try translateInflow(topic: queueTopic, mappings: configuration.mappings)
            }
        } catch let error as TranslationError {
            Console.error("rejected (\(error.reason.rawValue)): \(error.message)")
            throw ExitCode(1)
        } catch let error as ValidationErrorText {
            Console.error(error.description)
            throw ExitCode(1)
        }
    }

    private func translateOutflow(topic: String, mappings: MappingTable) throws {
        let payloadBytes = try payloadFile.map { try Console.readFile($0, what: "payload file") } ?? Array((payload ?? "").utf8)
        let properties = try userProperties.map { text in
            let (key, value) = try splitKeyValue(text, option: "--user-property")
            return UserProperty(key: key, value: value)
        }
        let message = MQTTMessage(
            topic: topic, payload: payloadBytes, qos: QoS(rawValue: UInt8(qos))!, retain: retain,
            userProperties: properties)
        let results = try mappings.outflow(message, publisherClientId: clientId)
        if results.isEmpty {
            Console.error("no outflow rule matches MQTT topic '\(topic)'")
            throw ExitCode(1)
        }
        for result in results {
            print(MessageJSON.render(result.message))
        }
    }

    private func translateInflow(topic: String, mappings: MappingTable) throws {
        let bodyBytes = try bodyFile.map { try Console.readFile($0, what: "body file") } ?? Array((body ?? "").utf8)
        var properties: [String: String] = [:]
        for text in property {
            let (name, value) = try splitKeyValue(text, option: "--property")
            properties[name] = value
        }
        let message = QueueMessage(topic: topic, tag: tag, keys: key, properties: properties, body: bodyBytes)
        let result = try mappings.inflow(message)
        print(MessageJSON.render(result.message))
    }
}
