import BridgeCore
import Logging
import WireProtocol
import ZeroMQ

/// The DEALER side of a hub connection, shared by the MQTT worker and the queue-side clients: HELLO and
/// WELCOME, heartbeats, and decoding with bad frames reported and skipped. Owned by one thread.
final class PeerLink {
    let socket: ZMQSocket
    /// Where the hub is, for messages.
    let endpoint: String
    let hello: Hello
    let form: WireCodec.DataForm
    private(set) var welcome: Welcome?
    /// Whether the latest `WELCOME` answered a HELLO (a new session with the hub) rather than arriving
    /// unasked (the hub reloaded its rules).
    private(set) var welcomeAnsweredHello = false
    private var awaitingWelcome = true
    private(set) var lastHeard: Int64
    private var lastSent: Int64
    private var helloSentAt: Int64

    /// Connects and says HELLO.
    init(context: ZMQContext, endpoint: String, hello: Hello, form: WireCodec.DataForm, configure: (ZMQSocket) throws -> Void = { _ in }) throws {
        socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setSendHighWaterMark(0)
        try socket.setReceiveHighWaterMark(0)
        try configure(socket)
        try socket.connect(endpoint)
        self.endpoint = endpoint
        self.hello = hello
        self.form = form
        let now = MonotonicClock.nowMs()
        lastHeard = now
        lastSent = now
        helloSentAt = now
        try send(.hello(hello))
    }

    var heartbeatMs: Int64 { Int64(welcome?.heartbeatMs ?? 1_000) }

    func send(_ message: WireMessage) throws {
        try socket.send(WireCodec.encode(message))
        lastSent = MonotonicClock.nowMs()
    }

    /// Reads one message if there is one: nil when nothing is waiting. WELCOME is recorded; PING is
    /// answered; `ERROR no_hello` (the hub restarted and forgot this peer) is answered with HELLO;
    /// undecodable frames are reported through `onBadFrame` and skipped.
    func receive(onBadFrame: (WireErrorReport) -> Void) throws -> WireMessage? {
        while let frames = try socket.receiveMessage(dontWait: true) {
            lastHeard = MonotonicClock.nowMs()
            let message: WireMessage
            do {
                message = try WireCodec.decode(frames, form: form)
            } catch {
                onBadFrame(error)
                continue
            }
            switch message {
            case .welcome(let welcome):
                self.welcome = welcome
                welcomeAnsweredHello = awaitingWelcome
                awaitingWelcome = false
            case .ping: try send(.pong)
            case .error(let report) where report.code == WireErrorCode.noHello: try sayHelloAgain(now: lastHeard)
            default: break
            }
            return message
        }
        return nil
    }

    /// Sends PING when due; says HELLO again when the hub has been silent for three heartbeats (it may
    /// have restarted). Returns true when it said HELLO again.
    func keepAlive(now: Int64) throws -> Bool {
        if now - lastHeard > 3 * heartbeatMs && now - helloSentAt > 3 * heartbeatMs {
            try sayHelloAgain(now: now)
            return true
        }
        if now - lastSent >= heartbeatMs {
            try send(.ping)
        }
        return false
    }

    private func sayHelloAgain(now: Int64) throws {
        welcome = nil
        awaitingWelcome = true
        helloSentAt = now
        try send(.hello(hello))
    }

    /// Says BYE and closes the socket.
    func close() {
        _ = try? socket.send(WireCodec.encode(.bye), dontWait: true)
        socket.close()
    }
}
