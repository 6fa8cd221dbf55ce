#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value protected by a pthread mutex, with a condition variable to wait for changes: the bridge's one lock
/// type below Swift's own `Mutex`.
///
/// A plain pthread mutex sleeps at once when the lock is taken, where `Synchronization.Mutex` spins first:
/// with more busy threads than cores (a bridge, its broker and their peers on two cores) the holder is often
/// preempted, and the other side then burns its time slice spinning. Use it for locks taken once per message
/// across threads (mailboxes, the journal) and wherever a thread waits for a change. No Foundation needed.
public final class ConditionLock<Value>: @unchecked Sendable {
    // Safe: `value` is only read or written while `mutex` is held.
    @usableFromInline let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    @usableFromInline let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    @usableFromInline var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Like ``withLock(_:)`` and then wakes every waiter.
    @inlinable
    public func withLockAndBroadcast<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&value)
    }

    /// Blocks until `predicate` returns a non-nil result or `timeout` passes (then returns nil).
    public func wait<Result>(timeout: Duration, until predicate: (inout Value) -> Result?) -> Result? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = predicate(&value) { return result }
            let remaining = clock.now.duration(to: deadline)
            if remaining <= .zero { return nil }
            // Wait in short slices on the realtime clock; the monotonic deadline above decides.
            let slice = min(remaining, .milliseconds(50))
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let (seconds, attoseconds) = slice.components
            var nanos = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
            var secs = Int(now.tv_sec) + Int(seconds)
            if nanos >= 1_000_000_000 { secs += 1; nanos -= 1_000_000_000 }
            var until = timespec(tv_sec: secs, tv_nsec: nanos)
            pthread_cond_timedwait(condition, mutex, &until)
        }
    }
}
