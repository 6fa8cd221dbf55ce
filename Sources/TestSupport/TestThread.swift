import Dispatch
import Foundation
import Synchronization

/// Blocking work on an OS thread of its own (not the cooperative pool: the body may block in a C library),
/// whose result is awaited with a deadline, so a hang fails the test instead of stalling the run.
public final class TestThread<Value: Sendable>: Sendable {
    private let result = Mutex<Result<Value, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    public init(_ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            let outcome = Result { try body() }
            result.withLock { $0 = outcome }
            finished.signal()
        }
        thread.start()
    }

    /// The body's result, or nil if it has not finished within `timeout`.
    public func join(timeout: Duration = .seconds(10)) -> Result<Value, any Error>? {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        guard finished.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else { return nil }
        return result.withLock { $0 }
    }
}
