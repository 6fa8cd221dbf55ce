import NIOCore
import Synchronization

/// The server's listening channel and every connection it has open, so that ``APIServer/stop()`` can close
/// them on their event loops. Closing needs no task of Swift's cooperative pool, so a `stop()` called from a
/// pool thread cannot wait on work queued behind itself (as a graceful shutdown through a service group
/// would: Hummingbird starts it in an unstructured task).
final class OpenChannels: Sendable {
    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var closing = false
    }

    private let state = Mutex(State())

    /// Keeps the listening channel; closes it at once when the server is already stopping.
    func listening(on channel: any Channel) {
        let closeNow = state.withLock { state in
            state.listener = channel
            return state.closing
        }
        if closeNow { channel.close(promise: nil) }
    }

    /// Keeps a new connection until it closes; closes it at once when the server is stopping.
    func opened(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let closeNow = state.withLock { state in
            if !state.closing { state.connections[id] = channel }
            return state.closing
        }
        if closeNow {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.connections.removeValue(forKey: id) }
        }
    }

    /// Stops accepting and closes every connection, requests under way and event streams included.
    func closeAll() {
        let channels = state.withLock { state in
            state.closing = true
            return [state.listener].compactMap { $0 } + Array(state.connections.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }
}
