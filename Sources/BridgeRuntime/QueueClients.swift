import BridgeCore
import WireProtocol
import ZeroMQ

/// Why a queue-side client gave up.
public enum QueueClientError: Error, CustomStringConvertible {
    /// The hub refused (a HELLO, or a message: `seq` set).
    case refused(WireErrorReport)
    /// No answer in time.
    case timeout(String)
    /// The connection cannot pass the security handshake: a CURVE key the hub refuses, or the wrong hub key.
    case handshake(String)

    public var description: String {
        switch self {
        case .refused(let report): "\(report.code): \(report.message)"
        case .timeout(let what): what
        case .handshake(let what): what
        }
    }
}

/// A consumer on `queue.publish`: subscribes to a queue topic and acknowledges each message once the
/// handler has returned. Runs on the calling thread.
public final class QueueConsumerClient {
    let link: PeerLink

    /// - Parameter curve: the hub's public key and this consumer's keys, for a hub with `hub.curve` on a
    ///   tcp:// endpoint (ignored on inproc:// and ipc://).
    /// - Parameter readsBatches: whether the hub may send several messages in one `BATCH` (false: one `DATA`
    ///   per message, as a peer that does not know the batched form gets them).
    public init(context: ZMQContext, endpoint: String, topic: String, tags: String = "*", group: String? = nil,
                window: Int = Hello.defaultWindow, name: String = "consumer", curve: CurveClientKeys? = nil,
                readsBatches: Bool = true) throws {
        let hello = Hello(
            role: .consumer, name: name, topic: topic, tags: tags, group: group, window: window, batchBytes: readsBatches ? nil : 0)
        link = try PeerLink(context: context, endpoint: endpoint, hello: hello, form: .queue, curve: curve)
    }

    /// Receives messages until `count` have arrived, `timeoutMs` has passed (either may be nil) or
    /// `shouldContinue` says no (asked at least every 100 ms), calling `handler` for each; returns how many
    /// arrived. `onProblem` hears about bad frames from the hub, and once about a hub that has not answered
    /// after ``noAnswerNoticeMs``. Throws `.handshake` when the connection cannot pass the security handshake
    /// (a refused CURVE key, a wrong hub key), and `.timeout` when `timeoutMs` passes without any hub having
    /// answered HELLO (a hub that answered and had no messages is not an error: it returns 0).
    @discardableResult
    public func run(count: Int?, timeoutMs: Int64?, handler: (QueueMessage) -> Void,
                    onProblem: (String) -> Void = { _ in }, shouldContinue: () -> Bool = { true },
                    onReady: () -> Void = {}) throws -> Int {
        let start = MonotonicClock.nowMs()
        let poller = ZMQPoller()
        _ = try poller.add(link.socket, events: .readable)
        var received = 0
        // Whether any hub has answered HELLO with WELCOME since the start (a later reconnection may reset
        // the link's own state; a hub that answered once was there).
        var answered = false
        var noticeGiven = false
        // Handled messages not yet acknowledged. When the hub reads batched acknowledgements (it says so in
        // WELCOME) they go in one ACK as soon as nothing more is waiting, or when half the window is
        // waiting for them; otherwise each is acknowledged on its own at once.
        var handled: [UInt64] = []
        let batchLimit = max(1, min(Self.maxAckBatch, link.hello.window / 2))
        func acknowledge() throws {
            guard !handled.isEmpty else { return }
            try link.send(handled.count == 1 ? .ack(seq: handled[0], msgId: nil) : .acks(seqs: handled))
            handled.removeAll(keepingCapacity: true)
        }
        while count.map({ received < $0 }) ?? true, shouldContinue() {
            let now = MonotonicClock.nowMs()
            if let timeoutMs, now - start >= timeoutMs {
                guard answered else {
                    try acknowledge()
                    throw QueueClientError.timeout(noAnswer(withinMs: timeoutMs))
                }
                break
            }
            // Told once while waiting on, unless the timeout is about to say it anyway.
            if !answered, !noticeGiven, now - start >= Self.noAnswerNoticeMs, timeoutMs.map({ $0 >= 2 * Self.noAnswerNoticeMs }) ?? true {
                noticeGiven = true
                onProblem(noAnswer(withinMs: Self.noAnswerNoticeMs) + "; still trying")
            }
            var wait = min(100, link.heartbeatMs / 2)
            if let timeoutMs { wait = min(wait, start + timeoutMs - now) }
            _ = try poller.poll(timeout: Int(max(0, wait)))
            while let message = try link.receive(onBadFrame: { onProblem("bad message from the hub: \($0)") }) {
                switch message {
                case .welcome:
                    answered = true
                    // A new session: seqs of the one before mean nothing to the hub now.
                    if link.welcomeAnsweredHello { handled.removeAll() }
                    onReady()
                case .queueData(let seq, let queueMessage):
                    handler(queueMessage)
                    received += 1
                    handled.append(seq)
                    if link.welcome?.batchAck != true || handled.count >= batchLimit { try acknowledge() }
                case .error(let report) where report.seq == nil && report.code == WireErrorCode.badHello:
                    throw QueueClientError.refused(report)
                case .error(let report):
                    onProblem("hub reported \(report)")
                default:
                    break
                }
                if let count, received >= count { break }
            }
            try acknowledge()
            if let problem = link.handshakeProblem() { throw QueueClientError.handshake(link.describe(problem)) }
            _ = try link.keepAlive(now: MonotonicClock.nowMs())
        }
        try acknowledge()
        return received
    }

    /// The most seqs one batched ACK carries.
    static let maxAckBatch = 256

    /// How long `run` waits for a first WELCOME before it tells `onProblem` (once) that no hub has answered.
    public static let noAnswerNoticeMs: Int64 = 5_000

    /// What a consumer says when no hub answered its HELLO: which endpoint, and what to check.
    func noAnswer(withinMs: Int64) -> String {
        "no hub answered at \(link.endpoint) within \(withinMs) ms (check that the bridge is running and that this is "
            + "its queue.publish endpoint)"
    }

    public func close() { link.close() }
}

/// A producer on `queue.accept`: sends one message at a time and waits for the hub's answer.
public final class QueueProducerClient {
    let link: PeerLink
    var nextSeq: UInt64 = 1

    /// - Parameter curve: the hub's public key and this producer's keys, for a hub with `hub.curve` on a
    ///   tcp:// endpoint (ignored on inproc:// and ipc://).
    public init(context: ZMQContext, endpoint: String, name: String = "producer", window: Int = Hello.defaultWindow,
                curve: CurveClientKeys? = nil) throws {
        link = try PeerLink(
            context: context, endpoint: endpoint, hello: Hello(role: .producer, name: name, window: window), form: .queue,
            curve: curve)
    }

    /// Sends `message` and returns its `msgId` once the bridge has published it; throws `.refused` with the
    /// bridge's reason, `.handshake` when the connection cannot pass the security handshake, or `.timeout`.
    public func send(_ message: QueueMessage, timeoutMs: Int64) throws -> String {
        let deadline = MonotonicClock.nowMs() + timeoutMs
        let seq = nextSeq
        nextSeq += 1
        let poller = ZMQPoller()
        _ = try poller.add(link.socket, events: .readable)
        var sent = false
        while true {
            if !sent, link.welcome != nil {
                try link.send(.queueData(seq: seq, message))
                sent = true
            }
            if let problem = link.handshakeProblem() { throw QueueClientError.handshake(link.describe(problem)) }
            let now = MonotonicClock.nowMs()
            if now >= deadline {
                throw QueueClientError.timeout(sent
                    ? "no answer from the bridge within \(timeoutMs) ms; the message may still be published (the bridge answers "
                        + "broker_unavailable within 3 s for a message it cannot publish, so wait longer than that)"
                    : "the bridge did not answer HELLO within \(timeoutMs) ms (is it running at \(link.endpoint)?)")
            }
            _ = try poller.poll(timeout: Int(min(deadline - now, link.heartbeatMs / 2)))
            while let reply = try link.receive(onBadFrame: { _ in }) {
                switch reply {
                case .ack(let ackSeq, let msgId) where ackSeq == seq:
                    return msgId ?? ""
                case .error(let report) where report.seq == seq || report.seq == nil:
                    throw QueueClientError.refused(report)
                default:
                    break
                }
            }
            _ = try link.keepAlive(now: MonotonicClock.nowMs())
        }
    }

    public func close() { link.close() }
}
