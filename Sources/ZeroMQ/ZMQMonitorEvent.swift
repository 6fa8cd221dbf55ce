internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Kinds of socket lifecycle events reported by a socket monitor.
public struct ZMQMonitorEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    private init(_ value: Int32) { rawValue = UInt32(value) }

    /// A connection was established (value: the socket's file descriptor).
    public static let connected = ZMQMonitorEvents(ZMQ_EVENT_CONNECTED)
    /// A connect is in progress (value: errno).
    public static let connectDelayed = ZMQMonitorEvents(ZMQ_EVENT_CONNECT_DELAYED)
    /// A reconnect was scheduled (value: the reconnect interval in milliseconds).
    public static let connectRetried = ZMQMonitorEvents(ZMQ_EVENT_CONNECT_RETRIED)
    /// A bind succeeded (value: file descriptor).
    public static let listening = ZMQMonitorEvents(ZMQ_EVENT_LISTENING)
    /// A bind failed (value: errno).
    public static let bindFailed = ZMQMonitorEvents(ZMQ_EVENT_BIND_FAILED)
    /// A connection was accepted (value: file descriptor).
    public static let accepted = ZMQMonitorEvents(ZMQ_EVENT_ACCEPTED)
    /// Accepting a connection failed (value: errno).
    public static let acceptFailed = ZMQMonitorEvents(ZMQ_EVENT_ACCEPT_FAILED)
    /// A connection's descriptor was closed (value: file descriptor).
    public static let closed = ZMQMonitorEvents(ZMQ_EVENT_CLOSED)
    /// Closing a descriptor failed (value: errno).
    public static let closeFailed = ZMQMonitorEvents(ZMQ_EVENT_CLOSE_FAILED)
    /// A session was broken (value: file descriptor).
    public static let disconnected = ZMQMonitorEvents(ZMQ_EVENT_DISCONNECTED)
    /// The monitor was stopped; no further events follow.
    public static let monitorStopped = ZMQMonitorEvents(ZMQ_EVENT_MONITOR_STOPPED)
    /// A handshake failed without a more specific reason.
    public static let handshakeFailedNoDetail = ZMQMonitorEvents(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    /// A ZMTP handshake, including any security mechanism, succeeded.
    public static let handshakeSucceeded = ZMQMonitorEvents(ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
    /// A handshake failed on a protocol or cryptographic error (value: a ZMQ_PROTOCOL_ERROR
    /// code), e.g. a CURVE client using the wrong server key.
    public static let handshakeFailedProtocol = ZMQMonitorEvents(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
    /// A ZAP handler rejected the peer (value: the ZAP status code, e.g. 400).
    public static let handshakeFailedAuth = ZMQMonitorEvents(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

    /// Every kind of handshake failure.
    public static let handshakeFailed: ZMQMonitorEvents = [
        .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth,
    ]
    /// Every event libzmq 4.3 reports.
    public static let all = ZMQMonitorEvents(ZMQ_EVENT_ALL)
}

/// One event read from a socket monitor's PAIR socket (see ``ZMQSocket/monitor(events:endpoint:)``).
public struct ZMQMonitorEvent: Sendable, Hashable, CustomStringConvertible {
    /// The single kind of event that occurred.
    public let event: ZMQMonitorEvents
    /// Event-specific value: a file descriptor, errno, interval or error code.
    public let value: UInt32
    /// The endpoint the event concerns, e.g. `tcp://127.0.0.1:5555`.
    public let endpoint: String

    public init(event: ZMQMonitorEvents, value: UInt32, endpoint: String) {
        self.event = event
        self.value = value
        self.endpoint = endpoint
    }

    /// Parses the two frames of a version-1 monitor message: 6 bytes of native-endian
    /// event number (UInt16) and value (UInt32), then the endpoint text.
    /// - Throws: `EPROTO` for anything else.
    public init(frames: [[UInt8]]) throws(ZMQError) {
        guard frames.count == 2, frames[0].count == 6 else {
            throw ZMQError(code: EPROTO, operation: "ZMQMonitorEvent(frames:)")
        }
        let (number, value) = frames[0].withUnsafeBytes { raw in
            (raw.loadUnaligned(as: UInt16.self), raw.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        }
        self.init(
            event: ZMQMonitorEvents(rawValue: UInt32(number)),
            value: value,
            endpoint: String(decoding: frames[1], as: UTF8.self))
    }

    /// Receives and parses the next event from a PAIR socket connected to a monitor endpoint.
    /// - Returns: `nil` when `dontWait` is set and no event is waiting.
    public static func receive(from socket: ZMQSocket, dontWait: Bool = false) throws(ZMQError) -> ZMQMonitorEvent? {
        guard let frames = try socket.receiveMessage(dontWait: dontWait) else { return nil }
        return try ZMQMonitorEvent(frames: frames)
    }

    /// A handshake that failed because the two sides use different security mechanisms, e.g. a CURVE server
    /// and a plain (NULL) client. libzmq does not retry such a connection.
    public var isMechanismMismatch: Bool {
        event == .handshakeFailedProtocol && value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
    }

    public var description: String {
        "ZMQMonitorEvent(0x\(String(event.rawValue, radix: 16)), value: \(value), endpoint: \(endpoint))"
    }
}

extension ZMQSocket {
    /// Starts publishing this socket's `events` on a PAIR socket that libzmq binds at
    /// `endpoint`, which must be an `inproc://` address unique within the context.
    ///
    /// Connect a `.pair` socket from the same context to `endpoint` and read events with
    /// ``ZMQMonitorEvent/receive(from:dontWait:)``. Events that occur before that PAIR
    /// connects are lost, so connect it before binding/connecting the monitored socket.
    public func monitor(events: ZMQMonitorEvents = .all, endpoint: String) throws(ZMQError) {
        let handle = try liveHandle("zmq_socket_monitor")
        try zmqCall("zmq_socket_monitor") { zmq_socket_monitor(handle, endpoint, Int32(bitPattern: events.rawValue)) }
    }

    /// Stops the monitor started by ``monitor(events:endpoint:)``; the PAIR socket then
    /// receives `.monitorStopped`.
    public func stopMonitor() throws(ZMQError) {
        let handle = try liveHandle("zmq_socket_monitor")
        try zmqCall("zmq_socket_monitor") { zmq_socket_monitor(handle, nil, 0) }
    }
}
