import Foundation
import Testing

@testable import BridgeRuntime

/// The append-only file under the outflow spool and the status journal: torn tails are cut at open, a
/// failed append leaves no partial record, a replace swaps the whole contents.
@Suite struct JournalFileTests {
    static func path() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-journalfile-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("j").path
    }

    static func size(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// Records of the test's own format: a length byte, then that many bytes.
    static func wholeRecords(_ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count, offset + 1 + Int(bytes[offset]) <= bytes.count { offset += 1 + Int(bytes[offset]) }
        return offset
    }

    @Test func aNewFileIsEmptyAndAppendsAreReadBack() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let (file, contents) = try JournalFile.open(path: path)
        #expect(contents.isEmpty && file.size == 0)
        try file.append([2, 10, 11])
        try file.append([1, 12])
        #expect(file.size == 5)
        file.close()
        let (reopened, again) = try JournalFile.open(path: path, wholeBytes: Self.wholeRecords)
        defer { reopened.close() }
        #expect(again == [2, 10, 11, 1, 12])
    }

    @Test func aTornTailIsCutOffTheFileAndTheNextAppendFollowsTheLastWholeRecord() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let (file, _) = try JournalFile.open(path: path)
        try file.append([2, 10, 11])
        try file.append([5, 1, 2])  // a record cut short: 5 bytes announced, 2 written
        file.close()
        #expect(try Self.size(path) == 6)

        let (reopened, contents) = try JournalFile.open(path: path, wholeBytes: Self.wholeRecords)
        #expect(contents == [2, 10, 11])
        #expect(reopened.size == 3)
        #expect(try Self.size(path) == 3, "the torn tail is cut off the file, not only skipped")
        try reopened.append([1, 99])
        reopened.close()
        let (last, after) = try JournalFile.open(path: path, wholeBytes: Self.wholeRecords)
        defer { last.close() }
        #expect(after == [2, 10, 11, 1, 99])
    }

    @Test func aFailedPartialWriteIsCutOffAgain() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let (file, _) = try JournalFile.open(path: path)
        try file.append([1, 7])
        file.close()
        let descriptor = open(path, O_WRONLY | O_APPEND)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var calls = 0
        #expect(throws: JournalFileError.self) {
            try JournalFile.writeWhole([3, 1, 2, 3], descriptor: descriptor, path: path) { descriptor, bytes, count in
                calls += 1
                if calls == 1 { return write(descriptor, bytes, 2) }
                errno = ENOSPC
                return -1
            }
        }
        #expect(try Self.size(path) == 2)
    }

    @Test func replaceSwapsTheContentsAndAppendsGoOnAfterThem() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let (file, _) = try JournalFile.open(path: path, sync: .everyAppend)
        try file.append([1, 1])
        try file.append([1, 2])
        try file.replace(with: [1, 2])
        #expect(file.size == 2)
        #expect(!FileManager.default.fileExists(atPath: path + ".new"))
        try file.append([1, 3])
        file.close()
        let (reopened, contents) = try JournalFile.open(path: path)
        defer { reopened.close() }
        #expect(contents == [1, 2, 1, 3])
    }

    @Test func truncateEmptiesTheFile() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let (file, _) = try JournalFile.open(path: path)
        try file.append([1, 1])
        try file.truncate()
        try file.append([1, 5])
        file.close()
        #expect(try JournalFile.open(path: path).contents == [1, 5])
    }

    @Test func aClosedFileRefusesAppendsWithAClearError() throws {
        let path = Self.path()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let (file, _) = try JournalFile.open(path: path)
        file.close()
        #expect(throws: JournalFileError.self) { try file.append([1, 1]) }
    }

    @Test func aPathThatCannotBeOpenedSaysWhich() {
        #expect {
            _ = try JournalFile.open(path: "/nonexistent-dir-\(UUID().uuidString)/j")
        } throws: { error in
            "\(error)".contains("cannot open /nonexistent-dir-")
        }
    }
}
