internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Waits until any of a set of ZeroMQ sockets and raw file descriptors is ready.
///
/// Items are addressed by the index ``add(_:events:)`` / ``add(fileDescriptor:events:)``
/// returned. The `zmq_pollitem_t` array is built once and reused, so ``poll(timeout:)``
/// does not allocate and can sit in a hot event loop:
///
/// ```swift
/// let poller = ZMQPoller()
/// let work = try poller.add(socket)
/// let wake = poller.add(fileDescriptor: mailbox.fileDescriptor)
/// while running {
///     guard try poller.poll(timeout: 1000) > 0 else { continue }
///     if poller.readyEvents(at: wake).contains(.readable) { handle(mailbox.drain()) }
///     if poller.readyEvents(at: work).contains(.readable) {
///         while let message = try socket.receiveMessage(dontWait: true) { handle(message) }
///     }
/// }
/// ```
///
/// Like the sockets it holds, a poller belongs to one thread. It keeps its sockets alive;
/// closing one that is still registered makes ``poll(timeout:)`` throw `ENOTSOCK`
/// rather than hand a freed socket to libzmq.
public final class ZMQPoller {
    private var items: [zmq_pollitem_t] = []
    /// Parallel to `items`; nil for file-descriptor entries.
    private var sockets: [ZMQSocket?] = []

    /// Creates an empty poller.
    public init() {}

    /// The number of registered items.
    public var count: Int { items.count }

    /// Registers `socket` for `events` and returns its index.
    /// - Throws: `ENOTSOCK` if the socket is closed.
    @discardableResult
    public func add(_ socket: ZMQSocket, events: ZMQPollEvents = .readable) throws(ZMQError) -> Int {
        let handle = try socket.liveHandle("ZMQPoller.add")
        items.append(zmq_pollitem_t(socket: handle, fd: -1, events: events.rawValue, revents: 0))
        sockets.append(socket)
        return items.count - 1
    }

    /// Registers a raw file descriptor (an eventfd, pipe, TCP socket...) for `events`
    /// and returns its index. The poller does not own or close the descriptor.
    @discardableResult
    public func add(fileDescriptor: Int32, events: ZMQPollEvents = .readable) -> Int {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: events.rawValue, revents: 0))
        sockets.append(nil)
        return items.count - 1
    }

    /// Changes what the item at `index` is polled for, e.g. adding `.writable` only
    /// while output is backed up, so an always-writable socket does not spin the loop.
    public func setEvents(_ events: ZMQPollEvents, at index: Int) {
        items[index].events = events.rawValue
    }

    /// Unregisters the item at `index`; the indices of later items drop by one.
    public func remove(at index: Int) {
        items.remove(at: index)
        sockets.remove(at: index)
    }

    /// Unregisters everything.
    public func removeAll() {
        items.removeAll(keepingCapacity: true)
        sockets.removeAll(keepingCapacity: true)
    }

    /// The socket at `index`, or nil for a file-descriptor item.
    public func socket(at index: Int) -> ZMQSocket? { sockets[index] }

    /// Waits until at least one item is ready or `timeout` milliseconds pass
    /// (-1 waits forever, 0 only checks).
    ///
    /// An interrupting signal (`EINTR`) returns 0 early instead of restarting the wait
    /// with the full timeout; callers loop anyway, usually against their own deadline.
    /// - Returns: the number of ready items; see ``readyEvents(at:)``.
    /// - Throws: `ETERM` after the context shuts down; `ENOTSOCK` if a registered
    ///   socket was closed.
    public func poll(timeout milliseconds: Int = -1) throws(ZMQError) -> Int {
        for index in sockets.indices {
            if let socket = sockets[index], socket.handle != items[index].socket {
                throw ZMQError(code: ENOTSOCK, operation: "zmq_poll")
            }
        }
        let count = Int32(items.count)
        let rc = zmq_poll(&items, count, milliseconds)
        if rc >= 0 { return Int(rc) }
        let code = zmq_errno()
        guard code == EINTR else { throw ZMQError(code: code, operation: "zmq_poll") }
        for index in items.indices { items[index].revents = 0 }
        return 0
    }

    /// What the item at `index` was ready for in the last ``poll(timeout:)``.
    public func readyEvents(at index: Int) -> ZMQPollEvents {
        ZMQPollEvents(rawValue: items[index].revents)
    }

    /// Shorthand for `readyEvents(at: index).contains(.readable)`.
    public func isReadable(at index: Int) -> Bool {
        readyEvents(at: index).contains(.readable)
    }
}

@available(*, unavailable)
extension ZMQPoller: Sendable {}
