import APIServer
import BridgeConfig
import BridgeCore
import BridgeHub
import BridgePresence
import Foundation
import Logging
import Synchronization
import ZeroMQ

/// The hub side of a bridge, put together from a mapping file: the hub, the online-status view when
/// `status.source` is set, and the HTTP API when `api.listen` is set. `run`, `hub`, the demo and the tests
/// start bridges through it, so they all start the same way.
public final class BridgeHost: @unchecked Sendable {
    // Safe: started and stopped from one thread; the parts it holds are thread-safe themselves.

    public let hub: HubService
    public let presence: PresenceService?
    /// The HTTP listener; read by metrics on its own thread, so behind a lock.
    private let api = Mutex<APIServer?>(nil)
    /// The MQTT worker of the same process (`run`), for health and metrics; nil for `hub`.
    private let worker = Mutex<MQTTWorker?>(nil)
    /// The JetStream worker of the same process (`run` with a `jetstream` section), for health and metrics.
    private let jetStream = Mutex<JetStreamWorker?>(nil)
    private var progressTimer: DispatchSourceTimer?
    /// Runs the online-status view's `forgetOffline(now:)` now and then.
    private var forgetTimer: DispatchSourceTimer?
    let configuration: BridgeConfiguration
    let logger: Logger
    /// When this host was made (milliseconds since the epoch), for the console.
    let startedAt = WallClock.epochMs()
    /// The rules in use (replaced by ``reload(_:)``), for the console's form and rule list.
    private let mappingsInUse: Mutex<MappingTable>
    private let lastReload = Mutex<ReloadRecord?>(nil)

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
        mappingsInUse = Mutex(configuration.mappings)
        let security = try configuration.hub.curve.map { settings throws(SecretKeyError) in
            try HubSecurity.load(settings, environment: environment)
        }
        if let source = configuration.status.source.statusSource {
            presence = try PresenceService(
                source: source, stateDirectory: stateDirectory ?? configuration.status.stateDirectory,
                forgetOfflineAfter: configuration.status.forgetOfflineAfter, logger: Logger(label: logger.label + ".status"))
        } else {
            presence = nil
        }
        hub = try HubService(
            context: context,
            endpoints: HubService.Endpoints(
                workers: workers, consumers: configuration.queue?.publish, producers: configuration.queue?.accept),
            mappings: configuration.mappings,
            settings: HubSettings(
                heartbeatMs: Int64(configuration.hub.heartbeatMs), durableGroups: configuration.queue?.durableGroups ?? [],
                engineExpected: configuration.jetstream != nil,
                declaredDurable: (configuration.queue?.durable ?? []).map { DurableSubscription(topic: $0.topic, group: $0.group, tags: $0.tags) },
                maxMessageBytes: configuration.hub.maxMessageBytes(bodyLimit: configuration.mappings.limits.maxBodyBytes)),
            presence: presence,
            spoolDirectory: configuration.spool.directory,
            security: security,
            logger: Logger(label: logger.label + ".hub"))
    }

    /// CURVE handshakes the hub refused so far (0 without `hub.curve`).
    public var curveRefusals: Int { hub.curveRefusals }

    /// Starts the hub, then the API; throws (having stopped what started) when an endpoint cannot be bound.
    public func start() throws {
        try hub.start()
        do {
            try startAPI()
        } catch {
            hub.stop()
            throw error
        }
        startForgetting()
        warnOfUnreadStatus()
    }

    /// Starts the HTTP listener when `api.listen` is set; throws when it cannot listen.
    func startAPI() throws {
        guard let settings = configuration.api else { return }
        let routes = StatusAPI(
            presence: presence, health: { [weak self] in self?.health() ?? HealthReport(checks: []) },
            metrics: { [weak self] () throws(ServiceUnavailable) -> String in
                guard let self else { return "" }
                return try self.metricsText()
            },
            console: StatusAPI.Console(
                state: { [weak self] () throws(ServiceUnavailable) -> String in
                    guard let self else { throw ServiceUnavailable("the bridge is stopping") }
                    return try self.consoleState().json
                },
                translate: { [weak self] body in
                    guard let self else { return (503, #"{"result":"invalid","message":"the bridge is stopping"}"#) }
                    return ConsoleTranslate.answer(body, mappings: self.mappingsInUse.withLock { $0 })
                }),
            token: settings.token)
        let server = routes.server(host: settings.host, port: settings.port, logger: Logger(label: logger.label + ".api"))
        try server.start()
        api.withLock { $0 = server }
        logger.info("HTTP API listening on \(settings.host):\(server.boundPort ?? settings.port)")
    }

    /// Stops the HTTP listener, if it runs.
    func stopAPI() {
        let server = api.withLock { server in
            defer { server = nil }
            return server
        }
        server?.stop()
    }

    func warnOfUnreadStatus() {
        if configuration.status.source != .none, configuration.api == nil, configuration.mappings.statusRules.isEmpty {
            logger.warning("status.source is set but there are no status rules and no api.listen: the status view has no reader")
        }
    }

    /// Replaces the rules with those of `fresh` at once, with no message lost. Returns a note for each
    /// setting that differs but takes a restart to apply (broker, endpoints, API, status source, spool).
    public func reload(_ fresh: BridgeConfiguration) -> [String] {
        hub.reload(fresh.mappings)
        mappingsInUse.withLock { $0 = fresh.mappings }
        let rules = fresh.mappings
        noteReload(ok: true, "\(rules.outflowRules.count) outflow, \(rules.inflowRules.count) inflow, \(rules.statusRules.count) status rules")
        var notes: [String] = []
        let restartOnly: [(String, Bool)] = [
            ("mqtt", fresh.mqtt != configuration.mqtt), ("queue", fresh.queue != configuration.queue),
            ("api", fresh.api != configuration.api), ("hub", fresh.hub != configuration.hub),
            ("status", fresh.status != configuration.status), ("spool", fresh.spool != configuration.spool),
        ]
        for (section, changed) in restartOnly where changed {
            notes.append("section '\(section)' changed; it takes effect at the next start (rules are reloaded now)")
        }
        return notes
    }

    /// Records a reload for the console: `ok` with what was loaded, or not with why the file was refused.
    public func noteReload(ok: Bool, _ detail: String) {
        lastReload.withLock { $0 = ReloadRecord(time: WallClock.epochMs(), ok: ok, detail: detail) }
    }

    /// What the console shows now.
    /// - Throws: ``ServiceUnavailable`` when the hub thread does not answer within `HubService.countersTimeout`.
    public func consoleState() throws(ServiceUnavailable) -> ConsoleState {
        guard let counters = hub.counters() else { throw ServiceUnavailable(HubService.unresponsiveReason) }
        let spool = worker.withLock { $0?.stats }
        return ConsoleState(
            time: WallClock.epochMs(), startedAt: startedAt, counters: counters, mappings: mappingsInUse.withLock { $0 },
            lastReload: lastReload.withLock { $0 }, health: health(counters).checks,
            spoolBytes: spool?.spoolBytes, spoolMessages: spool?.spoolMessages,
            status: presence.map {
                ConsoleState.StatusView(
                    source: $0.source.rawValue, online: $0.onlineClients, tracked: $0.trackedClients, recent: $0.recentEvents())
            })
    }

    /// The API's port (the bound one when `api.listen` asked for port 0); nil without an API.
    public var apiPort: Int? { api.withLock { $0?.boundPort } }

    /// Makes the worker of this process part of health checks and metrics.
    public func attach(worker: MQTTWorker) {
        self.worker.withLock { $0 = worker }
    }

    /// Makes the JetStream worker of this process part of health checks and metrics.
    public func attach(jetStream worker: JetStreamWorker) {
        jetStream.withLock { $0 = worker }
    }

    /// The hub has an MQTT worker (and, with a `jetstream` section, a JetStream worker); the workers of this
    /// process (if any) are connected to the broker and to JetStream.
    /// When the hub thread does not answer within `HubService.countersTimeout`, the hub check fails with
    /// that reason.
    public func health() -> HealthReport {
        guard let counters = hub.counters() else {
            return HealthReport(checks: [HealthReport.Check(name: "hub", ok: false, detail: HubService.unresponsiveReason)])
        }
        return health(counters)
    }

    /// The health checks, from counters the hub gave already.
    func health(_ counters: HubCounters) -> HealthReport {
        var checks = [
            HealthReport.Check(
                name: "hub", ok: counters.workers > 0,
                detail: "\(counters.workers) MQTT workers, \(counters.consumers) consumers, \(counters.producers) producers connected"),
        ]
        if configuration.jetstream != nil {
            checks.append(HealthReport.Check(
                name: "engine", ok: counters.engines > 0,
                detail: counters.engines > 0 ? "\(counters.engines) JetStream workers connected"
                    : "no JetStream worker connected; \(counters.heldForEngine) messages held for it"))
        }
        if let stats = jetStream.withLock({ $0?.stats }) {
            let servers = configuration.jetstream?.servers.map(\.description).joined(separator: ",") ?? "-"
            let ok = stats.connected && stats.streamsReady
            checks.append(HealthReport.Check(
                name: "jetstream", ok: ok,
                detail: ok ? "connected to \(servers), streams ready" : "\(stats.lastError ?? "not connected to \(servers)")"))
        }
        if let stats = worker.withLock({ $0?.stats }) {
            checks.append(HealthReport.Check(
                name: "broker", ok: stats.brokerConnected,
                detail: stats.brokerConnected ? "connected to \(configuration.mqtt.url)" : "not connected to \(configuration.mqtt.url)"))
        }
        return HealthReport(checks: checks)
    }

    /// Every metric, in the Prometheus text format.
    /// - Throws: ``ServiceUnavailable`` when the hub thread does not answer within `HubService.countersTimeout`.
    public func metricsText() throws(ServiceUnavailable) -> String {
        guard let counters = hub.counters() else { throw ServiceUnavailable(HubService.unresponsiveReason) }
        var text = PrometheusText()
        text.counter("mqbridge_outflow_received_total", "MQTT messages received from workers.", counters.outflowReceived)
        text.counters("mqbridge_outflow_routed_total", "Queue-side messages produced, by outflow or status rule.", label: "rule", counters.outflowRouted)
        text.counters("mqbridge_inflow_published_total", "Producer messages published to MQTT, by inflow rule.", label: "rule", counters.inflowPublished)
        text.counters("mqbridge_rejected_total", "Messages refused, by reason.", label: "reason", counters.rejected)
        text.counters("mqbridge_protocol_errors_total", "Malformed or unexpected wire messages, by error code.", label: "code", counters.protocolErrors)
        text.counter("mqbridge_unmatched_total", "MQTT messages that matched no outflow rule.", counters.unmatched)
        text.counter("mqbridge_unrouted_total", "Queue-side messages no consumer or durable group took (dropped).", counters.unrouted)
        text.counter("mqbridge_deliveries_acked_total", "Deliveries acknowledged by consumers.", counters.deliveriesAcked)
        text.counter("mqbridge_deliveries_dropped_total", "Deliveries lost with a consumer that had no group to take them.", counters.deliveriesDropped)
        text.counter("mqbridge_redelivered_total", "Deliveries handed to another group member or kept for a durable group.", counters.redelivered)
        text.counter("mqbridge_peers_timed_out_total", "Peers dropped after three silent heartbeats.", counters.peersTimedOut)
        text.counter("mqbridge_curve_refusals_total", "CURVE handshakes refused (client key not allowed).", curveRefusals)
        text.gauge("mqbridge_in_flight", "Deliveries sent to consumers and not acknowledged, or queued for them.", counters.inFlight)
        text.gauge("mqbridge_held_for_durable_groups", "Deliveries kept for durable groups with no member connected.", counters.heldForDurableGroups)
        text.gauge("mqbridge_workers", "Connected MQTT workers.", counters.workers)
        text.gauge("mqbridge_consumers", "Connected consumers.", counters.consumers)
        text.gauge("mqbridge_producers", "Connected producers.", counters.producers)
        text.histogram("mqbridge_delivery_latency_seconds", "From the hub receiving a message to its consumer's acknowledgement.", counters.deliveryLatency)
        if let stats = worker.withLock({ $0?.stats }) {
            text.gauge("mqbridge_broker_connected", "1 while the MQTT worker is connected to the broker.", stats.brokerConnected ? 1 : 0)
            text.counter("mqbridge_broker_reconnects_total", "Broker connections after the first.", max(0, stats.brokerConnections - 1))
            text.gauge("mqbridge_spool_bytes", "Unsettled outflow in the journal, in bytes.", stats.spoolBytes)
            text.gauge("mqbridge_spool_messages", "Unsettled outflow messages in the journal.", stats.spoolMessages)
        }
        if configuration.jetstream != nil {
            text.gauge("mqbridge_engines", "Connected engine (JetStream) workers.", counters.engines)
            text.gauge("mqbridge_held_for_engine", "Deliveries held while no JetStream worker is connected.", counters.heldForEngine)
        }
        if let stats = jetStream.withLock({ $0?.stats }) {
            text.gauge("mqbridge_jetstream_connected", "1 while the JetStream worker is connected to NATS.", stats.connected ? 1 : 0)
            text.gauge("mqbridge_jetstream_streams_ready", "1 once every stream exists with the mapping file's settings.", stats.streamsReady ? 1 : 0)
            text.gauge("mqbridge_jetstream_pending", "Messages taken from the hub and not yet stored in JetStream.", stats.pending)
            text.counter("mqbridge_jetstream_published_total", "Publishes to JetStream, resends included.", stats.outflow.published)
            text.counter("mqbridge_jetstream_acked_total", "Messages JetStream stored (PubAck), duplicates included.", stats.outflow.stored)
            text.counter("mqbridge_jetstream_duplicates_total", "PubAcks that said the message was stored before.", stats.outflow.duplicates)
            text.counter("mqbridge_jetstream_resends_total", "Publishes sent again after a failure or a timeout.", stats.outflow.resends)
            text.counter("mqbridge_jetstream_publish_failures_total", "Publishes that failed or went unanswered (each is sent again).", stats.outflow.failures)
            text.counter("mqbridge_jetstream_refused_total", "Messages JetStream refused for good (e.g. over max_payload).", stats.outflow.refused)
            text.counter("mqbridge_jetstream_disconnects_total", "NATS connections lost.", stats.disconnects)
            text.counter("mqbridge_jetstream_inflow_fetched_total", "Messages fetched by the inflow consumers.", stats.inflow.fetched)
            text.counter("mqbridge_jetstream_inflow_acked_total", "Inflow messages published to MQTT and acked on JetStream.", stats.inflow.acked)
            text.counter("mqbridge_jetstream_inflow_retried_total", "Inflow messages NAKed to come back later (e.g. the broker was down).", stats.inflow.retried)
            text.counter("mqbridge_jetstream_dead_lettered_total", "Rejected inflow messages moved to the DLQ.", stats.inflow.deadLettered)
        }
        if let presence {
            let status = presence.counters()
            text.gauge("mqbridge_tracked_clients", "Clients in the online-status view.", presence.trackedClients)
            text.counter("mqbridge_status_forgotten_clients_total", "Clients forgotten after status.forgetOfflineAfter offline.", status.forgottenClients)
            text.counters("mqbridge_status_events_total", "Client status events produced, by type.", label: "type", status.events)
            text.counters("mqbridge_status_problems_total", "Broker status messages not understood, by kind.", label: "kind", status.problems)
        }
        if let served = api.withLock({ $0?.requestsServed }) {
            text.counter("mqbridge_http_requests_total", "HTTP requests answered.", served)
        }
        return text.text
    }

    /// Logs one line every `interval` with the traffic since the last one, for people watching the log.
    public func startProgressReports(every interval: Duration) {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "mqbridge.progress"))
        let previous = Mutex(hub.counters() ?? HubCounters())
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            guard let now = self.hub.counters() else {
                self.logger.warning("progress: \(HubService.unresponsiveReason)")
                return
            }
            let before = previous.withLock { old in
                defer { old = now }
                return old
            }
            let outflow = now.outflowReceived - before.outflowReceived
            let delivered = now.deliveriesAcked - before.deliveriesAcked
            let inflow = now.inflowPublished.values.reduce(0, +) - before.inflowPublished.values.reduce(0, +)
            let rejected = now.rejected.values.reduce(0, +) - before.rejected.values.reduce(0, +)
            var line = "progress: outflow \(Self.rate(outflow, seconds))/s, delivered \(Self.rate(delivered, seconds))/s, "
            line += "inflow \(Self.rate(inflow, seconds))/s, rejected \(rejected), in flight \(now.inFlight), "
            line += "held \(now.heldForDurableGroups + now.heldForEngine), peers \(now.workers)w/\(now.consumers)c/\(now.producers)p"
            if now.engines > 0 { line += "/\(now.engines)e" }
            if let p99 = now.deliveryLatency.quantileUpperBoundMs(0.99) { line += ", p99 ≤ \(p99) ms" }
            if let presence = self.presence { line += ", clients \(presence.trackedClients)" }
            if let stats = self.worker.withLock({ $0?.stats }) {
                line += ", broker \(stats.brokerConnected ? "up" : "DOWN"), spool \(stats.spoolBytes) B"
            }
            if let stats = self.jetStream.withLock({ $0?.stats }) {
                line += ", jetstream \(stats.connected && stats.streamsReady ? "up" : "DOWN"), stored \(stats.outflow.stored), pending \(stats.pending)"
            }
            self.logger.info("\(line)")
        }
        timer.resume()
        progressTimer = timer
    }

    static func rate(_ count: Int, _ seconds: Double) -> Int { Int((Double(count) / seconds).rounded()) }

    /// Forgets clients offline for longer than `status.forgetOfflineAfter`, every tenth of that time (at
    /// most every 10 minutes, at least every second), on a queue of its own.
    func startForgetting() {
        guard let presence, let after = presence.forgetOfflineAfterMs else { return }
        let seconds = min(600, max(1, Double(after) / 10_000))
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "mqbridge.status-forget"))
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
        let logger = logger
        timer.setEventHandler {
            let forgotten = presence.forgetOffline(now: WallClock.epochMs())
            if forgotten > 0 {
                logger.info("forgot \(forgotten) clients offline for longer than \(after / 1_000) s")
            }
        }
        timer.resume()
        forgetTimer = timer
    }

    /// Stops forgetting offline clients (see `startForgetting`).
    func stopForgetting() {
        forgetTimer?.cancel()
        forgetTimer = nil
    }

    /// Stops the progress lines of `startProgressReports`.
    public func stopProgressReports() {
        progressTimer?.cancel()
        progressTimer = nil
    }

    /// Stops the API, then the hub, then writes the status view to disk.
    public func stop() {
        stopProgressReports()
        stopForgetting()
        stopAPI()
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
