/// A long-running piece of the bridge (the hub, a worker) that runs on a thread of its own, so that its
/// blocking C calls stay off Swift's cooperative pool. `ThreadedService` runs it in a service group.
public protocol ThreadedPiece: AnyObject, Sendable {
    /// The piece's name in log lines and errors ("hub", "MQTT worker").
    var pieceName: String { get }
    /// Starts the piece's thread; throws when the piece cannot start at all (an endpoint that cannot be bound).
    func start() throws
    /// Asks the piece to drain what it has in flight and end its thread; returns at once.
    func requestStop()
    /// Signalled when the piece's thread has ended.
    var threadEnd: ThreadEnd { get }
    /// Why the thread ended by itself, when it did (a failed poll, a worker that cannot start, a stream that
    /// conflicts with the mapping file); nil while it runs or when it ended because it was asked to.
    var failureReason: String? { get }
    /// Releases what the piece still holds once its thread has ended (a journal, a ZAP handler).
    func finishStop()
}

extension ThreadedPiece {
    /// Stops the piece and blocks until its thread has ended and what it held is released.
    func stopAndWait() {
        requestStop()
        threadEnd.waitBlocking()
        finishStop()
    }
}

/// A piece of the bridge that ended by itself: the process stops with a non-zero exit so that its supervisor
/// (systemd, Kubernetes) restarts it.
public struct PieceFailure: Error, CustomStringConvertible {
    public let piece: String
    public let reason: String

    public var description: String { "the \(piece) stopped: \(reason)" }
}
