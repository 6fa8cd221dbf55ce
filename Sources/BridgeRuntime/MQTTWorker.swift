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
/// own (the only one that touches its hub socket); libmosquitto's network thread hands it events.
public final class MQTTWorker: @unchecked Sendable {
    // Safe: mutable state lives on the worker thread; libmosquitto callbacks only post to `mailbox`,
    // wait on `window` and read `stopping`, which are thread-safe.

    enum Event: Sendable {
        case message(MQTTIncomingMessage)
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
        /// The hub's public key and the worker's keys, for a hub with `hub.curve` on a tcp:// endpoint.
        public var curve: CurveClientKeys?

        public init(name: String = "mqtt-worker", window: Int = 1_000, password: String? = nil,
                    caFile: String = "/etc/ssl/certs/ca-certificates.crt", curve: CurveClientKeys? = nil) {
            self.name = name
            self.window = window
            self.password = password
            self.caFile = caFile
            self.curve = curve
        }
    }

    let settings: MQTTSettings
    let hubEndpoint: String
    let context: ZMQContext
    let options: Options
    let logger: Logger
    let mailbox: ZMQMailbox<Event>
    /// One permit per outflow message the hub may still take.
    let window: DispatchSemaphore
    let stopping = StopFlag()
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    public init(settings: MQTTSettings, hubEndpoint: String, context: ZMQContext, options: Options = Options(), logger: Logger) throws {
        self.settings = settings
        self.hubEndpoint = hubEndpoint
        self.context = context
        self.options = options
        self.logger = logger
        self.mailbox = try ZMQMailbox()
        self.window = DispatchSemaphore(value: options.window)
    }

    /// Starts the worker thread. Connecting to the broker and the hub goes on in the background, with
    /// retries, so a broker that is not up yet is waited for.
    public func start() {
        let thread = Thread { [self] in
            var loop = MQTTWorkerLoop(worker: self)
            loop.run()
            finished.signal()
        }
        thread.name = "mqbridge-mqtt-worker"
        self.thread = thread
        thread.start()
    }

    /// Disconnects from the broker, says BYE to the hub and waits for the thread to end.
    public func stop() {
        guard thread != nil else { return }
        stopping.set()
        // A libmosquitto callback may be waiting for window room: let it through.
        for _ in 0..<options.window { window.signal() }
        mailbox.post(.stop)
        finished.wait()
        thread = nil
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
        client.onMessage = { [mailbox, window, stopping] message in
            // Back-pressure: while the hub holds a full window, libmosquitto's thread waits here and
            // stops reading from the broker.
            window.wait()
            if stopping.isSet { return }
            mailbox.post(.message(message))
        }
        client.onPublishCompleted = { [mailbox] mid, reasonCode in mailbox.post(.published(mid: mid, reasonCode: reasonCode)) }
        client.onConnect = { [mailbox] result in mailbox.post(.connected(result)) }
        client.onDisconnect = { [mailbox] reasonCode in mailbox.post(.disconnected(reasonCode: reasonCode)) }
        client.onLog = { [mailbox] level, text in
            if level == .error { mailbox.post(.clientError(text)) }
        }
        return client
    }

    /// The CA bundle an mqtts:// connection trusts.
    var tlsCAFile: String { settings.caFile ?? options.caFile }
}

/// A flag raised once, read from any thread.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}
