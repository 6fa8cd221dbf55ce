internal import CNATS

/// The configuration of a JetStream stream (the part of `jsStreamConfig` the bridge uses).
public struct StreamConfig: Sendable, Hashable {
    /// What the stream does when a limit is reached.
    public enum DiscardPolicy: Sendable, Hashable {
        /// Remove the oldest messages to make room (the default).
        case old
        /// Refuse new messages (the publish fails with ``JetStreamErrorCode/storeFailed``).
        case new
    }

    /// Where the stream keeps its messages.
    public enum Storage: Sendable, Hashable {
        case file, memory
    }

    /// The stream name (no spaces, `.`, `*` or `>`).
    public var name: String
    /// The subjects the stream captures (wildcards allowed).
    public var subjects: [String]
    /// How many servers keep a copy (1 on a single server; at most 5 in a cluster).
    public var replicas: Int
    /// How long messages are kept; `.zero` keeps them until another limit removes them.
    public var maxAge: Duration
    /// The most bytes the stream holds; -1 for no limit.
    public var maxBytes: Int64
    /// The most messages the stream holds; -1 for no limit.
    public var maxMessages: Int64
    /// The largest message the stream accepts, in bytes; -1 for the server's limit.
    public var maxMessageSize: Int32
    /// The window in which a repeated `Nats-Msg-Id` is recognised as a duplicate; `.zero` means the
    /// server's default (2 minutes).
    public var duplicateWindow: Duration
    /// What happens when a limit is reached.
    public var discard: DiscardPolicy
    /// File or memory storage.
    public var storage: Storage

    /// Creates a configuration; limits default to none.
    public init(name: String, subjects: [String], replicas: Int = 1, maxAge: Duration = .zero, maxBytes: Int64 = -1,
                maxMessages: Int64 = -1, maxMessageSize: Int32 = -1, duplicateWindow: Duration = .zero,
                discard: DiscardPolicy = .old, storage: Storage = .file) {
        self.name = name
        self.subjects = subjects
        self.replicas = replicas
        self.maxAge = maxAge
        self.maxBytes = maxBytes
        self.maxMessages = maxMessages
        self.maxMessageSize = maxMessageSize
        self.duplicateWindow = duplicateWindow
        self.discard = discard
        self.storage = storage
    }

    /// ``maxAge`` in whole seconds.
    public var maxAgeSeconds: Int64 {
        get { maxAge.components.seconds }
        set { maxAge = .seconds(newValue) }
    }

    /// Reads a configuration nats.c returned.
    init(_ c: jsStreamConfig) {
        var subjects: [String] = []
        if let list = c.Subjects {
            for index in 0..<Int(c.SubjectsLen) { if let subject = list[index] { subjects.append(String(cString: subject)) } }
        }
        self.init(
            name: c.Name.map { String(cString: $0) } ?? "", subjects: subjects, replicas: Int(c.Replicas),
            maxAge: .nanoseconds(c.MaxAge), maxBytes: c.MaxBytes, maxMessages: c.MaxMsgs, maxMessageSize: c.MaxMsgSize,
            duplicateWindow: .nanoseconds(c.Duplicates), discard: c.Discard == js_DiscardNew ? .new : .old,
            storage: c.Storage == js_MemoryStorage ? .memory : .file)
    }

    /// Calls `body` with this configuration as a `jsStreamConfig` whose strings live during the call.
    func withCConfig<Result>(_ body: (inout jsStreamConfig) -> Result) -> Result {
        var pool = CStringPool()
        var c = jsStreamConfig()
        jsStreamConfig_Init(&c)
        c.Name = pool.copy(name)
        c.Subjects = pool.copyArray(subjects)
        c.SubjectsLen = Int32(subjects.count)
        c.Replicas = Int64(replicas)
        c.MaxAge = nanoseconds(maxAge)
        c.MaxBytes = maxBytes
        c.MaxMsgs = maxMessages
        c.MaxMsgSize = maxMessageSize
        c.Duplicates = nanoseconds(duplicateWindow)
        c.Discard = discard == .new ? js_DiscardNew : js_DiscardOld
        c.Storage = storage == .memory ? js_MemoryStorage : js_FileStorage
        return body(&c)
    }
}
