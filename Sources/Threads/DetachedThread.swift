#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way the bridge's low-level modules start a POSIX thread of their own (not Swift's cooperative
/// pool: the body blocks in C calls).
public enum DetachedThread {
    /// Runs `body` on a new detached thread; callers wait for it with their own signal.
    /// - Throws: ``ThreadSpawnError`` when `pthread_create` fails (the system is out of threads or memory);
    ///   `body` has not run then and never will.
    public static func spawn(_ body: @escaping @Sendable () -> Void) throws(ThreadSpawnError) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let rc = pthread_create(&thread, nil, { raw in
            #if canImport(Darwin)
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            #else
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            #endif
            box.body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw ThreadSpawnError(code: rc)
        }
        #if canImport(Darwin)
        if let thread { pthread_detach(thread) }
        #else
        pthread_detach(thread)
        #endif
    }
}

/// `pthread_create` failed.
public struct ThreadSpawnError: Error, CustomStringConvertible {
    /// The error number `pthread_create` returned (`EAGAIN`: out of threads or memory).
    public let code: Int32

    public var description: String { "cannot start a thread: \(String(cString: strerror(code)))" }
}
