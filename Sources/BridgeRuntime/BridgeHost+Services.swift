import Logging
import ServiceLifecycle

extension BridgeHost {
    /// The host's pieces as services, in start order: the status view, the hub, the API. A service group stops
    /// them in reverse: the API first, then the hub (after the workers that come later in the group), and the
    /// status view is written to disk last. Any of them that fails shuts the whole group down.
    public func services() -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var pieces: [any Service] = []
        if presence != nil { pieces.append(StatusViewService(host: self)) }
        pieces.append(ThreadedService(hub, logger: logger))
        if configuration.api != nil { pieces.append(APIService(host: self)) }
        return pieces.map(Self.supervised)
    }

    /// A piece whose end (by failure or not) shuts the group down.
    public static func supervised(_ service: any Service) -> ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
    }
}

/// The online-status view: forgets offline clients now and then while the bridge runs, and is written to disk
/// when the group stops.
struct StatusViewService: Service, CustomStringConvertible {
    let host: BridgeHost

    var description: String { "status view" }

    func run() async throws {
        host.startForgetting()
        host.warnOfUnreadStatus()
        try? await gracefulShutdown()
        host.stopForgetting()
        host.presence?.close()
    }
}

/// The HTTP API (`api.listen`): listens until the group stops; a port that cannot be had fails the group.
struct APIService: Service, CustomStringConvertible {
    let host: BridgeHost

    var description: String { "HTTP API" }

    func run() async throws {
        do {
            try host.startAPI()
        } catch {
            host.logger.critical("the HTTP API cannot start: \(error)")
            throw error
        }
        try? await gracefulShutdown()
        host.stopAPI()
    }
}

/// The progress lines in the log (`--progress`), while the group runs.
public struct ProgressReportService: Service, CustomStringConvertible {
    let host: BridgeHost
    let interval: Duration

    public init(host: BridgeHost, every interval: Duration) {
        self.host = host
        self.interval = interval
    }

    public var description: String { "progress reports" }

    public func run() async throws {
        host.startProgressReports(every: interval)
        try? await gracefulShutdown()
        host.stopProgressReports()
    }
}
