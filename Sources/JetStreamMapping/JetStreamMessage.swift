/// A message as JetStream stores it: subject, headers in order, data.
public struct JetStreamMessage: Sendable, Equatable {
    public var subject: String
    public var headers: [JetStreamHeader]
    public var body: [UInt8]

    public init(subject: String, headers: [JetStreamHeader], body: [UInt8]) {
        self.subject = subject
        self.headers = headers
        self.body = body
    }

    /// The value of the last header named `name` (exact spelling), if any.
    public func header(_ name: String) -> String? {
        headers.last(where: { $0.name == name })?.value
    }
}
