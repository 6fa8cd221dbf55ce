import BridgeCore
import BridgePresence
import Foundation

/// The online-status view on disk: a snapshot (the events that rebuild the view, one JSON line each) and a
/// journal of the events applied since, appended as they happen. Loading replays both; compaction writes a
/// new snapshot beside the old one, renames it into place and empties the journal.
///
/// The journal is a `JournalFile`: a process that is killed loses nothing that reached `append` (the kernel
/// holds the bytes); a machine that loses power may lose the last few appends, since the journal is not
/// synced on every write.
final class PresenceStore {
    let directory: URL
    var snapshotURL: URL { directory.appendingPathComponent("presence.snapshot") }
    var journalURL: URL { directory.appendingPathComponent("presence.journal") }
    private var journal: JournalFile?
    /// Bytes in the journal; past `compactAfterBytes` the owner compacts.
    private(set) var journalBytes = 0
    let compactAfterBytes: Int

    /// What loading found.
    struct Loaded {
        var events: [StatusEvent] = []
        /// Lines that were not status events (a torn last line after a crash, or damage), skipped.
        var badLines = 0
    }

    init(directory: String, compactAfterBytes: Int = 64 << 20) throws {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.compactAfterBytes = compactAfterBytes
        do {
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        } catch {
            throw PresenceStoreError("cannot create the status state directory \(self.directory.path): \(error.localizedDescription)")
        }
    }

    /// Reads the snapshot, then the journal, in the order they were written.
    func load() throws -> Loaded {
        var loaded = Loaded()
        for url in [snapshotURL, journalURL] {
            var bytes: [UInt8]
            if url == journalURL {
                bytes = try openJournal(cuttingTornEnd: true)
            } else {
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                do {
                    bytes = Array(try Data(contentsOf: url))
                } catch {
                    throw PresenceStoreError("cannot read \(url.path): \(error.localizedDescription)")
                }
            }
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
                if let event = try? StatusEvent(json: Array(line)) {
                    loaded.events.append(event)
                } else {
                    loaded.badLines += 1
                }
            }
        }
        return loaded
    }

    /// How much of the journal is whole lines: a last line without its newline (a write cut short by a crash)
    /// is torn, unless it is a whole event that only lacks the newline (then `openJournal` adds it).
    private static func wholeLines(_ bytes: [UInt8]) -> Int {
        let newline = UInt8(ascii: "\n")
        guard let last = bytes.last, last != newline else { return bytes.count }
        let lineStart = (bytes.lastIndex(of: newline) ?? -1) + 1
        return (try? StatusEvent(json: Array(bytes[lineStart...]))) != nil ? bytes.count : lineStart
    }

    /// Appends events to the journal.
    func append(_ events: [StatusEvent]) throws {
        guard !events.isEmpty else { return }
        var bytes: [UInt8] = []
        for event in events {
            bytes += event.jsonBody.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        if journal == nil { _ = try openJournal(cuttingTornEnd: false) }
        do {
            try journal?.append(bytes)
        } catch {
            throw PresenceStoreError(error.description)
        }
        journalBytes = journal?.size ?? 0
    }

    /// Replaces the snapshot with `events` and empties the journal.
    func compact(_ events: some Sequence<StatusEvent>) throws {
        let temporary = directory.appendingPathComponent("presence.snapshot.new")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 << 20)
        _ = FileManager.default.createFile(atPath: temporary.path, contents: nil)
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            for event in events {
                bytes += event.jsonBody.utf8
                bytes.append(UInt8(ascii: "\n"))
                if bytes.count >= 1 << 20 {
                    try handle.write(contentsOf: bytes)
                    bytes.removeAll(keepingCapacity: true)
                }
            }
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            throw PresenceStoreError("cannot write \(temporary.path): \(error.localizedDescription)")
        }
        if rename(temporary.path, snapshotURL.path) != 0 {
            throw PresenceStoreError("cannot rename \(temporary.path) to \(snapshotURL.path): \(String(cString: strerror(errno)))")
        }
        if journal == nil { _ = try openJournal(cuttingTornEnd: false) }
        do {
            try journal?.truncate()
        } catch {
            throw PresenceStoreError(error.description)
        }
        journalBytes = 0
    }

    func close() {
        journal?.close()
        journal = nil
    }

    /// Opens the journal and returns its lines; with `cuttingTornEnd` a torn last line is cut off the file
    /// (and still returned, to be counted as unreadable) and a whole last event lacking its newline gets one,
    /// so that the next append starts a line of its own. The outflow journal does the same at open.
    private func openJournal(cuttingTornEnd: Bool) throws -> [UInt8] {
        var read: [UInt8] = []
        do {
            let (file, _) = try JournalFile.open(path: journalURL.path) { bytes in
                read = bytes
                return cuttingTornEnd ? Self.wholeLines(bytes) : bytes.count
            }
            journal = file
            if file.size > 0, read[file.size - 1] != UInt8(ascii: "\n") {
                try file.append([UInt8(ascii: "\n")])
                read.append(UInt8(ascii: "\n"))
            }
        } catch {
            throw PresenceStoreError(error.description)
        }
        journalBytes = journal?.size ?? 0
        return read
    }
}

/// A status state file that cannot be read or written, with the path and the reason.
public struct PresenceStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
