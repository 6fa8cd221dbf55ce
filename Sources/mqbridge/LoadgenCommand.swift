import ArgumentParser
import BridgeConfig
import LoadGenerator
import Mosquitto

struct LoadgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Publish generated MQTT traffic over several connections and report the rate the broker took.",
        discussion: """
            Without --rate each connection publishes as fast as the broker takes its messages (a full socket, \
            or at QoS 1 a full --window of unacknowledged publishes, holds it back). Payloads carry the \
            publish time (monotonic ns) for latency measurements. A progress line goes to standard error \
            every second, the summary to standard output.
            """
    )

    @Option(name: .long, help: "The broker, mqtt://host[:port].")
    var url: String = "mqtt://127.0.0.1:1883"
    @Option(name: .long, help: "The topic; with --topics N, messages go to TOPIC/0 … TOPIC/N-1 in turn.")
    var topic: String
    @Option(name: .long, help: "Number of distinct topics under --topic.")
    var topics: Int = 1
    @Option(name: .long, help: "QoS of the publishes: 0, 1 or 2.")
    var qos: Int = 0
    @Option(name: .long, help: "Connections, each on its own thread.")
    var connections: Int = 1
    @Option(name: .long, help: "Messages in all.")
    var count: Int = 100_000
    @Option(name: .long, help: "Payload bytes.")
    var size: Int = 100
    @Option(name: .long, help: "Messages per second over all connections (default: as fast as the broker takes them).")
    var rate: Double?
    @Option(name: .long, help: "QoS 1/2 publishes per connection in flight before it waits for acknowledgements.")
    var window: Int = 100
    @Option(name: .long, help: "MQTT protocol: 5 or 3.1.1.")
    var `protocol`: String = "5"
    @Option(name: .customLong("client-id-prefix"), help: "Client IDs are PREFIX-N.")
    var clientIdPrefix: String = "mqbridge-loadgen"

    func run() throws {
        let broker: BrokerURL
        switch BrokerURL.parse(url) {
        case .success(let parsed): broker = parsed
        case .failure(let error): throw ValidationError(error.description)
        }
        if broker.tls { throw ValidationError("loadgen speaks plain MQTT only; use an mqtt:// URL") }
        guard let mqttQoS = MQTTQoS(rawValue: qos) else { throw ValidationError("--qos must be 0, 1 or 2") }
        let version: MQTTProtocolVersion
        switch self.protocol {
        case "5": version = .v5
        case "3.1.1", "4": version = .v311
        default: throw ValidationError("--protocol must be 5 or 3.1.1")
        }
        let options = LoadOptions(
            host: broker.host, port: broker.port, topic: topic, topicCount: topics, qos: mqttQoS, connections: connections,
            count: count, size: size, rate: rate, window: window, protocolVersion: version, clientIdPrefix: clientIdPrefix)
        let generator: MQTTLoadGenerator
        do {
            generator = try MQTTLoadGenerator(options: options)
        } catch {
            throw ValidationError(error.description)
        }
        let report: LoadReport
        do {
            report = try generator.run { Console.error($0.line) }
        } catch {
            Console.error("mqbridge loadgen: \(error)")
            throw ExitCode(1)
        }
        Console.output(report.summary)
        if !report.errors.isEmpty || report.completed < options.count { throw ExitCode(1) }
    }
}
