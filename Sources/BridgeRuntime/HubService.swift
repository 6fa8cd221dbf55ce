import BridgeCore
import BridgeHub
import Foundation
import Logging
import Synchronization
import WireProtocol
import ZeroMQ

/// The hub: binds the worker, consumer and producer endpoints and runs the routing state machine on a
/// thread of its own, the only thread that touches its sockets.
public final class HubService: @unchecked Sendable {
    // Safe: the sockets and the router live on the hub thread only; other threads reach it through
    // `mailbox` (a locked queue) and the two semaphores, and `startError` is written before `ready` is
    // signalled and read after.

    /// Where the hub listens.
    public struct Endpoints: Sendable {
        /// Endpoints for MQTT workers (ROUTER, bound).
        public var workers: [String]
        /// `queue.publish`: consumers connect here.
        public var consumers: String?
        /// `queue.accept`: producers connect here.
        public var producers: String?

        public init(workers: [String], consumers: String?, producers: String?) {
            self.workers = workers
            self.consumers = consumers
            self.producers = producers
        }
    }

    enum Command: Sendable {
        case stop
        case status(StatusEvent)
        case reload(MappingTable)
        case snapshot(@Sendable (HubCounters) -> Void)
    }

    let context: ZMQContext
    let endpoints: Endpoints
    let logger: Logger
    let settings: HubSettings
    let initialMappings: MappingTable
    /// The online-status view the broker's status messages update; nil when status is not read.
    let presence: PresenceService?
    /// Where durable group registrations are kept between runs; nil keeps them in memory only.
    let durableFile: URL?
    /// CURVE keys for the tcp:// endpoints; nil leaves them plain.
    let security: HubSecurity?
    /// Decides who passes the CURVE handshake; set with `security`.
    let authenticator: CurveAuthenticator?
    /// Answers the CURVE sockets' ZAP requests while the hub runs.
    var zapHandler: ZAPHandler?
    let mailbox: ZMQMailbox<Command>
    /// Heartbeats and timeouts run on its monotonic clock; `bornTimestamp` comes from its wall clock.
    let clock: BridgeClock
    private let ready = DispatchSemaphore(value: 0)
    /// Signalled when the hub thread ends.
    public let threadEnd = ThreadEnd()
    private var startError: Error?
    private var thread: Thread?
    /// Why the hub thread ended by itself (a poll that failed); written on the hub thread before it ends.
    private let failure = Mutex<String?>(nil)

    /// - Parameters:
    ///   - presence: when set, MQTT workers are asked to subscribe to its status topics, and what they forward
    ///     from those topics updates it and becomes status events for the status rules.
    ///   - spoolDirectory: where the durable groups' registrations are kept, so that a restarted hub keeps
    ///     their messages before their members are back.
    ///   - security: when set, every `tcp://` endpoint is a CURVE server that lets in only
    ///     `security.allowedClients`; `inproc://` and `ipc://` endpoints stay plain.
    ///   - clock: the clocks the hub reads (tests step them).
    public init(context: ZMQContext, endpoints: Endpoints, mappings: MappingTable, settings: HubSettings,
                presence: PresenceService? = nil, spoolDirectory: String? = nil, security: HubSecurity? = nil,
                clock: BridgeClock = .system, logger: Logger) throws {
        self.context = context
        self.clock = clock
        self.endpoints = endpoints
        self.initialMappings = mappings
        var settings = settings
        if let presence { settings.statusSubscriptions = presence.subscriptions }
        self.settings = settings
        self.presence = presence
        self.durableFile = spoolDirectory.map { URL(fileURLWithPath: $0).appendingPathComponent("durable-groups.json") }
        self.security = security
        self.authenticator = try security.map {
            try CurveAuthenticator(allowedClients: $0.allowedClients, logger: Logger(label: logger.label + ".curve"))
        }
        self.logger = logger
        self.mailbox = try ZMQMailbox()
    }

    /// How many clients the CURVE authenticator refused (0 without CURVE).
    public var curveRefusals: Int { authenticator?.refusals ?? 0 }

    /// Binds every endpoint and starts the hub thread; throws when an endpoint cannot be bound.
    public func start() throws {
        try startAuthenticator()
        let thread = Thread { [self] in
            // Names the OS thread (for top -H, ps -L, profilers and the benchmark's CPU breakdown).
            nameCurrentThread("mqbridge-hub")
            runLoop()
            threadEnd.signal()
        }
        thread.name = "mqbridge-hub"
        self.thread = thread
        thread.start()
        ready.wait()
        if let startError {
            threadEnd.waitBlocking()
            self.thread = nil
            zapHandler?.stop()
            zapHandler = nil
            throw startError
        }
    }

    /// Stops the hub and waits for its thread to finish.
    public func stop() {
        guard thread != nil else { return }
        stopAndWait()
    }

    /// Routes a client status event to the status rules' consumers.
    public func publishStatus(_ event: StatusEvent) {
        mailbox.post(.status(event))
    }

    /// Replaces the rules; routing of later messages uses the new ones.
    public func reload(_ mappings: MappingTable) {
        mailbox.post(.reload(mappings))
    }

    /// How long `counters()` waits for the hub thread by default.
    public static let countersTimeout = Duration.seconds(1)

    /// The router's counters, read on the hub thread; nil when the hub thread does not answer within
    /// `timeout` (it is stuck, or stopped).
    public func counters(timeout: Duration = HubService.countersTimeout) -> HubCounters? {
        let box = CountersBox()
        let done = DispatchSemaphore(value: 0)
        mailbox.post(.snapshot { counters in
            box.value = counters
            done.signal()
        })
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        guard done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else { return nil }
        return box.value
    }

    /// What health and metrics say when `counters()` gets no answer.
    public static var unresponsiveReason: String {
        let seconds = countersTimeout.components.seconds
        return "the hub thread did not answer within \(seconds) s"
    }

    /// The durable subscriptions an earlier run saved (none when there is no file).
    func loadDurableSubscriptions() -> [DurableSubscription] {
        guard let durableFile, let data = FileManager.default.contents(atPath: durableFile.path) else { return [] }
        do {
            return try JSONDecoder().decode([DurableSubscription].self, from: data)
        } catch {
            logger.error("cannot read \(durableFile.path) (\(error)); durable groups are registered again as their members connect")
            return []
        }
    }

    /// Replaces the saved durable subscriptions (write to a new file, then rename).
    func saveDurableSubscriptions(_ subscriptions: [DurableSubscription]) {
        guard let durableFile else { return }
        do {
            try FileManager.default.createDirectory(at: durableFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(subscriptions).write(to: durableFile, options: .atomic)
        } catch {
            logger.error("cannot save durable groups to \(durableFile.path): \(error)")
        }
    }

    private func bindRouter(_ endpoints: [String], name: String) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: .router)
        try socket.setLinger(milliseconds: 0)
        try socket.setSendHighWaterMark(0)
        try socket.setReceiveHighWaterMark(0)
        try socket.setRouterMandatory(true)
        if let cap = settings.maxMessageBytes {
            // libzmq drops the connection of a peer whose frame is larger, before allocating for it.
            try socket.setMaxMessageSize(cap)
        }
        if let security, endpoints.contains(where: Self.isCurveTransport) {
            // CURVE is a property of the socket, so it would apply to an ipc:// endpoint bound beside a tcp:// one.
            if let plain = endpoints.first(where: { $0.hasPrefix("ipc://") }) {
                socket.close()
                throw HubStartError(endpoint: plain, underlying: HubStartError.Reason("\(name) cannot mix ipc:// and tcp:// endpoints when hub.curve is set"))
            }
            try socket.makeCurveServer(
                secretKey: security.serverKeys.secretKey, zapDomain: CurveAuthenticator.zapDomain(endpointName: name))
        }
        for endpoint in endpoints {
            do {
                try socket.bind(endpoint)
            } catch {
                socket.close()
                throw HubStartError(endpoint: endpoint, underlying: error)
            }
        }
        return socket
    }

    private func runLoop() {
        var sockets: [Link: ZMQSocket] = [:]
        do {
            for (link, name, endpoints) in namedEndpoints {
                sockets[link] = try bindRouter(endpoints, name: name)
            }
        } catch {
            startError = error
            sockets.values.forEach { $0.close() }
            ready.signal()
            return
        }
        ready.signal()
        var loop = HubLoop(service: self, sockets: sockets)
        if let reason = loop.run() {
            failure.withLock { $0 = reason }
        }
        sockets.values.forEach { $0.close() }
    }
}

extension HubService: ThreadedPiece {
    public var pieceName: String { "hub" }

    public func requestStop() {
        mailbox.post(.stop)
    }

    public var failureReason: String? { failure.withLock { $0 } }

    public func finishStop() {
        thread = nil
        // Only now that the CURVE sockets are closed: without a handler libzmq would let any client in.
        zapHandler?.stop()
        zapHandler = nil
    }
}

/// A bind that failed, with the endpoint that caused it.
public struct HubStartError: Error, CustomStringConvertible {
    public let endpoint: String
    public let underlying: Error

    /// A failure that is not a libzmq error; its text is the whole message.
    struct Reason: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    public var description: String {
        if let reason = underlying as? Reason { return reason.description }
        return "cannot bind \(endpoint): \(underlying)"
    }
}

private final class CountersBox: @unchecked Sendable {
    // Safe: written on the hub thread before the semaphore is signalled, read only after a wait that saw
    // the signal (a caller that gave up never reads it).
    var value = HubCounters()
}
