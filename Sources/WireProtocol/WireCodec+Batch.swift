import BridgeCore

/// `BATCH`: several `DATA` in one message (docs/wire-protocol.md). Frames: `MQB1`, `BATCH`, `{}`, and the
/// records, each a `DATA`'s metadata and body with a 4-byte big-endian length before each.
extension WireCodec {
    /// Reads a message that may be a `BATCH`: one result per `DATA` it carries, in order, or the one message
    /// `decode` reads. A record that cannot be read is an error of its own (with its `seq` when it can be
    /// read); a records frame cut short ends the batch with a `malformed_frame` error after the records
    /// before it.
    public static func decodeAll(_ frames: [[UInt8]], form: DataForm) -> [Result<WireMessage, WireErrorReport>] {
        guard frames.count >= 2, frames[0] == protocolTag, frames[1] == batchFrame else {
            do {
                return [.success(try decode(frames, form: form))]
            } catch {
                return [.failure(error)]
            }
        }
        guard frames.count == 4 else {
            return [.failure(WireErrorReport(code: WireErrorCode.malformedFrame, message: "BATCH has 4 frames, got \(frames.count)"))]
        }
        do {
            _ = try object(frames[2])
        } catch {
            return [.failure(error)]
        }
        var results: [Result<WireMessage, WireErrorReport>] = []
        let records = frames[3]
        var reader = BatchReader(records)
        while !reader.atEnd {
            guard let (metadata, bodyRange) = reader.nextRanges() else {
                results.append(.failure(WireErrorReport(
                    code: WireErrorCode.malformedFrame,
                    message: "BATCH record \(results.count + 1) is cut short at byte \(reader.offset) of \(records.count)")))
                break
            }
            // The usual metadata is read where it lies in the records frame; only the body is copied out.
            let body = Array(records[bodyRange])
            let scanned = records.withUnsafeBufferPointer { buffer in
                DataMetadataScanner.decode(metadata: UnsafeBufferPointer(rebasing: buffer[metadata]), body: body, form: form)
            }
            if let scanned {
                results.append(.success(scanned))
                continue
            }
            do {
                results.append(.success(try decodeDataFully(metadata: Array(records[metadata]), body: body, form: form)))
            } catch {
                results.append(.failure(error))
            }
        }
        if results.isEmpty {
            results.append(.failure(WireErrorReport(code: WireErrorCode.malformedFrame, message: "BATCH carries no record")))
        }
        return results
    }

    static let batchFrame = kindFrame(.batch)
}

/// Walks the records frame of a `BATCH`.
struct BatchReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }

    /// The next record's metadata and body; nil when the frame ends inside it.
    mutating func next() -> ([UInt8], [UInt8])? {
        guard let (metadata, body) = nextRanges() else { return nil }
        return (Array(bytes[metadata]), Array(bytes[body]))
    }

    /// Where the next record's metadata and body lie in the frame; nil when the frame ends inside it.
    mutating func nextRanges() -> (metadata: Range<Int>, body: Range<Int>)? {
        guard let metadata = field(), let body = field() else { return nil }
        return (metadata, body)
    }

    private mutating func field() -> Range<Int>? {
        guard bytes.count - offset >= 4 else { return nil }
        let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        guard bytes.count - offset - 4 >= length else { return nil }
        let start = offset + 4
        offset = start + length
        return start..<offset
    }
}

/// Gathers `DATA` for one peer into `BATCH` messages of at most `limit` bytes of records. Pure: the sender
/// appends what it would have sent one by one and sends `take()` before it waits for more.
public struct BatchWriter: Sendable {
    /// The most a peer may announce in `batchBytes`.
    public static let maxBatchBytes = 1 << 24
    /// What our peers and hub announce: large enough that a batch holds hundreds of typical messages, small
    /// enough to stay within the hub's default frame cap (`hub.maxMessageBytes`, 131,072 bytes).
    public static let defaultBatchBytes = 131_072

    public let limit: Int
    public private(set) var records: [UInt8] = []
    public private(set) var count = 0

    public init(limit: Int) {
        self.limit = limit
    }

    public var isEmpty: Bool { count == 0 }

    /// Whether a record of this metadata and body fits in an empty batch at all; one that does not goes
    /// alone as a `DATA`.
    public func fitsAlone(metadata: Int, body: Int) -> Bool { 8 + metadata + body <= limit }

    /// Adds a record; false (and nothing added) when it does not fit in what is left: `take()` first.
    public mutating func append(metadata: [UInt8], body: [UInt8]) -> Bool {
        guard records.count + 8 + metadata.count + body.count <= limit else { return false }
        if records.isEmpty { records.reserveCapacity(min(limit, 16_384)) }
        appendLength(metadata.count)
        records.append(contentsOf: metadata)
        appendLength(body.count)
        records.append(contentsOf: body)
        count += 1
        return true
    }

    /// Adds a `DATA` (`.queueData` or `.mqttData`) as a record, its metadata written as JSON straight into
    /// the records, as `WireCodec.encode` writes it; false (and nothing added) when it does not fit in what is
    /// left: `take()` first. Other messages are not records: false.
    public mutating func append(_ message: WireMessage) -> Bool {
        guard message.kind == .data else { return false }
        let start = records.count
        if records.isEmpty { records.reserveCapacity(min(limit, 16_384)) }
        appendLength(0)
        // The records are lent to a JSON writer and taken back, so that the metadata is written in place.
        var buffer: [UInt8] = []
        swap(&buffer, &records)
        var writer = JSONWriter(appendingTo: consume buffer)
        writer.beginObject()
        let body: [UInt8]
        switch message {
        case .queueData(let seq, let queueMessage):
            WireCodec.writeQueueData(seq: seq, queueMessage, &writer)
            body = queueMessage.body
        case .mqttData(let seq, let mqttMessage, let clientId):
            WireCodec.writeMQTTData(seq: seq, mqttMessage, clientId: clientId, &writer)
            body = mqttMessage.payload
        default:
            preconditionFailure("only DATA reaches here")
        }
        writer.endObject()
        records = writer.takeBytes()
        guard records.count + 4 + body.count <= limit else {
            records.removeSubrange(start...)
            return false
        }
        let metadataLength = records.count - start - 4
        records[start] = UInt8(truncatingIfNeeded: metadataLength >> 24)
        records[start + 1] = UInt8(truncatingIfNeeded: metadataLength >> 16)
        records[start + 2] = UInt8(truncatingIfNeeded: metadataLength >> 8)
        records[start + 3] = UInt8(truncatingIfNeeded: metadataLength)
        appendLength(body.count)
        records.append(contentsOf: body)
        count += 1
        return true
    }

    /// The `BATCH` frames of what was added, or a plain `DATA` when it is one message; the writer is emptied.
    public mutating func take() -> [[UInt8]] {
        defer {
            records.removeAll(keepingCapacity: true)
            count = 0
        }
        if count == 1 {
            var reader = BatchReader(records)
            let (metadata, body) = reader.next()!
            return [WireCodec.protocolTag, WireCodec.kindFrame(.data), metadata, body]
        }
        return [WireCodec.protocolTag, WireCodec.batchFrame, Self.emptyObject, records]
    }

    private static let emptyObject: [UInt8] = Array("{}".utf8)

    private mutating func appendLength(_ length: Int) {
        records.append(UInt8(truncatingIfNeeded: length >> 24))
        records.append(UInt8(truncatingIfNeeded: length >> 16))
        records.append(UInt8(truncatingIfNeeded: length >> 8))
        records.append(UInt8(truncatingIfNeeded: length))
    }
}
