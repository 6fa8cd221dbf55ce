import BridgeCore
import Logging
import Synchronization
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
    private var lastPing: Int64
    private var helloSentAt: Int64
    /// The CURVE keys used on a tcp:// endpoint; nil for a plain connection.
    let curve: CurveClientKeys?
    /// Watches the handshakes of a tcp:// connection, so that a refused key or a wrong server key is said
    /// instead of leaving the peer waiting in silence.
    private var handshakes: HandshakeWatch?
    /// Messages of a `BATCH` read and not yet returned by `receive`.
    private var received: [Result<WireMessage, WireErrorReport>] = []
    private var receivedIndex = 0
    /// `DATA` gathered for the next `flush()` when `batchesSends` and the hub reads `BATCH`.
    private var batch: BatchWriter?
    /// Whether `send` gathers `DATA` into batches; the owner then calls `flush()` before it waits.
    let batchesSends: Bool

    /// Connects and says HELLO. `curve` applies to tcp:// endpoints only (the hub's inproc:// and ipc://
    /// endpoints are plain).
    ///
    /// Every link reads `BATCH` (HELLO says `batchBytes`; a `hello.batchBytes` of 0 says it does not); with `batchesSends` it also sends its `DATA` in
    /// batches to a hub that reads them, and its owner must call `flush()` before it waits.
    init(context: ZMQContext, endpoint: String, hello: Hello, form: WireCodec.DataForm, curve: CurveClientKeys? = nil,
         batchesSends: Bool = false, configure: (ZMQSocket) throws -> Void = { _ in }) throws {
        socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setSendHighWaterMark(0)
        try socket.setReceiveHighWaterMark(0)
        let isTCP = endpoint.hasPrefix("tcp://")
        self.curve = isTCP ? curve : nil
        if let curve, isTCP { try socket.makeCurveClient(curve) }
        try configure(socket)
        if isTCP { handshakes = try HandshakeWatch(socket: socket, context: context) }
        try socket.connect(endpoint)
        self.endpoint = endpoint
        var hello = hello
        // Unless the owner says 0 (single DATA only), every link reads batches of the usual size.
        hello.batchBytes = hello.batchBytes == 0 ? nil : hello.batchBytes ?? BatchWriter.defaultBatchBytes
        self.hello = hello
        self.form = form
        self.batchesSends = batchesSends
        let now = MonotonicClock.nowMs()
        lastHeard = now
        lastPing = now
        helloSentAt = now
        try send(.hello(hello))
    }

    var heartbeatMs: Int64 { Int64(welcome?.heartbeatMs ?? 1_000) }

    func send(_ message: WireMessage) throws {
        try send(frames: WireCodec.encode(message))
    }

    /// Sends a message already encoded (`WireCodec.encode`). A `DATA` may wait in a batch for `flush()`;
    /// anything else sends the batch first, so the link keeps the order of the sends.
    func send(frames: [[UInt8]]) throws {
        if batchesSends, frames.count == 4, frames[1] == Self.dataFrame, let limit = welcome?.batchBytes,
            BatchWriter(limit: limit).fitsAlone(metadata: frames[2].count, body: frames[3].count)
        {
            if batch?.limit != limit {
                try flush()
                batch = BatchWriter(limit: limit)
            }
            if batch!.append(metadata: frames[2], body: frames[3]) { return }
            try flush()
            _ = batch!.append(metadata: frames[2], body: frames[3])
            return
        }
        try flush()
        try socket.send(frames)
    }

    /// Sends the `DATA` gathered by `send`, if any.
    func flush() throws {
        guard batch?.isEmpty == false else { return }
        try socket.send(batch!.take())
    }

    private static let dataFrame = WireCodec.kindFrame(.data)

    /// Reads one message if there is one: nil when nothing is waiting. WELCOME is recorded; PING is
    /// answered; `ERROR no_hello` (the hub restarted and forgot this peer) is answered with HELLO;
    /// undecodable frames are reported through `onBadFrame` and skipped.
    func receive(onBadFrame: (WireErrorReport) -> Void) throws -> WireMessage? {
        while let decoded = try next() {
            let message: WireMessage
            switch decoded {
            case .success(let read): message = read
            case .failure(let error):
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

    /// The next message read: one left from a `BATCH`, or the next one from the socket.
    private func next() throws -> Result<WireMessage, WireErrorReport>? {
        if receivedIndex == received.count {
            guard let frames = try socket.receiveMessage(dontWait: true) else { return nil }
            lastHeard = MonotonicClock.nowMs()
            received = WireCodec.decodeAll(frames, form: form)
            receivedIndex = 0
        }
        receivedIndex += 1
        return received[receivedIndex - 1]
    }

    /// Sends PING every heartbeat, busy or idle (the protocol asks for it: a peer that only sends `DATA` the
    /// hub holds unacknowledged would otherwise hear nothing back, and take the hub for gone); says HELLO
    /// again when the hub has been silent for three heartbeats (it may have restarted). Returns true when it
    /// said HELLO again.
    func keepAlive(now: Int64) throws -> Bool {
        if now - lastHeard > 3 * heartbeatMs && now - helloSentAt > 3 * heartbeatMs {
            try sayHelloAgain(now: now)
            return true
        }
        if now - lastPing >= heartbeatMs {
            try send(.ping)
            lastPing = now
        }
        return false
    }

    private func sayHelloAgain(now: Int64) throws {
        welcome = nil
        awaitingWelcome = true
        helloSentAt = now
        try send(.hello(hello))
    }

    /// Why the connection cannot get through the security handshake, if that is what the monitor shows.
    func handshakeProblem() -> HandshakeProblem? {
        handshakes?.poll()
    }

    /// A message saying what is wrong with the handshake and what to fix.
    func describe(_ problem: HandshakeProblem) -> String {
        switch problem {
        case .refused(let status):
            let key = curve.map { "its CURVE public key \($0.clientKeys.publicKey)" } ?? "this client"
            return "the hub at \(endpoint) refused \(key) (ZAP status \(status)): add the key to the hub's hub.curve.allowedClients"
        case .mechanismMismatch where curve != nil:
            return "the hub at \(endpoint) does not use CURVE on this endpoint (security mechanism mismatch): "
                + "connect without CURVE keys, or set hub.curve on the hub"
        case .mechanismMismatch:
            return "the hub at \(endpoint) uses CURVE (security mechanism mismatch): give this client the hub's public key "
                + "and a secret key of its own (see the README's Security section)"
        case .failing(let attempts) where curve != nil:
            return "the CURVE handshake with the hub at \(endpoint) failed \(attempts) times: check the hub's public key this client "
                + "was given (the hub logs its own at start-up) and that the hub has hub.curve set"
        case .failing(let attempts):
            return "the handshake with the hub at \(endpoint) failed \(attempts) times: check that this is the hub's endpoint "
                + "and whether the hub uses CURVE (see the README's Security section)"
        }
    }

    /// Says BYE and closes the socket.
    func close() {
        _ = try? socket.send(WireCodec.encode(.bye), dontWait: true)
        socket.close()
        handshakes?.close()
    }
}

/// What stops a peer at the security handshake.
enum HandshakeProblem: Equatable {
    /// The hub's authenticator refused this client's key (libzmq does not retry after that).
    case refused(status: Int)
    /// CURVE on one side only (libzmq does not retry after that either).
    case mechanismMismatch
    /// Handshakes keep failing without a reason from the hub: a wrong server key, or CURVE on one side only.
    case failing(attempts: Int)
}

/// A socket monitor reporting handshake outcomes of one DEALER, read without blocking by its owner thread.
final class HandshakeWatch {
    /// Failures in a row before they are reported; one alone can be a hub that stopped mid-handshake.
    static let failuresReported = 3
    private static let counter = Atomic<Int>(0)

    private let monitor: ZMQSocket
    private var failuresInARow = 0
    private var problem: HandshakeProblem?

    /// Call before `socket` connects: events that happen before the monitor's PAIR connects are lost.
    init(socket: ZMQSocket, context: ZMQContext) throws {
        let number = Self.counter.add(1, ordering: .relaxed).newValue
        let endpoint = "inproc://mqbridge-handshake-\(RandomHex.sixteen())-\(number)"
        try socket.monitor(events: [.handshakeSucceeded, .handshakeFailedAuth, .handshakeFailedProtocol, .handshakeFailedNoDetail],
                           endpoint: endpoint)
        monitor = try ZMQSocket(context: context, type: .pair)
        try monitor.connect(endpoint)
    }

    /// Reads the events so far; returns the current problem, nil while handshakes succeed or none happened.
    func poll() -> HandshakeProblem? {
        while let event = try? ZMQMonitorEvent.receive(from: monitor, dontWait: true) {
            switch event.event {
            case .handshakeSucceeded:
                failuresInARow = 0
                problem = nil
            case .handshakeFailedAuth:
                problem = .refused(status: Int(event.value))
            case _ where event.isMechanismMismatch:
                problem = .mechanismMismatch
            default:
                failuresInARow += 1
                if failuresInARow >= Self.failuresReported { problem = .failing(attempts: failuresInARow) }
            }
        }
        return problem
    }

    func close() { monitor.close() }
}
