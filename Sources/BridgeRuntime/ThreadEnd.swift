import Dispatch
import Synchronization

/// The end of a thread the bridge started, awaited from a thread (`waitBlocking`) or from async code
/// (`wait`) without holding a thread of Swift's cooperative pool: the ending thread resumes the waiters.
public final class ThreadEnd: Sendable {
    private enum State {
        case running(waiters: [CheckedContinuation<Void, Never>])
        case ended
    }

    private let state = Mutex(State.running(waiters: []))
    private let ended = DispatchSemaphore(value: 0)

    public init() {}

    /// Called once by the thread as it ends.
    public func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard case .running(let waiters) = state else { return [] }
            state = .ended
            return waiters
        }
        ended.signal()
        for waiter in waiters { waiter.resume() }
    }

    /// Whether the thread has ended.
    public var hasEnded: Bool {
        state.withLock { state in
            if case .ended = state { return true }
            return false
        }
    }

    /// Suspends until the thread has ended.
    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let endedAlready = state.withLock { state -> Bool in
                guard case .running(var waiters) = state else { return true }
                waiters.append(continuation)
                state = .running(waiters: waiters)
                return false
            }
            if endedAlready { continuation.resume() }
        }
    }

    /// Blocks the calling thread until the thread has ended.
    public func waitBlocking() {
        ended.wait()
        // Left signalled for any later waiter.
        ended.signal()
    }
}
