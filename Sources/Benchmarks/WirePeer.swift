import LoadGenerator
import WireProtocol
import ZeroMQ

/// A DEALER that speaks the wire protocol (docs/wire-protocol.md), for the benchmark's own peers: a
/// pipelined producer and a stand-in MQTT worker. Owned by one thread.
final class WirePeer {
    let socket: ZMQSocket
    private let poller = ZMQPoller()
    private var lastSent = MonotonicNanos.now()
    /// `DATA` gathered into a `BATCH` (when both sides read them, as the bridge's own workers do), sent
    /// before the peer waits.
    private var batch: BatchWriter?

    /// Connects, says HELLO and waits (10 s at most) for WELCOME.
    init(context: ZMQContext, endpoint: String, hello: Hello, form: WireCodec.DataForm) throws {
        socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setSendHighWaterMark(0)
        try socket.setReceiveHighWaterMark(0)
        try socket.connect(endpoint)
        _ = try poller.add(socket, events: .readable)
        self.form = form
        try send(.hello(hello))
        let deadline = MonotonicNanos.now() + 10_000_000_000
        while MonotonicNanos.now() < deadline {
            for message in try receive(timeoutMs: 100) {
                if case .welcome(let welcome) = message {
                    if hello.batchBytes != nil, let limit = welcome.batchBytes { batch = BatchWriter(limit: limit) }
                    return
                }
                if case .error(let report) = message { throw BenchError("\(endpoint) refused HELLO: \(report)") }
            }
        }
        throw BenchError("no WELCOME from \(endpoint) within 10 s")
    }

    let form: WireCodec.DataForm

    func send(_ message: WireMessage) throws {
        let frames = WireCodec.encode(message)
        if message.kind == .data, batch != nil {
            if batch!.append(metadata: frames[2], body: frames[3]) { return }
            try flush()
            if batch!.append(metadata: frames[2], body: frames[3]) { return }
        }
        try flush()
        try socket.send(frames)
        lastSent = MonotonicNanos.now()
    }

    /// Sends the gathered `BATCH`, if any.
    func flush() throws {
        guard batch?.isEmpty == false else { return }
        try socket.send(batch!.take())
        lastSent = MonotonicNanos.now()
    }

    /// Waits up to `timeoutMs` for messages and returns every one waiting; answers PING and sends one
    /// when the link has been quiet for a second.
    func receive(timeoutMs: Int) throws -> [WireMessage] {
        try flush()
        if MonotonicNanos.now() - lastSent > 1_000_000_000 { try send(.ping) }
        guard try poller.poll(timeout: timeoutMs) > 0 else { return [] }
        var messages: [WireMessage] = []
        while let frames = try socket.receiveMessage(dontWait: true) {
            for case .success(let message) in WireCodec.decodeAll(frames, form: form) {
                if message == .ping { try send(.pong) }
                messages.append(message)
            }
        }
        return messages
    }

    func close() {
        _ = try? socket.send(WireCodec.encode(.bye), dontWait: true)
        socket.close()
    }
}

/// Sends messages through a `WirePeer` keeping up to `window` unacknowledged, each stamped for latency.
enum PipelinedSender {
    struct Outcome {
        var acknowledged = 0
        var refused = 0
        var firstRefusal: String?
    }

    /// `make(seq, body)` builds the `DATA` for one stamped body.
    static func run(peer: WirePeer, index: Int, count: Int, window: Int, make: (UInt64, [UInt8]) -> WireMessage) throws -> Outcome {
        var outcome = Outcome()
        var body = LoadPayload.make(size: 100)
        var sent = 0
        var settled: Int { outcome.acknowledged + outcome.refused }
        let deadline = MonotonicNanos.now() + 300_000_000_000
        while settled < count {
            while sent < count, sent - settled < window {
                LoadPayload.stamp(&body, time: MonotonicNanos.now(), connection: UInt32(index), sequence: UInt64(sent))
                try peer.send(make(UInt64(sent + 1), body))
                sent += 1
            }
            for message in try peer.receive(timeoutMs: 100) {
                switch message {
                case .ack: outcome.acknowledged += 1
                case .acks(let seqs): outcome.acknowledged += seqs.count
                case .error(let report) where report.seq != nil:
                    outcome.refused += 1
                    if outcome.firstRefusal == nil { outcome.firstRefusal = report.description }
                default: break
                }
            }
            if MonotonicNanos.now() > deadline { throw BenchError("\(count - settled) messages unsettled after 300 s") }
        }
        return outcome
    }
}
