internal import CNATS

/// A stream's configuration as the server holds it, and its state.
public struct StreamInfo: Sendable, Hashable {
    /// The stream's state at the time of the request.
    public struct State: Sendable, Hashable {
        /// Messages in the stream.
        public let messages: UInt64
        /// Bytes in the stream.
        public let bytes: UInt64
        /// The sequence of the oldest message (0 when empty).
        public let firstSequence: UInt64
        /// The sequence of the newest message (0 if nothing was ever stored).
        public let lastSequence: UInt64
        /// Consumers of the stream.
        public let consumers: Int
    }

    /// The configuration read back from the server (with its defaults filled in), e.g. to compare the
    /// subjects and replicas of an existing stream with what a mapping file asks for.
    public let config: StreamConfig
    /// The state.
    public let state: State
    /// The cluster the stream lives in, and its leader, when the server is clustered.
    public let clusterName: String?
    /// The server leading the stream in a cluster.
    public let leader: String?

    init(_ info: UnsafeMutablePointer<jsStreamInfo>) {
        let c = info.pointee
        config = c.Config.map { StreamConfig($0.pointee) } ?? StreamConfig(name: "", subjects: [])
        state = State(messages: c.State.Msgs, bytes: c.State.Bytes, firstSequence: c.State.FirstSeq,
                      lastSequence: c.State.LastSeq, consumers: Int(c.State.Consumers))
        clusterName = c.Cluster.flatMap { $0.pointee.Name.map { String(cString: $0) } }
        leader = c.Cluster.flatMap { $0.pointee.Leader.map { String(cString: $0) } }
    }
}

/// A message read from a stream by sequence (``JetStreamContext/getMessage(stream:sequence:)``).
public struct StoredMessage: Sendable {
    /// The subject it was published on.
    public let subject: String
    /// Its headers, including `Nats-Msg-Id` if it was published with an id. The values of one name keep
    /// their order; names come sorted (nats.c does not keep the order of different names).
    public let headers: [(name: String, value: String)]
    /// The payload.
    public let body: [UInt8]
    /// The stream sequence.
    public let sequence: UInt64
    /// When the stream stored it, in nanoseconds since the Unix epoch (the server's clock).
    public let storedAtNanoseconds: Int64

    /// All values of header `name`, in order.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name == name }.map(\.value)
    }
}
