internal import CNATS

/// Process-wide nats.c state.
///
/// `nats_Open` is called exactly once, lazily and thread-safely, before the first connection is
/// made (or when ``ensureInitialized()`` is called). `nats_Close` is never called: it tears down the
/// library's shared threads, after which no connection of the process could work again.
public enum NATSLibrary {
    /// Swift runs a global's initializer exactly once, under `swift_once`, so this is thread-safe.
    private static let initialization: Int32 = {
        // -1: nats.c's default spin count for its mutexes.
        Int32(bitPattern: nats_Open(-1).rawValue)
    }()

    /// Initializes nats.c if that has not happened yet. Safe to call from any thread.
    static func ensureInitialized() throws(NATSError) {
        let code = initialization
        if code != 0 {
            throw NATSError(status: NATSStatus(rawValue: code), operation: "nats_Open", detail: nil, jetStreamErrorCode: nil)
        }
    }

    /// The version of the nats.c library the process is linked against, e.g. `"3.4.1"`.
    public static var version: String { String(cString: nats_GetVersion()) }
}
