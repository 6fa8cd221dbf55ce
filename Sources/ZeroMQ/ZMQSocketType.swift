internal import CZeroMQ

/// The messaging pattern of a ``ZMQSocket``.
public enum ZMQSocketType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Exclusive one-to-one connection, typically between two threads over `inproc://`.
    case pair
    /// Publisher: fans messages out to matching subscribers, dropping when they are slow.
    case pub
    /// Subscriber: receives the messages whose first frame matches a subscribed prefix.
    case sub
    /// Strict request/reply client (send, receive, send, ...).
    case req
    /// Strict request/reply server (receive, send, receive, ...).
    case rep
    /// Asynchronous request socket; load-balances outgoing and fair-queues incoming messages.
    case dealer
    /// Asynchronous reply socket; prefixes each incoming message with the peer's routing id
    /// frame and routes outgoing messages by their first frame.
    case router
    /// Receiving end of a pipeline.
    case pull
    /// Sending end of a pipeline; load-balances across connected pullers.
    case push
    /// Publisher that also delivers subscription messages (`0x01`/`0x00` + prefix) to the app.
    case xpub
    /// Subscriber that sends subscriptions as ordinary messages.
    case xsub
    /// Raw TCP peer; frames are `[routing id, bytes]`.
    case stream

    var rawValue: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pull: ZMQ_PULL
        case .push: ZMQ_PUSH
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .stream: ZMQ_STREAM
        }
    }

    public var description: String {
        switch self {
        case .pair: "PAIR"
        case .pub: "PUB"
        case .sub: "SUB"
        case .req: "REQ"
        case .rep: "REP"
        case .dealer: "DEALER"
        case .router: "ROUTER"
        case .pull: "PULL"
        case .push: "PUSH"
        case .xpub: "XPUB"
        case .xsub: "XSUB"
        case .stream: "STREAM"
        }
    }
}
