import BridgeCore
import BridgePresence
import Foundation
import APIServer
import Logging
import Synchronization
import TestSupport
import Testing

@testable import BridgeRuntime

/// The status view on disk: what one run leaves, the next reads back, whether it stopped cleanly or was
/// killed, and bad input along the way.
@Suite struct PresenceServiceTests {
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("presence-test-\(UUID().uuidString)").path
    }

    static func service(_ directory: String?) throws -> PresenceService {
        try PresenceService(source: .mosquittoLog, stateDirectory: directory, logger: Logger(label: "test"))
    }

    static func feed(_ service: PresenceService, _ lines: [String], at receivedAt: Int64 = 1_795_300_789_500) -> [StatusEvent] {
        lines.flatMap { service.ingest(topic: "$SYS/broker/log/N", payload: Array($0.utf8), receivedAt: receivedAt) }
    }

    static let before = [
        "1795300789: New client connected from 10.0.0.1:5001 as GID_s@@@a (p2, c1, k60).",
        "1795300789: New client connected from 10.0.0.2:5002 as GID_s@@@b (p2, c1, k60).",
        "1795300789: New client connected from 10.0.0.3:5003 as GID_s@@@c (p2, c1, k60).",
        "1795300789: Client GID_s@@@c closed its connection.",
    ]

    /// Reloaded views agree with the original on every client, channel and last event.
    static func expectSameView(_ lhs: PresenceService, _ rhs: PresenceService, clients: [String]) {
        for id in clients {
            #expect(lhs.client(id) == rhs.client(id), "\(id)")
        }
        #expect(lhs.trackedClients == rhs.trackedClients)
    }

    @Test(arguments: [true, false])
    func viewSurvivesARestart(cleanStop: Bool) throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try Self.service(directory)
        #expect(Self.feed(first, Self.before).count == 4)
        // A killed process never calls close: the journal alone must carry the view.
        if cleanStop { first.close() }

        let second = try Self.service(directory)
        Self.expectSameView(first, second, clients: ["GID_s@@@a", "GID_s@@@b", "GID_s@@@c"])
        #expect(second.isOnline("GID_s@@@a") && second.isOnline("GID_s@@@b") && !second.isOnline("GID_s@@@c"))
        #expect(second.counters().restoredEvents > 0)

        // Lines the broker queued while the bridge was down refer to channels from before the restart.
        let channelOfA = try #require(first.client("GID_s@@@a")?.openChannels.first?.channelId)
        let later = Self.feed(second, ["1795300795: Client GID_s@@@a disconnected."], at: 1_795_300_795_100)
        #expect(later.map(\.eventType) == [.disconnect, .tcpclean])
        #expect(later.allSatisfy { $0.channelId == channelOfA && $0.clientIp == "10.0.0.1:5001" })
        // The same lines again (redelivered after a crash) change nothing and emit nothing.
        #expect(Self.feed(second, Self.before).isEmpty)
        #expect(!second.isOnline("GID_s@@@a"))
        second.close()
    }

    @Test func tornLastJournalLineIsSkippedAndCounted() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try Self.service(directory)
        _ = Self.feed(first, Self.before)
        let journal = URL(fileURLWithPath: directory).appendingPathComponent("presence.journal")
        let handle = try FileHandle(forWritingTo: journal)
        try handle.seekToEnd()
        try handle.write(contentsOf: Array(#"{"clientId":"GID_s@@@d","time":17953"#.utf8))
        try handle.close()

        let second = try Self.service(directory)
        #expect(second.counters().problems["bad_state_line"] == 1)
        #expect(second.isOnline("GID_s@@@a"))
        #expect(second.client("GID_s@@@d") == nil)
    }

    @Test func eventAppendedAfterATornLineSurvivesTheNextLoad() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try Self.service(directory)
        _ = Self.feed(first, Self.before)
        let journal = URL(fileURLWithPath: directory).appendingPathComponent("presence.journal")
        let handle = try FileHandle(forWritingTo: journal)
        try handle.seekToEnd()
        try handle.write(contentsOf: Array(#"{"clientId":"GID_s@@@d","time":17953"#.utf8))
        try handle.close()

        // Loading cuts the torn line off, so the next append starts on a line of its own.
        let second = try Self.service(directory)
        #expect(second.counters().problems["bad_state_line"] == 1)
        #expect(Self.feed(second, ["1795300790: New client connected from 10.0.0.5:5005 as GID_s@@@e (p2, c1, k60)."]).count == 1)
        #expect(second.isOnline("GID_s@@@e"))

        let third = try Self.service(directory)
        #expect(third.counters().problems["bad_state_line", default: 0] == 0)
        #expect(third.isOnline("GID_s@@@e"))
        #expect(third.isOnline("GID_s@@@a"))
    }

    @Test func aWholeLastEventWithoutItsNewlineIsKept() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try Self.service(directory)
        _ = Self.feed(first, Self.before)
        let journal = URL(fileURLWithPath: directory).appendingPathComponent("presence.journal")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: journal.path)[.size] as? Int)
        #expect(truncate(journal.path, off_t(size - 1)) == 0)

        let second = try Self.service(directory)
        #expect(second.counters().problems["bad_state_line", default: 0] == 0)
        #expect(!second.isOnline("GID_s@@@c") && second.client("GID_s@@@c") != nil)
        _ = Self.feed(second, ["1795300790: New client connected from 10.0.0.5:5005 as GID_s@@@e (p2, c1, k60)."])

        let third = try Self.service(directory)
        #expect(third.counters().problems["bad_state_line", default: 0] == 0)
        #expect(third.isOnline("GID_s@@@e"))
        #expect(!third.isOnline("GID_s@@@c") && third.client("GID_s@@@c") != nil)
    }

    @Test func queriesAreNotBlockedByAJournalWrite() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writing = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let slow = Mutex(false)
        let service = try PresenceService(
            source: .mosquittoLog, stateDirectory: directory, logger: Logger(label: "test"),
            beforeJournalWrite: {
                guard slow.withLock({ $0 }) else { return }
                writing.signal()
                release.wait()
            })
        _ = Self.feed(service, Self.before)
        slow.withLock { $0 = true }
        // The hub thread's write is stuck on a slow disk...
        let ingest = TestThread { Self.feed(service, ["1795300790: Client GID_s@@@a disconnected."]).count }
        #expect(writing.wait(timeout: .now() + 10) == .success)
        // ... and the API still answers at once, from the view as it is in memory.
        let query = TestThread { service.isOnline("GID_s@@@b") && service.client("GID_s@@@a") != nil }
        let answer = query.join(timeout: .seconds(2))
        release.signal()
        #expect(try answer?.get() == true, "a query waited for the journal write")
        #expect(try ingest.join()?.get() == 2)
        #expect(!service.isOnline("GID_s@@@a"))
        service.close()
    }

    @Test(arguments: [true, false])
    func forgottenClientsStayForgottenAfterARestart(cleanStop: Bool) throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let t0: Int64 = 1_795_300_789_500
        let first = try PresenceService(
            source: .mosquittoLog, stateDirectory: directory, forgetOfflineAfter: .seconds(3_600), now: t0, logger: Logger(label: "test"))
        _ = Self.feed(first, Self.before, at: t0)
        #expect(first.forgetOffline(now: t0 + 1_000) == 0, "offline for a second only")
        #expect(first.forgetOffline(now: t0 + 7_200_000) == 1)
        #expect(first.client("GID_s@@@c") == nil)
        #expect(first.isOnline("GID_s@@@a") && first.isOnline("GID_s@@@b"))
        #expect(first.trackedClients == 2)
        #expect(first.counters().forgottenClients == 1)
        if cleanStop { first.close() }

        // Read back with no retention at all: what was forgotten is not in the files any more.
        let second = try PresenceService(source: .mosquittoLog, stateDirectory: directory, logger: Logger(label: "test"))
        #expect(second.client("GID_s@@@c") == nil)
        #expect(second.trackedClients == 2)
        second.close()
    }

    @Test func clientsOfflineForTooLongAreForgottenAtLoad() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let t0: Int64 = 1_795_300_789_500
        let first = try Self.service(directory)
        _ = Self.feed(first, Self.before, at: t0)
        first.close()
        let second = try PresenceService(
            source: .mosquittoLog, stateDirectory: directory, forgetOfflineAfter: .seconds(60), now: t0 + 61_000, logger: Logger(label: "test"))
        #expect(second.client("GID_s@@@c") == nil)
        #expect(second.trackedClients == 2)
        #expect(second.counters().forgottenClients == 1)
    }

    @Test func compactionReplacesTheJournalWithASnapshot() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try PresenceStore(directory: directory, compactAfterBytes: 1)
        var tracker = StatusTracker(source: .mosquittoLog, seed: 7)
        for line in Self.before {
            let result = tracker.ingest(topic: "$SYS/broker/log/N", payload: Array(line.utf8), receivedAt: 1_795_300_789_500)
            try store.append(result.events)
        }
        #expect(store.journalBytes >= store.compactAfterBytes)
        try store.compact(tracker.snapshotEvents())
        #expect(store.journalBytes == 0)
        let reloaded = try PresenceStore(directory: directory).load()
        #expect(reloaded.badLines == 0)
        var rebuilt = StatusTracker(source: .mosquittoLog, seed: 8)
        rebuilt.restore(events: reloaded.events)
        for id in ["GID_s@@@a", "GID_s@@@b", "GID_s@@@c"] {
            #expect(rebuilt.presence.client(id) == tracker.presence.client(id))
        }
    }

    @Test func unreadableStateDirectoryIsAClearError() throws {
        let file = Self.temporaryDirectory()
        FileManager.default.createFile(atPath: file, contents: Array("not a directory".utf8).withUnsafeBytes { Data($0) })
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect {
            _ = try Self.service(file)
        } throws: { error in
            "\(error)".contains(file)
        }
    }

    @Test func badLinesAreCountedByKindAndCostNothingElse() throws {
        let service = try Self.service(nil)
        let events = Self.feed(service, [
            "1795300789: New client connected from nowhere as",
            "1795300789: Client GID_s@@@a did something new.",
            "1795300789: Client GID_s@@@a did something new.",
            "1795300789: Saving in-memory database to /var/lib/mosquitto/mosquitto.db.",
        ])
        #expect(events.isEmpty)
        #expect(service.ingest(topic: "$SYS/broker/log/N", payload: [0xFF, 0xFE], receivedAt: 0).isEmpty)
        #expect(Self.feed(service, [Self.before[0]]).map(\.eventType) == [.connect])
        let counters = service.counters()
        #expect(counters.problems == ["malformed_connect_line": 1, "unrecognised_client_line": 2, "invalid_utf8": 1])
        #expect(counters.messages == 6)
        #expect(counters.events == ["connect": 1])
    }

    /// Queries over HTTP keep being answered, and right, while a stream of connects and disconnects of
    /// other clients is applied.
    @Test func queriesAreAnsweredWhileEventsStreamIn() throws {
        let service = try Self.service(nil)
        _ = Self.feed(service, Self.before)
        let server = APIServer(host: "127.0.0.1", port: 0, logger: Logger(label: "test.api"), handler: StatusAPI(presence: service).handle)
        try server.start()
        defer { server.stop() }
        let port = try #require(server.boundPort)

        let streaming = Mutex(true)
        let streamed = Mutex(0)
        let thread = Thread {
            for index in 0..<50_000 {
                let id = "GID_s@@@stream-\(index % 5_000)"
                let line = index % 2 == 0
                    ? "1795300790: New client connected from 10.1.0.1:\(1024 + index % 60_000) as \(id) (p2, c1, k60)."
                    : "1795300790: Client \(id) closed its connection."
                _ = service.ingest(topic: "$SYS/broker/log/N", payload: Array(line.utf8), receivedAt: 1_795_300_790_100)
                streamed.withLock { $0 += 1 }
            }
            streaming.withLock { $0 = false }
        }
        thread.start()
        var answeredDuringStream = 0
        var wrong = 0
        while streaming.withLock({ $0 }) {
            let response = try HTTPClient.get(
                host: "127.0.0.1", port: port,
                path: "/?Action=BatchQuerySessionByClientIds&ClientIdList.1=GID_s%40%40%40a&ClientIdList.2=GID_s%40%40%40c")
            let json = try JSONValue.parse(bytes: response.body)
            if case .array(let list)? = json["OnlineStatusList"], list.map({ $0["OnlineStatus"] }) == [.bool(true), .bool(false)] {
                answeredDuringStream += 1
            } else {
                wrong += 1
            }
        }
        print("status API: \(answeredDuringStream) batch queries answered while \(streamed.withLock { $0 }) log lines were applied")
        #expect(wrong == 0)
        #expect(answeredDuringStream > 0)
        #expect(service.counters().events["connect"] == 25_000 + 3)
    }
}
