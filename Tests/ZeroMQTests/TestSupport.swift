import Dispatch
import Foundation
import Synchronization
import Testing
import ZeroMQ

private let endpointCounter = Atomic<Int>(0)

/// An `inproc://` name no other test uses, since tests run in parallel.
func uniqueInproc(_ label: String = #function) -> String {
    let number = endpointCounter.add(1, ordering: .relaxed).newValue
    return "inproc://\(label.filter { $0.isLetter || $0.isNumber })-\(number)"
}

/// Binds `socket` to a fresh endpoint of `transport` ("inproc" or "tcp") and returns the
/// resolved address to connect to.
func bindAnywhere(_ socket: ZMQSocket, transport: String, label: String = #function) throws -> String {
    if transport == "tcp" {
        try socket.bind("tcp://127.0.0.1:*")
        return try socket.lastEndpoint
    }
    let endpoint = uniqueInproc(label)
    try socket.bind(endpoint)
    return endpoint
}

/// A socket whose blocking calls give up after `timeout`, so a broken test fails
/// with EAGAIN instead of hanging the run.
func makeSocket(_ context: ZMQContext, _ type: ZMQSocketType, timeout: Int = 5000) throws -> ZMQSocket {
    let socket = try ZMQSocket(context: context, type: type)
    try socket.setReceiveTimeout(milliseconds: timeout)
    try socket.setSendTimeout(milliseconds: timeout)
    return socket
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }


/// A one-shot signal between threads, waited on with a deadline.
final class Latch: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func open() { semaphore.signal() }
    func wait(timeout seconds: Double = 10) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }
}
