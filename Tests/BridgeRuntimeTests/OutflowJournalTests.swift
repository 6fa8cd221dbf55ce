import BridgeCore
import Foundation
import Testing

@testable import BridgeRuntime

@Suite struct OutflowJournalTests {
    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)").path
    }

    @Test func settledMessagesAreNotSentAgainAfterARestart() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try OutflowJournal(directory: directory, name: "outflow.journal", maxBytes: 1 << 20)
        var ids: [UInt64] = []
        for index in 0..<5 {
            ids.append(try journal.append(MQTTMessage(topic: "t/\(index)", payload: [UInt8(index)], qos: .atLeastOnce)))
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
        let next = try reopened.append(MQTTMessage(topic: "t/next"))
        #expect(next > ids[4])
    }
}
