import ArgumentParser
import BridgeConfig
import BridgeHub
import BridgeRuntime
import Logging
import ZeroMQ

/// Logs the mapping file's warnings (valid settings that are probably a mistake) once at start-up.
func logConfigurationWarnings(_ configuration: BridgeConfiguration, logger: Logger) {
    for warning in configuration.warnings {
        logger.warning("\(warning)")
    }
}

/// Runs `body`; an error it throws is printed and ends the command with exit status 1.
func exitOnFailure<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch {
        Console.error("mqbridge: \(error)")
        throw ExitCode(1)
    }
}

/// Builds the hub side of the bridge (hub, status view, HTTP API) for a configuration; `workers` are the
/// endpoints MQTT workers connect to. A configuration that cannot be used is printed and ends the command
/// with exit status 1.
func makeBridgeHost(_ configuration: BridgeConfiguration, context: ZMQContext, workers: [String], logger: Logger) throws -> BridgeHost {
    try exitOnFailure {
        try BridgeHost(configuration: configuration, context: context, workers: workers, logger: logger)
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the hub and the MQTT worker in one process until SIGINT or SIGTERM."
    )

    @OptionGroup var options: RuntimeOptions

    func run() async throws {
        let configuration = try options.prepare()
        let logger = Logger(label: "mqbridge")
        let context = try ZMQContext()
        let workerEndpoint = "inproc://mqbridge-workers"
        let host = try makeBridgeHost(configuration, context: context, workers: [workerEndpoint], logger: logger)
        let workerLogger = Logger(label: "mqbridge.mqtt")
        let password = try configuration.mqtt.resolvedPassword()
        let worker = try exitOnFailure {
            try MQTTWorker(
                settings: configuration.mqtt, hubEndpoint: workerEndpoint, context: context,
                options: MQTTWorker.Options(name: "mqtt-embedded", password: password, spool: configuration.spool),
                logger: workerLogger)
        }
        host.attach(worker: worker)
        let jetStream = try configuration.jetstream.map { settings in
            try makeJetStreamWorker(configuration, settings: settings, hubEndpoint: workerEndpoint, context: context, curve: nil)
        }
        // A group stops its services in reverse: the MQTT side first, which stops taking messages and drains
        // what is in flight through the hub and the engine, still there to acknowledge it; then the JetStream
        // worker, the API, the hub and the status view.
        var services = host.services()
        if let jetStream { host.attach(jetStream: jetStream) }
        if let jetStream { services.append(BridgeHost.supervised(ThreadedService(jetStream, logger: Logger(label: "mqbridge.jetstream")))) }
        services.append(BridgeHost.supervised(ThreadedService(worker, logger: workerLogger)))
        if options.progress > 0 { services.append(BridgeHost.supervised(ProgressReportService(host: host, every: .seconds(options.progress)))) }
        logger.info("mqbridge running; \(configuration.summary)")
        logConfigurationWarnings(configuration, logger: logger)
        try await runServices(services, logger: logger) { reloadMappings(path: options.config, host: host, logger: logger) }
    }
}

struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Run the hub alone; MQTT workers connect to hub.endpoint (default tcp://127.0.0.1:5600)."
    )

    @OptionGroup var options: RuntimeOptions

    func run() async throws {
        let configuration = try options.prepare()
        let logger = Logger(label: "mqbridge")
        let context = try ZMQContext()
        let host = try makeBridgeHost(configuration, context: context, workers: [configuration.hub.endpoint], logger: logger)
        var services = host.services()
        if options.progress > 0 { services.append(BridgeHost.supervised(ProgressReportService(host: host, every: .seconds(options.progress)))) }
        logConfigurationWarnings(configuration, logger: logger)
        try await runServices(services, logger: logger) { reloadMappings(path: options.config, host: host, logger: logger) }
    }
}

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker as a separate process.",
        subcommands: [MQTTWorkerCommand.self, JetStreamWorkerCommand.self]
    )
}

struct MQTTWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqtt",
        abstract: "Run the MQTT worker; it connects to the broker in mqtt.url and to the hub at hub.endpoint."
    )

    @OptionGroup var options: RuntimeOptions

    @Option(name: .long, help: "Outflow messages in flight to the hub before the worker stops reading from the broker.")
    var window: Int = 1_000

    func run() async throws {
        let configuration = try options.prepare()
        let logger = Logger(label: "mqbridge.mqtt")
        let curve = try workerCurveKeys(configuration, logger: logger)
        let context = try ZMQContext()
        let password = try configuration.mqtt.resolvedPassword()
        let worker = try exitOnFailure {
            try MQTTWorker(
                settings: configuration.mqtt, hubEndpoint: configuration.hub.endpoint, context: context,
                options: MQTTWorker.Options(name: "mqtt-\(configuration.mqtt.clientId)", window: window, password: password,
                                            spool: configuration.spool, curve: curve),
                logger: logger)
        }
        try await runServices([BridgeHost.supervised(ThreadedService(worker, logger: logger))], logger: logger)
    }
}

/// Builds the JetStream worker of a mapping file; a setting that cannot be used ends the command with exit 1.
func makeJetStreamWorker(_ configuration: BridgeConfiguration, settings: JetStreamSettings, hubEndpoint: String, context: ZMQContext,
                         curve: CurveClientKeys?) throws -> JetStreamWorker {
    try exitOnFailure {
        try JetStreamWorker(
            options: JetStreamWorker.Options(settings, name: "jetstream-\(configuration.mqtt.clientId)", curve: curve),
            mappings: configuration.mappings, hubEndpoint: hubEndpoint, context: context, logger: Logger(label: "mqbridge.jetstream"))
    }
}

struct JetStreamWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jetstream",
        abstract: "Run the JetStream worker; it connects to the NATS servers in jetstream.url and to the hub at hub.endpoint."
    )

    @OptionGroup var options: RuntimeOptions

    func run() async throws {
        let configuration = try options.prepare()
        guard let settings = configuration.jetstream else {
            Console.error("mqbridge: \(options.config) has no jetstream section: add one (jetstream.url names the NATS servers)")
            throw ExitCode(1)
        }
        let logger = Logger(label: "mqbridge.jetstream")
        let curve = try workerCurveKeys(configuration, logger: logger)
        let context = try ZMQContext()
        let worker = try makeJetStreamWorker(
            configuration, settings: settings, hubEndpoint: configuration.hub.endpoint, context: context, curve: curve)
        try await runServices([BridgeHost.supervised(ThreadedService(worker, logger: logger))], logger: logger)
    }
}

/// `worker.curve`'s keys; a CURVE hub on tcp:// without them is a start-up error, not a silent wait.
func workerCurveKeys(_ configuration: BridgeConfiguration, logger: Logger) throws -> CurveClientKeys? {
    guard let settings = configuration.worker.curve else {
        if configuration.hub.curve != nil, configuration.hub.endpoint.hasPrefix("tcp://") {
            Console.error("mqbridge: hub.curve is set, so the hub at \(configuration.hub.endpoint) lets in only CURVE clients: "
                + "add a worker.curve section (serverKey or serverKeyFile, and secretKeyFile or secretKeyEnv)")
            throw ExitCode(1)
        }
        return nil
    }
    do {
        let loaded = try settings.load()
        if let warning = loaded.warning { logger.warning("\(warning)") }
        logger.info("CURVE to the hub", metadata: ["hubPublicKey": "\(settings.serverKey)", "workerPublicKey": "\(loaded.keys.clientKeys.publicKey)"])
        return loaded.keys
    } catch {
        Console.error("mqbridge: \(error)")
        throw ExitCode(1)
    }
}
