import BridgeCore
import Foundation
import Testing
import WireProtocol

@testable import BridgeRuntime

/// The MQTT worker's outflow journal: what a run leaves unsettled the next one finds, a torn end is cut,
/// compaction keeps only what is pending, and a full journal holds the writer back.
@Suite struct OutflowJournalTests {
    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("journal-test-\(UUID().uuidString)").path
    }

    static func message(_ index: Int, size: Int = 10) -> MQTTMessage {
        MQTTMessage(
            topic: "sensors/dev\(index)/x", payload: Array(String(repeating: "\(index % 10)", count: size).utf8), qos: .atLeastOnce,
            userProperties: [UserProperty(key: "n", value: "\(index)")], contentType: index % 2 == 0 ? "text/plain" : nil)
    }

    @Test func unsettledMessagesSurviveAReopenInOrder() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        let ids = try (0..<10).map { try first.appendEncoded(Self.message($0)).id }
        for id in ids where id % 3 == 0 { try first.settle(id) }
        first.close()

        let second = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        let pending = second.pending
        #expect(pending.map(\.id) == ids.filter { $0 % 3 != 0 })
        #expect(pending.map(\.message) == ids.filter { $0 % 3 != 0 }.map { Self.message(Int($0) - 1) })
        // New ids continue after the old ones.
        #expect(try second.appendEncoded(Self.message(99)).id > ids.last!)
    }

    @Test func theIdentityIsKeptAcrossReopensAndIdsAreNeverGivenTwice() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 30, compactAfterBytes: 2_048)
        let identity = first.identity
        #expect(identity.utf8.count == 16 && identity.allSatisfy { $0.isHexDigit })
        // Everything settled, then enough traffic that the file is compacted down to nothing pending.
        var last: UInt64 = 0
        for index in 0..<100 {
            last = try first.appendEncoded(Self.message(index, size: 100)).id
            try first.settle(last)
        }
        try first.writeWaitingSettles()
        first.close()

        let second = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 30)
        defer { second.close() }
        #expect(second.pending.isEmpty)
        #expect(second.identity == identity)
        #expect(try second.appendEncoded(Self.message(1)).id > last)

        // Another journal (a new file) has another identity.
        let other = try OutflowJournal(directory: directory, name: "k", maxBytes: 1 << 30)
        defer { other.close() }
        #expect(other.identity != identity)
    }

    @Test func appendedFramesAreTheDataToSendWithTheIdAsSeq() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        let (id, frames) = try journal.appendEncoded(Self.message(4))
        #expect(frames == WireCodec.encode(.mqttData(seq: id, Self.message(4), clientId: nil)))
        journal.close()

        // What a restart reads back is the same frames, ready to be sent again.
        let reopened = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        defer { reopened.close() }
        #expect(reopened.pending.map(\.id) == [id])
        #expect(reopened.pending.map(\.frames) == [frames])
    }

    @Test func settleRecordsRideOnTheNextAppendOrAreWrittenWhenAsked() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = URL(fileURLWithPath: directory).appendingPathComponent("j").path
        func fileSize() throws -> Int { try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) }
        let journal = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        let first = try journal.appendEncoded(Self.message(1)).id
        let afterFirst = try fileSize()
        try journal.settle(first)
        #expect(try fileSize() == afterFirst, "settling writes nothing by itself")
        #expect(journal.pendingCount == 0 && journal.pendingBytes == 0, "but frees the room at once")
        #expect(journal.hasWaitingSettles)

        let second = try journal.appendEncoded(Self.message(2)).id
        #expect(!journal.hasWaitingSettles, "the append wrote the settle record with its message")
        try journal.settle(second)
        try journal.writeWaitingSettles()
        #expect(!journal.hasWaitingSettles)
        let third = try journal.appendEncoded(Self.message(3)).id
        try journal.settle(third)
        journal.close()  // writes what waits

        let reopened = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        defer { reopened.close() }
        #expect(reopened.pending.isEmpty, "every settle record reached the file")
    }

    @Test func appendsAndSettlesFromTwoThreadsLeaveExactlyTheUnsettledOnes() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Small compaction threshold: compactions run while the other thread settles.
        let journal = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 30, compactAfterBytes: 16_384)
        let appended = IdHandOff()
        let done = DispatchSemaphore(value: 0)
        let count = 2_000
        Thread {
            for index in 0..<count { appended.put(try! journal.appendEncoded(Self.message(index)).id) }
            done.signal()
        }.start()
        var settledIds: Set<UInt64> = []
        var seen = 0
        while seen < count {
            let ids = appended.take()
            seen += ids.count
            // Every third one stays unsettled.
            let toSettle = ids.filter { $0 % 3 != 0 }
            try journal.settle(toSettle)
            settledIds.formUnion(toSettle)
        }
        done.wait()
        journal.close()
        let reopened = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 30)
        defer { reopened.close() }
        #expect(reopened.pending.map(\.id) == (1...UInt64(count)).filter { $0 % 3 == 0 })
        #expect(settledIds.count == count - count / 3)
    }

    @Test func aTornLastRecordIsCutAndTheRestKept() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        _ = try journal.appendEncoded(Self.message(1)).id
        _ = try journal.appendEncoded(Self.message(2)).id
        journal.close()
        let path = URL(fileURLWithPath: directory).appendingPathComponent("j").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(truncate(path, off_t(size - 5)) == 0, "a crash in the middle of the last write")

        let reopened = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        #expect(reopened.pending.map(\.message) == [Self.message(1)])
        _ = try reopened.appendEncoded(Self.message(3))
        reopened.close()
        #expect(try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20).pending.map(\.message) == [Self.message(1), Self.message(3)])
    }

    /// A write that fails after part of a record went in (a full disk) leaves no torn record behind, so
    /// a record written after it is still read at the next start.
    @Test func aRecordWrittenAfterAFailedPartialWriteSurvivesAReopen() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        let first = try journal.appendEncoded(Self.message(1)).id
        journal.close()
        let path = URL(fileURLWithPath: directory).appendingPathComponent("j").path
        let sizeBefore = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)

        let descriptor = open(path, O_WRONLY | O_APPEND)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        func record(_ id: UInt64, _ index: Int) -> [UInt8] {
            OutflowJournal.record(
                kind: OutflowJournal.messageRecord, id: id, frames: WireCodec.encode(.mqttData(seq: id, Self.message(index), clientId: nil)))
        }
        // Half the record goes in, then the disk is full.
        var calls = 0
        #expect(throws: JournalFileError.self) {
            try JournalFile.writeWhole(record(first + 1, 2), descriptor: descriptor, path: path) { descriptor, bytes, count in
                calls += 1
                if calls == 1 { return Glibc.write(descriptor, bytes, count / 2) }
                errno = ENOSPC
                return -1
            }
        }
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == sizeBefore, "the torn part is cut off")
        try JournalFile.writeWhole(record(first + 2, 3), descriptor: descriptor, path: path) { Glibc.write($0, $1, $2) }

        let reopened = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        defer { reopened.close() }
        #expect(reopened.pending.map(\.message) == [Self.message(1), Self.message(3)])
    }

    static func fileSize(_ directory: String, _ name: String) throws -> Int {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
        return try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    @Test func stagedMessagesArePendingAtOnceAndReachTheFileWithTheCommit() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        let committed = try journal.appendEncoded(Self.message(0)).id
        try journal.settle(committed)
        let before = try Self.fileSize(directory, "j")

        let staged = (1...3).map { journal.stage(Self.message($0)) }
        #expect(staged.map(\.id) == [committed + 1, committed + 2, committed + 3])
        #expect(journal.pendingCount == 3 && journal.hasStaged)
        #expect(try Self.fileSize(directory, "j") == before, "staging writes nothing")
        // One of them is settled before it is committed: its settle record goes in front of it, in the same write.
        try journal.settle(staged[1].id)
        try journal.commit()
        #expect(!journal.hasStaged && !journal.hasWaitingSettles)
        #expect(try Self.fileSize(directory, "j") > before)
        try journal.commit()
        journal.close()

        let reopened = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 20)
        defer { reopened.close() }
        #expect(reopened.pending.map(\.id) == [staged[0].id, staged[2].id])
        #expect(reopened.pending.map(\.frames) == [staged[0].frames, staged[2].frames])
        #expect(reopened.pendingBytes == journal.pendingBytes)
    }

    @Test func aCompactionWritesStagedMessagesOnce() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 30)
        let ids = try (0..<10).map { try first.appendEncoded(Self.message($0, size: 100)).id }
        try first.settle(Array(ids.dropLast()))
        first.close()
        // Reopened so that the next write of any size takes the file past the compaction threshold.
        let size = try Self.fileSize(directory, "j")
        let journal = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 30, compactAfterBytes: size + 1)
        let staged = [journal.stage(Self.message(100)), journal.stage(Self.message(101))]
        try journal.settle(ids.last!)
        // The settle record's write finds the file large and compacts it, staged messages and all.
        try journal.writeWaitingSettles()
        #expect(try Self.fileSize(directory, "j") < size)
        #expect(!journal.hasStaged, "the compaction wrote them")
        try journal.commit()
        journal.close()

        let reopened = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 30)
        defer { reopened.close() }
        #expect(reopened.pending.map(\.id) == staged.map(\.id))
        #expect(reopened.pendingBytes == journal.pendingBytes, "each record once")
    }

    @Test func compactionKeepsOnlyPendingMessages() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 30, compactAfterBytes: 4_096)
        var kept: [UInt64] = []
        for index in 0..<500 {
            let id = try journal.appendEncoded(Self.message(index, size: 50)).id
            if index % 100 == 0 { kept.append(id) } else { try journal.settle(id) }
        }
        let path = URL(fileURLWithPath: directory).appendingPathComponent("j").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size < 8_192, "compacted to the pending records, not 500 messages and their settlements")
        journal.close()
        #expect(try OutflowJournal(directory: directory, name: "j", maxBytes: 1 << 30).pending.map(\.id) == kept)
    }

    @Test func aFullJournalHasRoomAgainOnceMessagesSettle() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try OutflowJournal(directory: directory, name: "j", maxBytes: 2_000)
        var ids: [UInt64] = []
        while journal.hasRoom { ids.append(try journal.appendEncoded(Self.message(ids.count, size: 200)).id) }
        #expect(journal.pendingBytes >= 2_000)
        #expect(!journal.hasRoom)
        try journal.settle(ids[0])
        try journal.settle(ids[1])
        #expect(journal.hasRoom, "room again once messages settle")
    }

    @Test func anUnwritableDirectoryIsAClearError() throws {
        let file = Self.directory()
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect {
            _ = try OutflowJournal(directory: file, name: "j", maxBytes: 1 << 20)
        } throws: { error in
            "\(error)".contains(file)
        }
    }

    @Test func settledMessagesAreNotSentAgainAfterARestart() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try OutflowJournal(directory: directory, name: "outflow.journal", maxBytes: 1 << 20)
        var ids: [UInt64] = []
        for index in 0..<5 {
            ids.append(try journal.appendEncoded(MQTTMessage(topic: "t/\(index)", payload: [UInt8(index)], qos: .atLeastOnce)).id)
        }
        try journal.settle([ids[0], ids[2], ids[4]])  // several at once, one write
        try journal.settle(ids[3])
        try journal.settle([ids[3], 999])  // already settled or unknown: nothing happens
        #expect(journal.pendingCount == 1)
        journal.close()

        let reopened = try OutflowJournal(directory: directory, name: "outflow.journal", maxBytes: 1 << 20)
        defer { reopened.close() }
        #expect(reopened.pending.map(\.message.topic) == ["t/1"])
        #expect(reopened.pending.map(\.message.payload) == [[1]])
        let next = try reopened.appendEncoded(MQTTMessage(topic: "t/next")).id
        #expect(next > ids[4])
    }
}

/// Hands ids from the appending thread to the settling one.
private final class IdHandOff: @unchecked Sendable {
    // Safe: `ids` is touched only with `condition` locked.
    private let condition = NSCondition()
    private var ids: [UInt64] = []

    func put(_ id: UInt64) {
        condition.lock()
        ids.append(id)
        condition.signal()
        condition.unlock()
    }

    func take() -> [UInt64] {
        condition.lock()
        defer { condition.unlock() }
        while ids.isEmpty { condition.wait() }
        defer { ids.removeAll() }
        return ids
    }
}
