#if os(Linux)
internal import CZeroMQ
import Threads
internal import Glibc

/// A thread-safe FIFO that wakes a socket-owning thread through a pollable `eventfd`.
///
/// ZeroMQ sockets cannot be touched from other threads, so other threads ``post(_:)``
/// work here and the owner, which has ``fileDescriptor`` in its ``ZMQPoller``,
/// ``drain()``s it when the descriptor polls readable:
///
/// ```swift
/// let mailbox = try ZMQMailbox<Command>()        // shared with producers
/// let wake = poller.add(fileDescriptor: mailbox.fileDescriptor)
/// // producer threads: mailbox.post(.publish(message))
/// // owner loop:  if poller.isReadable(at: wake) { for c in mailbox.drain() { ... } }
/// ```
///
/// Elements from one producer arrive in the order posted. The descriptor is written only
/// when the queue goes from empty to non-empty, so a burst of posts costs one syscall; an
/// owner that takes elements with ``drainBatch(into:)`` until there are none keeps it
/// written while it works, so posts made meanwhile cost none.
///
/// Close the mailbox (or drop it) only after removing its descriptor from every poller.
public final class ZMQMailbox<Element: Sendable>: @unchecked Sendable {
    // Safe: `state` is a lock; `fileDescriptor` is written, read and closed only while holding it.

    private struct State {
        var queue: [Element] = []
        /// True while the eventfd counter is non-zero; kept in step under the lock.
        var isSignalled = false
        var isClosed = false
    }

    // The eventfd is written, read and closed only under this lock, so a post racing
    // with close() can never write to a descriptor number the process has reused.
    //
    // A pthread lock, which sleeps at once when taken, rather than `Synchronization.Mutex`,
    // which spins first (see `ConditionLock`): profiles of a thread draining a mailbox fed
    // once per message showed most of its CPU spinning there.
    private let state = ConditionLock(State())

    /// The descriptor to register with ``ZMQPoller/add(fileDescriptor:events:)``; it polls
    /// readable while elements are waiting.
    public let fileDescriptor: Int32

    /// Creates an empty mailbox with its own non-blocking, close-on-exec eventfd.
    public init() throws(ZMQError) {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw ZMQError(code: errno, operation: "eventfd") }
        fileDescriptor = fd
    }

    deinit {
        close()
    }

    private func withLock<Result>(_ body: (inout State) -> Result) -> Result {
        state.withLock(body)
    }

    /// Appends `element` and wakes the owner. Safe from any thread.
    /// - Returns: `false` if the mailbox is closed and the element was dropped.
    @discardableResult
    public func post(_ element: Element) -> Bool {
        withLock { state in
            guard !state.isClosed else { return false }
            state.queue.append(element)
            signal(&state)
            return true
        }
    }

    /// Appends `elements` in order with a single wake-up. Safe from any thread.
    /// - Returns: `false` if the mailbox is closed and the elements were dropped.
    @discardableResult
    public func post(contentsOf elements: some Sequence<Element>) -> Bool {
        withLock { state in
            guard !state.isClosed else { return false }
            state.queue.append(contentsOf: elements)
            if !state.queue.isEmpty { signal(&state) }
            return true
        }
    }

    /// Takes every waiting element, oldest first, and resets the descriptor so it stops
    /// polling readable until the next post. Meant for the owner thread.
    public func drain() -> [Element] {
        withLock { state in
            if state.isSignalled && !state.isClosed {
                var counter: eventfd_t = 0
                _ = eventfd_read(fileDescriptor, &counter)
                state.isSignalled = false
            }
            var taken: [Element] = []
            swap(&taken, &state.queue)
            return taken
        }
    }

    /// Moves every waiting element, oldest first, into `batch` (emptied first; its storage is handed to the
    /// mailbox for the next posts, so a steady stream allocates nothing). Unlike ``drain()``, while it finds
    /// elements it leaves the descriptor readable: posts made before the next call then cost the poster
    /// no system call and wake nobody. Meant for an owner that calls it again after handling the batch,
    /// until it finds nothing, which resets the descriptor; one that stops earlier finds the descriptor
    /// still readable at its next poll, so nothing waits unseen.
    /// - Returns: whether elements were taken.
    @discardableResult
    public func drainBatch(into batch: inout [Element]) -> Bool {
        batch.removeAll(keepingCapacity: true)
        return withLock { state in
            guard !state.queue.isEmpty else {
                if state.isSignalled && !state.isClosed {
                    var counter: eventfd_t = 0
                    _ = eventfd_read(fileDescriptor, &counter)
                    state.isSignalled = false
                }
                return false
            }
            swap(&batch, &state.queue)
            return true
        }
    }

    /// Stops accepting posts and closes the descriptor. Elements still queued can be
    /// drained afterwards. Calling it again does nothing.
    public func close() {
        withLock { state in
            guard !state.isClosed else { return }
            state.isClosed = true
            state.isSignalled = false
            _ = Glibc.close(fileDescriptor)
        }
    }

    private func signal(_ state: inout State) {
        guard !state.isSignalled else { return }
        // Cannot fail: the counter is only ever 0 or 1, far below the eventfd limit.
        _ = eventfd_write(fileDescriptor, 1)
        state.isSignalled = true
    }
}
#endif
