import BridgeConfig
import BridgeCore
import Foundation
import Logging
import Mosquitto
import Synchronization
import WireProtocol
import ZeroMQ

/// The MQTT side: subscribes on the broker to what the hub asks for and forwards every message to the
/// hub; publishes what the hub sends and acknowledges it once the broker has. Runs on a thread of its
/// own, the only one that touches its hub socket and its broker connection: the thread polls both and
/// drives libmosquitto's network loop itself, whose callbacks hand it events through `mailbox`.
public final class MQTTWorker: @unchecked Sendable {
    // Safe: mutable state lives on the worker thread; libmosquitto's callbacks run on it too and only post
    // to `mailbox` and stage in `journal`, which are thread-safe.

    enum Event: Sendable {
        /// An outflow message as the frames of its `DATA` to the hub, encoded in libmosquitto's message callback
        /// with `seq`: its journal id when `journaled` (the spool holds it), else the next of `outflowSeqs`.
        case outflow(seq: UInt64, frames: [[UInt8]], journaled: Bool)
        case published(mid: Int, reasonCode: Int)
        case connected(MQTTConnectResult)
        case disconnected(reasonCode: Int)
        /// An error line from libmosquitto's log: the only report of a failed TLS handshake.
        case clientError(String)
        case stop
    }

    public struct Options: Sendable {
        /// Shown in the hub's logs.
        public var name: String
        /// Outflow messages in flight to the hub; when they are all unacknowledged the worker stops
        /// reading from the broker.
        public var window: Int
        /// The password when the mapping file names an environment variable or a literal.
        public var password: String?
        /// CA bundle for mqtts:// URLs when the mapping file sets no `mqtt.caFile`.
        public var caFile: String
        /// The disk spool for outflow (`spool:`); nil keeps unacknowledged messages in memory only.
        public var spool: SpoolSettings?
        /// How long `stop()` waits for messages in flight to be acknowledged before leaving them to the
        /// spool.
        public var drainTimeoutMs: Int64
        /// The hub's public key and the worker's keys, for a hub with `hub.curve` on a tcp:// endpoint.
        public var curve: CurveClientKeys?

        public init(name: String = "mqtt-worker", window: Int = 1_000, password: String? = nil,
                    caFile: String = "/etc/ssl/certs/ca-certificates.crt", spool: SpoolSettings? = nil,
                    drainTimeoutMs: Int64 = 5_000, curve: CurveClientKeys? = nil) {
            self.name = name
            self.window = window
            self.password = password
            self.caFile = caFile
            self.spool = spool
            self.drainTimeoutMs = drainTimeoutMs
            self.curve = curve
        }
    }

    let settings: MQTTSettings
    let hubEndpoint: String
    let context: ZMQContext
    let options: Options
    let logger: Logger
    let mailbox: ZMQMailbox<Event>
    let journal: OutflowJournal?
    let stopping = StopFlag()
    /// Written by the worker thread, read by metrics and health checks.
    let brokerConnectedFlag = Atomic<Bool>(false)
    /// The last `seq` given to an outflow message without a spool (with one, the journal id is the seq).
    let outflowSeqs = SeqCounter()
    let brokerConnections = Atomic<Int>(0)

    /// What the worker reports for metrics and health.
    public struct Stats: Sendable {
        /// Whether the broker connection is up.
        public var brokerConnected: Bool
        /// Successful broker connections since start (the first one included).
        public var brokerConnections: Int
        /// Unsettled outflow in the journal.
        public var spoolBytes: Int
        public var spoolMessages: Int
    }

    public var stats: Stats {
        Stats(
            brokerConnected: brokerConnectedFlag.load(ordering: .relaxed),
            brokerConnections: brokerConnections.load(ordering: .relaxed),
            spoolBytes: journal?.pendingBytes ?? 0, spoolMessages: journal?.pendingCount ?? 0)
    }
    /// Signalled when the worker thread ends.
    public let threadEnd = ThreadEnd()
    /// Why the worker thread ended by itself (it could not start); written on that thread before it ends.
    let failure = Mutex<String?>(nil)
    private var thread: Thread?

    public init(settings: MQTTSettings, hubEndpoint: String, context: ZMQContext, options: Options = Options(), logger: Logger) throws {
        self.settings = settings
        self.hubEndpoint = hubEndpoint
        self.context = context
        self.options = options
        self.logger = logger
        self.mailbox = try ZMQMailbox()
        if let spool = options.spool {
            let name = "outflow-" + String(settings.clientId.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }) + ".journal"
            journal = try OutflowJournal(directory: spool.directory, name: name, maxBytes: spool.maxBytes)
        } else {
            journal = nil
        }
        let replayed = journal?.pendingCount ?? 0
        if replayed > 0 {
            logger.info("\(replayed) outflow messages from the spool will be sent again", metadata: ["journal": "\(journal!.path)"])
        }
    }

    /// Starts the worker thread. Connecting to the broker and the hub goes on in the background, with
    /// retries, so a broker that is not up yet is waited for.
    public func start() {
        let thread = Thread { [self] in
            // Names the OS thread (for top -H, ps -L, profilers and the benchmark's CPU breakdown).
            nameCurrentThread(Self.threadName)
            var loop = MQTTWorkerLoop(worker: self)
            if let reason = loop.run() {
                failure.withLock { $0 = reason }
            }
            threadEnd.signal()
        }
        thread.name = Self.threadName
        self.thread = thread
        thread.start()
    }

    /// The worker thread's name (at most 15 bytes, as Linux keeps them).
    static let threadName = "mqbridge-worker"

    /// Stops taking messages from the broker, waits up to `drainTimeoutMs` for those in flight to be
    /// acknowledged (what is still unacknowledged then stays in the spool for the next start), says BYE to
    /// the hub and waits for the thread to end.
    public func stop() {
        guard thread != nil else { return }
        stopAndWait()
    }

    /// Builds the libmosquitto client with the mapping file's settings and wires its callbacks to the mailbox.
    func makeClient() throws -> MQTTClient {
        let client = try MQTTClient(
            clientID: settings.clientId, cleanStart: false,
            protocolVersion: settings.protocolVersion == .v5 ? .v5 : .v311)
        // A persistent session: what is published while the bridge is away waits in the broker.
        client.setSessionExpiry(7 * 24 * 3_600)
        if let username = settings.username {
            try client.setCredentials(username: username, password: options.password)
        }
        if settings.url.tls {
            try client.setTLS(caFile: tlsCAFile)
        }
        try client.setReconnectDelay(min: 1, max: 30, exponential: true)
        // Acknowledgements and inflow publishes leave at once instead of waiting on Nagle's algorithm.
        try client.setTCPNoDelay(true)
        // MQTT 5 receive maximum: the most MQTT 5 can say. Mosquitto 2.0 frees a QoS 2 message's slot at its PUBREC
        // and again at its PUBCOMP, so it sends more than the receive maximum; libmosquitto counts the message until
        // it sends the PUBCOMP and drops the connection as a protocol error past the maximum (20 by default): a burst
        // of QoS 2 messages never got through. Mosquitto also takes this over its max_inflight_messages, so QoS 1
        // messages no longer wait for the PUBACKs of the 20 before them; while the worker has no room it stops
        // reading, and what it has not read waits in the socket and the broker.
        try client.setReceiveMaximum(65_535)
        // The worker thread drives the connection and writes what libmosquitto queued (the PUBACKs of a burst of
        // messages) only once the burst is in the journal: libmosquitto queues a QoS 1 message's PUBACK before
        // it calls onMessage, and would otherwise write it at once.
        try client.useExternalLoop()
        client.onMessage = { [mailbox, journal, outflowSeqs] incoming in
            // Back-pressure is the worker loop's: it stops reading from the broker while the spool is full (or,
            // without a spool, while the hub's window is), so this never waits for room. With a spool the worker
            // reads on past the hub's window: the messages the window has no room for wait in the journal, not
            // in the broker (whose queue for a client is limited). The message is encoded once, here: the journal
            // record holds the frames the worker sends. The loop commits the journal after the burst of packets
            // this one came in, before libmosquitto writes their acknowledgements.
            let message = MQTTMessage(incoming)
            if let journal {
                let (id, frames) = journal.stage(message)
                mailbox.post(.outflow(seq: id, frames: frames, journaled: true))
            } else {
                let seq = outflowSeqs.next()
                mailbox.post(.outflow(seq: seq, frames: WireCodec.encode(.mqttData(seq: seq, message, clientId: nil)), journaled: false))
            }
        }
        client.onPublishCompleted = { [mailbox] mid, reasonCode in mailbox.post(.published(mid: mid, reasonCode: reasonCode)) }
        client.onConnect = { [mailbox] result in mailbox.post(.connected(result)) }
        client.onDisconnect = { [mailbox] reasonCode in mailbox.post(.disconnected(reasonCode: reasonCode)) }
        client.onLog = { [mailbox] level, text in
            if level == .error { mailbox.post(.clientError(text)) }
        }
        // The log is read for what goes wrong while connecting (a failed TLS handshake is reported only there);
        // while connected libmosquitto would format a line for every packet, and a lost connection is reported
        // by the disconnect callback.
        client.logsWhileConnected = false
        return client
    }

    /// The CA bundle an mqtts:// connection trusts.
    var tlsCAFile: String { settings.caFile ?? options.caFile }
}

extension MQTTWorker: ThreadedPiece {
    public var pieceName: String { "MQTT worker" }

    public func requestStop() {
        guard !stopping.isSet else { return }
        stopping.set()
        mailbox.post(.stop)
    }

    public var failureReason: String? { failure.withLock { $0 } }

    public func finishStop() {
        journal?.close()
        thread = nil
    }
}

/// Numbers messages 1, 2, 3…, from any thread.
final class SeqCounter: Sendable {
    private let last = Atomic<UInt64>(0)

    func next() -> UInt64 { last.add(1, ordering: .relaxed).newValue }
}

/// A flag raised once, read from any thread.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}
