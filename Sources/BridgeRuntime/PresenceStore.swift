import BridgeCore
import BridgePresence
import Foundation

/// The online-status view on disk: a snapshot (the events that rebuild the view, one JSON line each) and a
/// journal of the events applied since, appended as they happen. Loading replays both; compaction writes a
/// new snapshot beside the old one, renames it into place and empties the journal.
///
/// A process that is killed loses nothing that reached `append` (the kernel holds the bytes); a machine
/// that loses power may lose the last few appends, since the journal is not synced on every write.
final class PresenceStore {
    let directory: URL
    var snapshotURL: URL { directory.appendingPathComponent("presence.snapshot") }
    var journalURL: URL { directory.appendingPathComponent("presence.journal") }
    private var journal: FileHandle?
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
        for url in [snapshotURL, journalURL] where FileManager.default.fileExists(atPath: url.path) {
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                throw PresenceStoreError("cannot read \(url.path): \(error.localizedDescription)")
            }
            var bytes = Array(data)
            if url == journalURL {
                journalBytes = try cutTornEnd(of: &bytes)
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

    /// Makes the journal end with a whole line, so that the next append starts a line of its own: a last line
    /// without its newline (a write cut short by a crash) is cut off the file, or, when it is a whole event
    /// that only lacks the newline, given one. Same as the outflow journal does at open.
    /// Returns the journal's length after.
    private func cutTornEnd(of bytes: inout [UInt8]) throws -> Int {
        let newline = UInt8(ascii: "\n")
        guard let last = bytes.last, last != newline else { return bytes.count }
        let lineStart = (bytes.lastIndex(of: newline) ?? -1) + 1
        if (try? StatusEvent(json: Array(bytes[lineStart...]))) != nil {
            let handle = try openJournal()
            do {
                try handle.write(contentsOf: [newline])
            } catch {
                throw PresenceStoreError("cannot append to \(journalURL.path): \(error.localizedDescription)")
            }
            bytes.append(newline)
            return bytes.count
        } else {
            try? journal?.close()
            journal = nil
            if truncate(journalURL.path, off_t(lineStart)) != 0 {
                throw PresenceStoreError("cannot cut the torn end off \(journalURL.path): \(String(cString: strerror(errno)))")
            }
            // The line is still read (and counted as unreadable) below; only the file loses it.
            return lineStart
        }
    }

    /// Appends events to the journal.
    func append(_ events: [StatusEvent]) throws {
        guard !events.isEmpty else { return }
        var bytes: [UInt8] = []
        for event in events {
            bytes += event.jsonBody.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        let handle = try openJournal()
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw PresenceStoreError("cannot append to \(journalURL.path): \(error.localizedDescription)")
        }
        journalBytes += bytes.count
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
        try? journal?.close()
        journal = nil
        if truncate(journalURL.path, 0) != 0 && errno != ENOENT {
            throw PresenceStoreError("cannot empty \(journalURL.path): \(String(cString: strerror(errno)))")
        }
        journalBytes = 0
    }

    func close() {
        try? journal?.close()
        journal = nil
    }

    private func openJournal() throws -> FileHandle {
        if let journal { return journal }
        if !FileManager.default.fileExists(atPath: journalURL.path) {
            _ = FileManager.default.createFile(atPath: journalURL.path, contents: nil)
        }
        do {
            let handle = try FileHandle(forWritingTo: journalURL)
            try handle.seekToEnd()
            journal = handle
            return handle
        } catch {
            throw PresenceStoreError("cannot open \(journalURL.path): \(error.localizedDescription)")
        }
    }
}

/// A status state file that cannot be read or written, with the path and the reason.
public struct PresenceStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
