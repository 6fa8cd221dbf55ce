internal import Glibc

/// A POSIX thread running one closure, joinable. The server loop blocks in `poll()`, so it gets an
/// OS thread of its own rather than a task on Swift's cooperative pool.
final class ServerThread: Sendable {
    private let handle: pthread_t

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private init(handle: pthread_t) {
        self.handle = handle
    }

    /// Starts a thread running `body`.
    static func spawn(_ body: @escaping @Sendable () -> Void) throws(SystemError) -> ServerThread {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { context in
            if let context { Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run() }
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw SystemError(call: "pthread_create", code: rc)
        }
        return ServerThread(handle: handle)
    }

    /// Whether the caller is this thread.
    var isCurrent: Bool { pthread_equal(handle, pthread_self()) != 0 }

    /// Waits for the thread to finish.
    func join() {
        _ = pthread_join(handle, nil)
    }

    /// Lets the thread's resources go when it finishes, for when nobody can join it.
    func detach() {
        _ = pthread_detach(handle)
    }
}
