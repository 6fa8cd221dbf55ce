import BridgeCore
import Foundation
import Threads
import WireProtocol

/// The MQTT worker's disk spool: every outflow message is appended here before libmosquitto acknowledges
/// it to the broker, and marked settled once the hub has acknowledged it (after every consumer did). A
/// worker that starts finds the unsettled messages and sends them again, so a bridge killed at any point
/// loses nothing the broker handed over (it may deliver some twice).
///
/// Records: `[UInt32 length][UInt8 kind][UInt64 id]` then, for a message, its wire frames
/// (`[UInt32 count]` and `[UInt32 length][bytes]` each). A settle record has no body. All integers are
/// little-endian. A record cut short by a crash ends the file: it is dropped at the next start.
///
/// An identity record (kind 3) names the journal: its id is the lowest id the journal may still give, and
/// its body the journal's identity, 8 random bytes chosen when the file is made. A new file starts with
/// one, and a compaction writes one first, so ids are never given twice by one journal, even after every
/// message was settled and the file rewritten empty. The identity and a message's id together name the
/// message for good: the hub derives queue-side message IDs from them (`Hello.journal`).
///
/// A message record holds the frames of the message's `DATA` to the hub with the record's id as `seq`:
/// the worker sends them as they are (see `appendEncoded`), so each message is encoded once.
///
/// Messages are staged, then committed: `stage` gives a message its id and its record and keeps it pending in
/// memory, and `commit` writes every record staged since the last commit with one `write(2)`. The worker
/// stages each message of a burst read from the broker and commits once before it lets libmosquitto write
/// the burst's acknowledgements, so the broker hears of no message that is not in the file, for one write a
/// burst instead of one a message. `appendEncoded` is both at once.
///
/// Settle records are not written by `settle`, which only marks the messages settled in memory: the next
/// commit writes them in front of the message records, with the same `write(2)`, and `writeWaitingSettles`
/// writes them when no commit came along (the worker calls it when outflow goes quiet, and `close` does).
/// The worker thread never waits for another thread's write: file writes are serialized by a lock of their
/// own (`fileLock`), and the state lock is never held across a system call. A crash loses at most the
/// settle records still waiting (those messages are sent again at the next start, as any message in flight
/// would be) and the records staged and not committed, which the broker has not been told of.
///
/// Thread-safe: the worker thread stages (in libmosquitto's message callback), commits and settles; metrics and health
/// checks read its counts from other threads.
public final class OutflowJournal: @unchecked Sendable {
    // Safe: `state` is read and written only with `lock` held; the file is written, replaced and closed
    // only with `fileLock` held (taken before `lock` when both are).

    /// A message waiting for the hub's acknowledgement.
    public struct Entry: Sendable {
        public var id: UInt64
        /// Its `DATA` frames, with `id` as `seq`.
        public var frames: [[UInt8]]

        /// The message, decoded from `frames`.
        public var message: MQTTMessage {
            guard case .mqttData(_, let message, _)? = try? WireCodec.decode(frames, form: .mqtt) else {
                preconditionFailure("a journal entry holds frames read back or encoded by the journal")
            }
            return message
        }
    }

    private struct State {
        var file: JournalFile?
        var nextId: UInt64 = 1
        /// Unsettled messages (their `DATA` frames) and their record sizes, by id.
        var pending: [UInt64: (frames: [[UInt8]], bytes: Int)] = [:]
        var pendingBytes = 0
        var fileBytes = 0
        /// Settle records not written yet (see the type's documentation).
        var waitingSettles: [UInt8] = []
        /// Message records staged and not committed yet, in id order.
        var staged: [UInt8] = []
        var identity: UInt64 = 0
    }

    public let path: String
    /// Pending bytes beyond which `hasRoom` is false (the worker then stops reading from the broker).
    public let maxBytes: Int
    /// File size beyond which the journal is rewritten with only its pending records.
    let compactAfterBytes: Int
    // Pthread locks, which sleep at once when taken, rather than `Synchronization.Mutex`, which spins
    // first: the readers on other threads share two loaded cores with the rest of the bridge and the broker,
    // so the holder is often preempted and a spinning waiter would burn its time slice (see `ConditionLock`).
    private let state: ConditionLock<State>
    /// Serializes writes to the file, so that one can run without the state lock held.
    private let fileLock = ConditionLock(())

    static let messageRecord: UInt8 = 1
    static let settleRecord: UInt8 = 2
    static let identityRecord: UInt8 = 3

    /// The journal's identity as 16 lowercase hex characters (`Hello.journal`).
    public var identity: String {
        let value = withLock { $0.identity }
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Opens (or creates) the journal and reads back what an earlier run left unsettled.
    /// - Throws: `OutflowJournalError` or `JournalFileError` naming the file when it cannot be created, read or written.
    public init(directory: String, name: String, maxBytes: Int, compactAfterBytes: Int = 64 << 20) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OutflowJournalError("cannot create the spool directory \(directory): \(error.localizedDescription)")
        }
        path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
        self.maxBytes = maxBytes
        self.compactAfterBytes = compactAfterBytes
        var loaded = State()
        // Everything up to the first torn or unreadable record is kept; the rest is cut off the file.
        var contents = Self.read([])
        let (file, _) = try JournalFile.open(path: path) { bytes in
            contents = Self.read(bytes)
            return contents.validBytes
        }
        for (id, frames, bytes) in contents.entries where !contents.settled.contains(id) {
            loaded.pending[id] = (frames, bytes)
            loaded.pendingBytes += bytes
        }
        loaded.nextId = max(contents.lastId + 1, contents.identity?.nextId ?? 1)
        loaded.identity = contents.identity?.identity ?? 0
        loaded.fileBytes = file.size
        loaded.file = file
        if loaded.identity == 0 {
            // A new file (or one written before journals had an identity): name it now, before any message.
            loaded.identity = UInt64.random(in: 1...UInt64.max)
            let record = Self.identityRecord(identity: loaded.identity, nextId: loaded.nextId)
            try file.append(record)
            loaded.fileBytes += record.count
        }
        state = ConditionLock(loaded)
        try compactIfWorthIt()
    }

    /// Runs `body` with the file to itself (no other write, compaction or close meanwhile).
    private func withFileLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        try fileLock.withLock { (_: inout Void) in try body() }
    }

    private func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        try state.withLock { try body(&$0) }
    }

    /// What an earlier run left unsettled, oldest first.
    public var pending: [Entry] {
        withLock { state in
            state.pending.keys.sorted().map { Entry(id: $0, frames: state.pending[$0]!.frames) }
        }
    }

    public var pendingCount: Int { withLock { $0.pending.count } }
    public var pendingBytes: Int { withLock { $0.pendingBytes } }

    /// Whether pending messages leave room under `maxBytes`.
    public var hasRoom: Bool { withLock { $0.pendingBytes < maxBytes } }

    /// Appends a message: `stage`, then `commit`. Returns its id and the frames of its `DATA` to the hub, with
    /// the id as `seq`. The bytes are in the kernel when this returns; when it throws, the message stays
    /// staged and the next commit writes it.
    public func appendEncoded(_ message: MQTTMessage) throws -> (id: UInt64, frames: [[UInt8]]) {
        let staged = stage(message)
        try commit()
        return staged
    }

    /// Gives a message the next id and its record, and keeps it pending; the record is written by the next
    /// `commit`. Returns the id and the frames of its `DATA` to the hub, with the id as `seq` (the worker sends
    /// them without encoding the message again). No system call.
    public func stage(_ message: MQTTMessage) -> (id: UInt64, frames: [[UInt8]]) {
        let id = withLock { state in
            defer { state.nextId += 1 }
            return state.nextId
        }
        let frames = WireCodec.encode(.mqttData(seq: id, message, clientId: nil))
        withLock { state in
            let before = state.staged.count
            Self.appendRecord(kind: Self.messageRecord, id: id, frames: frames, to: &state.staged)
            let recordBytes = state.staged.count - before
            state.pending[id] = (frames, recordBytes)
            state.pendingBytes += recordBytes
        }
        return (id, frames)
    }

    /// Whether staged records wait for `commit`.
    public var hasStaged: Bool { withLock { !$0.staged.isEmpty } }

    /// Writes the records staged since the last commit, with the settle records waiting in front of them, in
    /// one write. When the write fails nothing of it stays in the file and the records stay staged for the
    /// next commit.
    public func commit() throws {
        let fileBytes: Int? = try withFileLock {
            let (bytes, settleCount, file) = withLock { state in
                guard !state.staged.isEmpty else { return ([UInt8](), 0, state.file) }
                var bytes: [UInt8] = []
                swap(&bytes, &state.waitingSettles)
                let settleCount = bytes.count
                bytes += state.staged
                state.staged.removeAll(keepingCapacity: true)
                return (bytes, settleCount, state.file)
            }
            guard !bytes.isEmpty else { return nil }
            do {
                try Self.write(bytes, to: file, path: path)
            } catch {
                withLock { state in
                    state.waitingSettles = Array(bytes[..<settleCount]) + state.waitingSettles
                    state.staged = Array(bytes[settleCount...]) + state.staged
                }
                throw error
            }
            return withLock { state in
                state.fileBytes += bytes.count
                return state.fileBytes
            }
        }
        if let fileBytes, fileBytes >= compactAfterBytes { try compactIfWorthIt() }
    }

    /// Marks a message settled (see `settle(_:)` with several ids).
    public func settle(_ id: UInt64) throws {
        try settle([id])
    }

    /// Marks messages settled: their room is free at once, their settle records are written by the next
    /// append or by `writeWaitingSettles`. Unknown or already settled ids are ignored.
    public func settle(_ ids: [UInt64]) throws {
        withLock { state in
            for id in ids {
                guard let entry = state.pending.removeValue(forKey: id) else { continue }
                state.pendingBytes -= entry.bytes
                Self.appendRecord(kind: Self.settleRecord, id: id, frames: nil, to: &state.waitingSettles)
            }
        }
    }

    /// Whether settle records wait for a write.
    public var hasWaitingSettles: Bool { withLock { !$0.waitingSettles.isEmpty } }

    /// Writes the settle records no append has carried yet, with one write; the journal is compacted once
    /// it has grown large.
    public func writeWaitingSettles() throws {
        try withFileLock {
            let (settles, file) = withLock { state in
                var settles: [UInt8] = []
                swap(&settles, &state.waitingSettles)
                return (settles, state.file)
            }
            guard !settles.isEmpty else { return }
            do {
                try Self.write(settles, to: file, path: path)
            } catch {
                withLock { $0.waitingSettles = settles + $0.waitingSettles }
                throw error
            }
            withLock { $0.fileBytes += settles.count }
        }
        try compactIfWorthIt()
    }

    /// Writes the settle records still waiting and closes the file.
    public func close() {
        try? writeWaitingSettles()
        withFileLock {
            withLock { state in
                state.file?.close()
                state.file = nil
            }
        }
    }

    /// Rewrites the file with only the pending messages when it has grown past `compactAfterBytes`.
    private func compactIfWorthIt() throws {
        try withFileLock { try withLock { state in
            guard state.fileBytes >= compactAfterBytes else { return }
            var bytes = Self.identityRecord(identity: state.identity, nextId: state.nextId)
            for id in state.pending.keys.sorted() {
                bytes += Self.record(kind: Self.messageRecord, id: id, frames: state.pending[id]!.frames)
            }
            guard let file = state.file else { throw JournalFileError("\(path) is closed") }
            try file.replace(with: bytes)
            state.fileBytes = bytes.count
            // The rewritten file has no record of the settled messages: nothing left to write for them. It has
            // every pending message, the staged ones too: nothing left to commit either.
            state.waitingSettles.removeAll(keepingCapacity: true)
            state.staged.removeAll(keepingCapacity: true)
        } }
    }

    // MARK: - Encoding

    static func record(kind: UInt8, id: UInt64, frames: [[UInt8]]?) -> [UInt8] {
        var record: [UInt8] = []
        appendRecord(kind: kind, id: id, frames: frames, to: &record)
        return record
    }

    static func appendRecord(kind: UInt8, id: UInt64, frames: [[UInt8]]?, to record: inout [UInt8]) {
        var bodyLength = 9
        if let frames { bodyLength += 4 + frames.reduce(0) { $0 + 4 + $1.count } }
        // Once for a message record; settle records are small and gathered many to a buffer, which grows
        // geometrically on its own.
        if frames != nil { record.reserveCapacity(record.count + 4 + bodyLength) }
        appendLittleEndian(UInt32(bodyLength), to: &record)
        record.append(kind)
        appendLittleEndian(id, to: &record)
        if let frames {
            appendLittleEndian(UInt32(frames.count), to: &record)
            for frame in frames {
                appendLittleEndian(UInt32(frame.count), to: &record)
                record += frame
            }
        }
    }

    /// The identity record: the journal's identity and the lowest id it may still give.
    static func identityRecord(identity: UInt64, nextId: UInt64) -> [UInt8] {
        var record: [UInt8] = []
        appendLittleEndian(UInt32(17), to: &record)
        record.append(identityRecord)
        appendLittleEndian(nextId, to: &record)
        appendLittleEndian(identity, to: &record)
        return record
    }

    static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// Parses records until the end or the first torn or unreadable one. A message record is kept as its
    /// frames once they decode as a `DATA` whose `seq` is the record's id.
    static func read(_ bytes: [UInt8]) -> (entries: [(UInt64, [[UInt8]], Int)], settled: Set<UInt64>, validBytes: Int, lastId: UInt64,
                                           identity: (identity: UInt64, nextId: UInt64)?) {
        var reader = ByteReader(bytes: bytes)
        var entries: [(UInt64, [[UInt8]], Int)] = []
        var settled: Set<UInt64> = []
        var lastId: UInt64 = 0
        var identity: (identity: UInt64, nextId: UInt64)?
        var valid = 0
        while let length = reader.uint32(), length >= 9, let body = reader.bytes(Int(length)) {
            var fields = ByteReader(bytes: body)
            guard let kind = fields.uint8(), let id = fields.uint64() else { break }
            if kind == messageRecord {
                guard let count = fields.uint32() else { break }
                var frames: [[UInt8]] = []
                for _ in 0..<count {
                    guard let size = fields.uint32(), let frame = fields.bytes(Int(size)) else { break }
                    frames.append(frame)
                }
                guard frames.count == count, case .mqttData(let seq, _, _)? = try? WireCodec.decode(frames, form: .mqtt), seq == id
                else { break }
                entries.append((id, frames, Int(length) + 4))
                lastId = max(lastId, id)
            } else if kind == settleRecord {
                settled.insert(id)
            } else if kind == identityRecord {
                guard let value = fields.uint64(), value != 0 else { break }
                identity = (value, max(id, identity?.nextId ?? 0))
            } else {
                break
            }
            valid = reader.offset
        }
        return (entries, settled, valid, lastId, identity)
    }

    /// One append to the file (see `JournalFile.append`).
    private static func write(_ record: [UInt8], to file: JournalFile?, path: String) throws {
        guard let file else { throw JournalFileError("\(path) is closed") }
        try file.append(record)
    }
}

/// Reads little-endian integers and byte runs; nil past the end.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, count <= bytes.count - offset else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func uint8() -> UInt8? { bytes(1)?.first }

    mutating func uint32() -> UInt32? {
        bytes(4).map { $0.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
    }

    mutating func uint64() -> UInt64? {
        bytes(8).map { $0.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
    }
}

/// A spool file that cannot be used, with the path and the reason.
public struct OutflowJournalError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
