internal import CNATS

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A message to publish: a subject, ordered headers and a body.
public struct NATSOutgoingMessage: Sendable {
    /// The subject, e.g. `"orders.eu.created"`.
    public var subject: String
    /// Header fields in order; a name may appear several times (each value is sent).
    ///
    /// Avoid empty values: with nats.c 3.4.1 a header with an empty value makes the headers of the
    /// message read back from a stream come out wrong (the field after it swallows the next one).
    public var headers: [(name: String, value: String)]
    /// The payload.
    public var body: [UInt8]

    /// Creates a message.
    public init(subject: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.subject = subject
        self.headers = headers
        self.body = body
    }

    /// Builds a nats.c message the caller owns (destroy with `natsMsg_Destroy`, or hand it to nats.c).
    func makeNATSMessage() throws(NATSError) -> OpaquePointer {
        var msg: OpaquePointer?
        // natsMsg_Create copies the subject and the data.
        let status = body.withUnsafeBufferPointer { buffer in
            natsMsg_Create(&msg, subject, nil, UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self),
                           Int32(buffer.count))
        }
        try NATSError.check(status, "natsMsg_Create")
        guard let msg else { throw NATSError(status: .error, operation: "natsMsg_Create", detail: "no message", jetStreamErrorCode: nil) }
        for header in headers {
            let added = natsMsgHeader_Add(msg, header.name, header.value)
            if added != NATS_OK {
                let error = NATSError.last(added, "natsMsgHeader_Add(\(header.name))")
                natsMsg_Destroy(msg)
                throw error
            }
        }
        return msg
    }
}

/// Reading the parts of a received nats.c message.
enum NATSMessageReader {
    static func subject(_ msg: OpaquePointer) -> String {
        natsMsg_GetSubject(msg).map { String(cString: $0) } ?? ""
    }

    static func body(_ msg: OpaquePointer) -> [UInt8] {
        let count = Int(natsMsg_GetDataLength(msg))
        guard count > 0, let data = natsMsg_GetData(msg) else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// All header fields. The values of one name keep their order; the order of the names does not
    /// survive (nats.c keeps headers in a hash map), so they are sorted by name.
    static func headers(_ msg: OpaquePointer) -> [(name: String, value: String)] {
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var keyCount: Int32 = 0
        guard natsMsgHeader_Keys(msg, &keys, &keyCount) == NATS_OK, let keys else { return [] }
        defer { free(keys) }
        var names: [String] = []
        for index in 0..<Int(keyCount) {
            if let key = keys[index] { names.append(String(cString: key)) }
        }
        var result: [(name: String, value: String)] = []
        for name in names.sorted() {
            var values: UnsafeMutablePointer<UnsafePointer<CChar>?>?
            var valueCount: Int32 = 0
            guard natsMsgHeader_Values(msg, name, &values, &valueCount) == NATS_OK, let values else { continue }
            for index in 0..<Int(valueCount) {
                result.append((name: name, value: values[index].map { String(cString: $0) } ?? ""))
            }
            free(values)
        }
        return result
    }

    /// The first value of header `name`, if present.
    static func header(_ msg: OpaquePointer, _ name: String) -> String? {
        var value: UnsafePointer<CChar>?
        guard natsMsgHeader_Get(msg, name, &value) == NATS_OK, let value else { return nil }
        return String(cString: value)
    }
}
