import BridgeConfig
import BridgeHub
import BridgePresence
import Foundation
import HTTPServer
import Logging
import ZeroMQ

/// The hub side of a bridge, put together from a mapping file: the hub, the online-status view when
/// `status.source` is set, and the HTTP API when `api.listen` is set. `run`, `hub`, the demo and the tests
/// start bridges through it, so they all start the same way.
public final class BridgeHost: @unchecked Sendable {
    // Safe: started and stopped from one thread; the parts it holds are thread-safe themselves.

    public let hub: HubService
    public let presence: PresenceService?
    private var api: HTTPServer?
    private let configuration: BridgeConfiguration
    private let logger: Logger

    /// - Parameters:
    ///   - workers: endpoints MQTT workers connect to.
    ///   - stateDirectory: overrides `status.stateDir`.
    ///   - environment: where `hub.curve.secretKeyEnv` is looked up.
    /// - Throws: ``SecretKeyError`` when `hub.curve`'s secret key cannot be read (naming the file or variable).
    public init(configuration: BridgeConfiguration, context: ZMQContext, workers: [String],
                stateDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let security = try configuration.hub.curve.map { settings throws(SecretKeyError) in
            try HubSecurity.load(settings, environment: environment)
        }
        if let source = configuration.status.source.statusSource {
            presence = try PresenceService(
                source: source, stateDirectory: stateDirectory ?? configuration.status.stateDirectory,
                logger: Logger(label: logger.label + ".status"))
        } else {
            presence = nil
        }
        hub = try HubService(
            context: context,
            endpoints: HubService.Endpoints(
                workers: workers, consumers: configuration.queue?.publish, producers: configuration.queue?.accept),
            mappings: configuration.mappings,
            settings: HubSettings(heartbeatMs: Int64(configuration.hub.heartbeatMs)),
            presence: presence,
            security: security,
            logger: Logger(label: logger.label + ".hub"))
    }

    /// CURVE handshakes the hub refused so far (0 without `hub.curve`).
    public var curveRefusals: Int { hub.curveRefusals }

    /// Starts the hub, then the API; throws (having stopped what started) when an endpoint cannot be bound.
    public func start() throws {
        try hub.start()
        if let settings = configuration.api {
            let server = HTTPServer(
                host: settings.host, port: settings.port, logger: Logger(label: logger.label + ".api"),
                handler: StatusAPI(presence: presence).handle)
            do {
                try server.start()
            } catch {
                hub.stop()
                throw error
            }
            api = server
            logger.info("HTTP API listening on \(settings.host):\(server.boundPort ?? settings.port)")
        }
        if configuration.status.source != .none, configuration.api == nil, configuration.mappings.statusRules.isEmpty {
            logger.warning("status.source is set but there are no status rules and no api.listen: the status view has no reader")
        }
    }

    /// The API's port (the bound one when `api.listen` asked for port 0); nil without an API.
    public var apiPort: Int? { api?.boundPort }

    /// Stops the API, then the hub, then writes the status view to disk.
    public func stop() {
        api?.stop()
        api = nil
        hub.stop()
        presence?.close()
    }
}

extension StatusSettings.Source {
    /// The tracker's source; nil for `none`.
    public var statusSource: StatusSource? {
        switch self {
        case .none: nil
        case .mosquittoLog: .mosquittoLog
        case .emqxEvents: .emqxEvents
        }
    }
}
