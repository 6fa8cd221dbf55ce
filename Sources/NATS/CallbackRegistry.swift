import Synchronization

/// Maps the integer tokens handed to nats.c as callback closures to the Swift objects behind them.
///
/// nats.c may still run a callback on one of its threads after the object that registered it was
/// destroyed (connection events are delivered by a shared thread; JetStream publish timeouts fire from
/// a timer). A pointer to a Swift object would dangle then; a token that is no longer registered is
/// simply ignored.
final class CallbackRegistry<Value: Sendable>: Sendable {
    private let entries = Mutex<(next: Int, values: [Int: Value])>((1, [:]))

    /// Registers `value` and returns its token, usable as a nats.c closure pointer.
    func register(_ value: Value) -> Int {
        entries.withLock { state in
            let token = state.next
            state.next += 1
            state.values[token] = value
            return token
        }
    }

    /// The value registered under the token in `closure`, if it is still registered.
    func lookup(_ closure: UnsafeMutableRawPointer?) -> Value? {
        guard let closure else { return nil }
        let token = Int(bitPattern: closure)
        return entries.withLock { $0.values[token] }
    }

    /// Removes the token; later callbacks carrying it are ignored. Removing twice does nothing.
    @discardableResult
    func remove(_ token: Int) -> Value? {
        entries.withLock { $0.values.removeValue(forKey: token) }
    }

    static func closure(for token: Int) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: token)
    }
}
