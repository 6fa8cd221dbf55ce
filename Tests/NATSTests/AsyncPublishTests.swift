import Foundation
import LoopbackHarness
import NATS
import Testing

@Suite("JetStream asynchronous publishing", .serialized, .timeLimit(.minutes(3)))
struct AsyncPublishTests {
    @Test("2,000 async publishes give 2,000 stored results; republishing 100 ids gives duplicates, not new messages")
    func twoThousandWithDuplicates() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try connect(server)
        let recorder = Recorder()
        let js = try JetStreamContext(connection: connection,
                                      options: AsyncPublishOptions(maxPending: 512, ackTimeoutMs: 10_000, onResult: recorder.onResult))
        try js.addStream(StreamConfig(name: "BULK", subjects: ["bulk.>"], duplicateWindow: .seconds(120)))

        let ids = (0..<2000).map { "bulk-\($0)" }
        for (index, id) in ids.enumerated() {
            try publishRetryingWhenStalled(js, message("bulk.\(index % 7)", "payload \(index)"), msgId: id)
        }
        try js.waitForAsyncPublishes(timeoutMs: 30_000)
        #expect(waitUntilBlocking(timeout: .seconds(10)) { recorder.resultCount == 2000 })
        let results = recorder.allResults
        #expect(results.count == 2000)
        #expect(Set(results.map(\.msgId)) == Set(ids))
        var sequences = Set<UInt64>()
        for result in results {
            guard case .stored(let stream, let sequence, let duplicate) = result.outcome else {
                Issue.record("not stored: \(result)")
                continue
            }
            #expect(stream == "BULK")
            #expect(!duplicate)
            sequences.insert(sequence)
        }
        #expect(sequences == Set(1...2000))
        #expect(try js.takePendingAsyncMessageIds().isEmpty)

        recorder.clearResults()
        let repeated = Array(ids[500..<600])
        for id in repeated {
            try js.publishAsync(message("bulk.0", "again"), msgId: id)
        }
        try js.waitForAsyncPublishes(timeoutMs: 30_000)
        #expect(waitUntilBlocking(timeout: .seconds(10)) { recorder.resultCount == 100 })
        let again = recorder.allResults
        #expect(Set(again.map(\.msgId)) == Set(repeated))
        for result in again {
            guard case .stored(_, _, let duplicate) = result.outcome else {
                Issue.record("not stored: \(result)")
                continue
            }
            #expect(duplicate, "\(result.msgId)")
        }
        let info = try #require(try js.streamInfo(name: "BULK"))
        #expect(info.state.messages == 2000)
        #expect(info.state.lastSequence == 2000)
    }

    @Test("async publishes while the server is killed end as failed results or pending ids, none vanish; resending completes the stream")
    func serverKilledDuringPublishing() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try connect(server)
        let recorder = Recorder()
        let js = try JetStreamContext(connection: connection,
                                      options: AsyncPublishOptions(maxPending: 256, ackTimeoutMs: 1500, onResult: recorder.onResult))
        try js.addStream(StreamConfig(name: "CRASH", subjects: ["crash.>"], duplicateWindow: .seconds(120)))

        let ids = (0..<400).map { "crash-\($0)" }
        var refused: [String] = []  // publishAsync threw: no result will come for these
        for (index, id) in ids.enumerated() {
            if index == 200 { server.kill() }
            do {
                try js.publishAsync(message("crash.a", "payload \(index)"), msgId: id)
            } catch {
                refused.append(id)
            }
        }
        // Every accepted publish gets its result within the ack timeout, acknowledged or not.
        _ = try? js.waitForAsyncPublishes(timeoutMs: 20_000)
        let pending = try js.takePendingAsyncMessageIds()
        let accepted = ids.count - refused.count
        #expect(waitUntilBlocking(timeout: .seconds(10)) { recorder.resultCount + pending.count == accepted })

        let results = recorder.allResults
        let accounted = results.map(\.msgId) + pending + refused
        #expect(accounted.count == ids.count, "results \(results.count), pending \(pending.count), refused \(refused.count)")
        #expect(Set(accounted) == Set(ids))  // with the count: each id exactly once
        let stored = Set(results.filter(\.isStored).map(\.msgId))
        let failed = results.filter { !$0.isStored }
        // Nothing published after the kill can have been stored.
        #expect(stored.isSubset(of: Set(ids[0..<200])))
        #expect(!failed.isEmpty || !pending.isEmpty || !refused.isEmpty)
        for result in failed {
            #expect(result.error != nil)
        }

        // Bring the server back and resend whatever was not confirmed, with the same ids.
        try server.start()
        #expect(waitUntilBlocking(timeout: .seconds(20)) { connection.isConnected })
        for id in ids where !stored.contains(id) {
            let index = Int(id.dropFirst("crash-".count))!
            _ = try js.publish(message("crash.a", "payload \(index)"), msgId: id, timeoutMs: 10_000)
        }
        let info = try #require(try js.streamInfo(name: "CRASH"))
        #expect(info.state.messages == 400)
        let bodies = Set(try readStream(js, "CRASH").map { String(decoding: $0.body, as: UTF8.self) })
        #expect(bodies == Set((0..<400).map { "payload \($0)" }))
    }

    @Test("a refused publish fails at once; with the server gone a publish stays pending without an ack timeout and times out with one")
    func ackTimeout() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try connect(server)
        let recorder = Recorder()
        let js = try JetStreamContext(connection: connection, options: AsyncPublishOptions(ackTimeoutMs: 0, onResult: recorder.onResult))
        // No stream captures this subject: the server answers "no responders" at once.
        try js.publishAsync(message("nowhere", "x"), msgId: "lost-1")
        try js.addStream(StreamConfig(name: "SILENT", subjects: ["silent.>"], storage: .memory))
        try js.publishAsync(message("silent.ok", "x"), msgId: "ok-1", ackTimeoutMs: 5000)
        #expect(waitUntilBlocking(timeout: .seconds(10)) { recorder.resultCount == 2 })
        let byId = Dictionary(uniqueKeysWithValues: recorder.allResults.map { ($0.msgId, $0) })
        #expect(byId["lost-1"]?.error?.isNoResponders == true, "\(String(describing: byId["lost-1"]))")
        #expect(byId["ok-1"]?.isStored == true)

        // A stalled publish (no ack timeout) stays pending until taken back; then it is reported nowhere else.
        server.kill()
        try js.publishAsync(message("silent.ok", "y"), msgId: "stuck-1", ackTimeoutMs: 0)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try js.takePendingAsyncMessageIds() == ["stuck-1"])
        #expect(try js.takePendingAsyncMessageIds().isEmpty)
        #expect(!recorder.allResults.contains { $0.msgId == "stuck-1" })

        // With an ack timeout the same situation ends in a failed timeout result instead.
        try js.publishAsync(message("silent.ok", "z"), msgId: "late-1", ackTimeoutMs: 300)
        #expect(waitUntilBlocking(timeout: .seconds(10)) { recorder.allResults.contains { $0.msgId == "late-1" } })
        let late = try #require(recorder.allResults.first { $0.msgId == "late-1" })
        #expect(late.error?.isTimeout == true, "\(late)")
    }
}

/// Publishes asynchronously; when the pending window is full (a timeout thrown after the stall wait),
/// waits for acknowledgements and tries again.
func publishRetryingWhenStalled(_ js: JetStreamContext, _ message: NATSOutgoingMessage, msgId: String) throws {
    var attempts = 0
    while true {
        let error: NATSError
        do {
            try js.publishAsync(message, msgId: msgId)
            return
        } catch let failure {
            error = failure
        }
        attempts += 1
        if !error.isTimeout || attempts > 1000 { throw error }
        try? js.waitForAsyncPublishes(timeoutMs: 100)
    }
}
