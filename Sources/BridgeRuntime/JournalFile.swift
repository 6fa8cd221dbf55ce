import Foundation

/// An append-only file of records: the one journal underneath the MQTT worker's outflow spool
/// (`OutflowJournal`) and the online-status view's journal (`PresenceStore`). The owner decides what a record
/// is; the file keeps the rules both rely on:
///
/// - **Torn tail.** At open the owner says how much of the contents is whole records; the rest (a write cut
///   short by a crash) is cut off the file, so the next append starts on a record of its own.
/// - **Whole appends.** An append is written with `write(2)` (looping over short writes and `EINTR`); when it
///   fails after part of it went in (a full disk), that part is cut off again, so the file still ends on a
///   whole record.
/// - **Sync policy.** `.never`: the bytes are in the kernel when `append` returns, so a killed process loses
///   nothing; a machine that loses power may lose the last appends. `.everyAppend` adds an `fsync(2)`.
/// - **Replace.** A compaction writes the new contents beside the file, syncs them, renames them into place
///   and appends from there on.
///
/// Not thread-safe: the owner serializes calls.
final class JournalFile {
    enum SyncPolicy: Sendable {
        case never
        case everyAppend
    }

    let path: String
    let sync: SyncPolicy
    /// Bytes in the file.
    private(set) var size: Int
    private var descriptor: Int32

    /// Opens the file (creating it when missing) and reads it; `wholeBytes` tells how many of its bytes are
    /// whole records, and the rest is cut off the file. Returns the file and the whole records' bytes.
    static func open(path: String, sync: SyncPolicy = .never,
                     wholeBytes: ([UInt8]) -> Int = { $0.count }) throws(JournalFileError) -> (file: JournalFile, contents: [UInt8]) {
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JournalFileError("cannot open \(path): \(String(cString: strerror(errno)))") }
        var contents: [UInt8] = []
        do throws(JournalFileError) {
            contents = try readAll(descriptor, path: path)
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        let whole = min(contents.count, max(0, wholeBytes(contents)))
        if whole < contents.count {
            guard ftruncate(descriptor, off_t(whole)) == 0 else {
                let reason = String(cString: strerror(errno))
                Glibc.close(descriptor)
                throw JournalFileError("cannot cut the torn end off \(path): \(reason)")
            }
            contents.removeSubrange(whole...)
        }
        guard lseek(descriptor, off_t(whole), SEEK_SET) >= 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw JournalFileError("cannot open \(path): \(reason)")
        }
        return (JournalFile(path: path, sync: sync, descriptor: descriptor, size: whole), contents)
    }

    private init(path: String, sync: SyncPolicy, descriptor: Int32, size: Int) {
        self.path = path
        self.sync = sync
        self.descriptor = descriptor
        self.size = size
    }

    deinit { close() }

    var isOpen: Bool { descriptor >= 0 }

    /// Appends `bytes` whole (see the type's documentation).
    func append(_ bytes: [UInt8]) throws(JournalFileError) {
        guard descriptor >= 0 else { throw JournalFileError("\(path) is closed") }
        guard !bytes.isEmpty else { return }
        try Self.writeWhole(bytes, descriptor: descriptor, path: path) { Glibc.write($0, $1, $2) }
        size += bytes.count
        if sync == .everyAppend, fsync(descriptor) != 0 {
            throw JournalFileError("cannot sync \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces the contents with `bytes`: written and synced beside the file, then renamed into place.
    func replace(with bytes: [UInt8]) throws(JournalFileError) {
        let temporary = path + ".new"
        let fresh = Glibc.open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fresh >= 0 else { throw JournalFileError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        do throws(JournalFileError) {
            try Self.writeWhole(bytes, descriptor: fresh, path: temporary) { Glibc.write($0, $1, $2) }
            guard fsync(fresh) == 0 else { throw JournalFileError("cannot sync \(temporary): \(String(cString: strerror(errno)))") }
            guard rename(temporary, path) == 0 else {
                throw JournalFileError("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            Glibc.close(fresh)
            throw error
        }
        close()
        descriptor = fresh
        size = bytes.count
    }

    /// Empties the file.
    func truncate() throws(JournalFileError) {
        guard descriptor >= 0 else { throw JournalFileError("\(path) is closed") }
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) >= 0 else {
            throw JournalFileError("cannot empty \(path): \(String(cString: strerror(errno)))")
        }
        size = 0
    }

    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    private static func readAll(_ descriptor: Int32, path: String) throws(JournalFileError) -> [UInt8] {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw JournalFileError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return contents }
            contents += chunk[..<count]
        }
    }

    /// Writes `record` with `write` (looping over short writes and `EINTR`). When a write fails after part
    /// of the record went in (a full disk, a file size limit), that part is cut off again, so the file still
    /// ends on a whole record: a later record written after a torn one would be lost at the next open, which
    /// reads up to the first torn record.
    static func writeWhole(_ record: [UInt8], descriptor: Int32, path: String,
                           write: (Int32, UnsafeRawPointer, Int) -> Int) throws(JournalFileError) {
        var offset = 0
        let failure: Int32? = record.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        guard let failure else { return }
        var problem = "cannot append to \(path): \(String(cString: strerror(failure)))"
        if offset > 0 {
            let end = lseek(descriptor, 0, SEEK_CUR)
            if end < 0 || ftruncate(descriptor, end - off_t(offset)) != 0 || lseek(descriptor, end - off_t(offset), SEEK_SET) < 0 {
                problem += "; the \(offset) bytes written of the record could not be cut off again (\(String(cString: strerror(errno))))"
            }
        }
        throw JournalFileError(problem)
    }
}

/// A journal file that cannot be read or written, with the path and the reason.
public struct JournalFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
