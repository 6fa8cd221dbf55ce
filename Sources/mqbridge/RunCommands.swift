import ArgumentParser
import BridgeConfig
import BridgeHub
import BridgeRuntime
import Logging
import ZeroMQ

/// Settings the mapping file may hold that this version does not act on yet: said once at start-up,
/// rather than silently ignored.
func warnAboutUnavailableFeatures(_ configuration: BridgeConfiguration, logger: Logger) {
    if configuration.status.source != .none {
        logger.warning("status.source \(configuration.status.source.rawValue) is set, but client status events are not read from the broker in this version; status rules produce no messages")
    }
    if let groups = configuration.queue?.groups, !groups.isEmpty {
        logger.warning("queue.groups \(groups) are not durable in this version: a group receives messages only while a member is connected")
    }
}

/// Builds and starts the hub for a configuration; `workers` are the endpoints MQTT workers connect to.
/// A bind failure is printed and ends the command with exit status 1.
func startHub(_ configuration: BridgeConfiguration, context: ZMQContext, workers: [String]) throws -> HubService {
    let hub = try HubService(
        context: context,
        endpoints: HubService.Endpoints(
            workers: workers, consumers: configuration.queue?.publish, producers: configuration.queue?.accept),
        mappings: configuration.mappings,
        settings: HubSettings(heartbeatMs: Int64(configuration.hub.heartbeatMs)),
        logger: Logger(label: "mqbridge.hub"))
    do {
        try hub.start()
    } catch {
        Console.error("mqbridge: \(error)")
        throw ExitCode(1)
    }
    return hub
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the hub and the MQTT worker in one process until SIGINT or SIGTERM."
    )

    @OptionGroup var options: RuntimeOptions

    func run() throws {
        let configuration = try options.prepare()
        let logger = Logger(label: "mqbridge")
        let context = try ZMQContext()
        let workerEndpoint = "inproc://mqbridge-workers"
        let hub = try startHub(configuration, context: context, workers: [workerEndpoint])
        let worker = try MQTTWorker(
            settings: configuration.mqtt, hubEndpoint: workerEndpoint, context: context,
            options: MQTTWorker.Options(name: "mqtt-embedded", password: try configuration.mqtt.resolvedPassword()),
            logger: Logger(label: "mqbridge.mqtt"))
        worker.start()
        logger.info("mqbridge running; \(configuration.summary)")
        warnAboutUnavailableFeatures(configuration, logger: logger)
        let signal = waitForTerminationSignal()
        logger.info("\(signal) received; stopping")
        worker.stop()
        hub.stop()
        logger.info("stopped")
    }
}

struct HubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Run the hub alone; MQTT workers connect to hub.endpoint (default tcp://127.0.0.1:5600)."
    )

    @OptionGroup var options: RuntimeOptions

    func run() throws {
        let configuration = try options.prepare()
        let logger = Logger(label: "mqbridge.hub")
        let context = try ZMQContext()
        let hub = try startHub(configuration, context: context, workers: [configuration.hub.endpoint])
        warnAboutUnavailableFeatures(configuration, logger: logger)
        let signal = waitForTerminationSignal()
        logger.info("\(signal) received; stopping")
        hub.stop()
    }
}

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker as a separate process.",
        subcommands: [MQTTWorkerCommand.self]
    )
}

struct MQTTWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqtt",
        abstract: "Run the MQTT worker; it connects to the broker in mqtt.url and to the hub at hub.endpoint."
    )

    @OptionGroup var options: RuntimeOptions

    @Option(name: .long, help: "Outflow messages in flight to the hub before the worker stops reading from the broker.")
    var window: Int = 1_000

    func run() throws {
        let configuration = try options.prepare()
        let logger = Logger(label: "mqbridge.mqtt")
        let context = try ZMQContext()
        let worker = try MQTTWorker(
            settings: configuration.mqtt, hubEndpoint: configuration.hub.endpoint, context: context,
            options: MQTTWorker.Options(name: "mqtt-\(configuration.mqtt.clientId)", window: window,
                                        password: try configuration.mqtt.resolvedPassword()),
            logger: logger)
        worker.start()
        let signal = waitForTerminationSignal()
        logger.info("\(signal) received; stopping")
        worker.stop()
    }
}
