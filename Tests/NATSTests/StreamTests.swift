import Foundation
import LoopbackHarness
import NATS
import Testing

@Suite("JetStream streams", .serialized, .timeLimit(.minutes(3)))
struct StreamTests {
    @Test("a stream's configuration is read back; an unknown stream is nil; conflicts carry JetStream codes")
    func addAndInfo() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try connect(server)
        let js = try JetStreamContext(connection: connection)

        #expect(try js.streamInfo(name: "ORDERS") == nil)
        let config = StreamConfig(name: "ORDERS", subjects: ["orders.>", "refunds.*"], replicas: 1, maxAge: .seconds(3600),
                                  maxBytes: 10_000_000, duplicateWindow: .seconds(90), discard: .new, storage: .file)
        let created = try js.addStream(config)
        #expect(created.config == config)
        #expect(created.state.messages == 0)

        let info = try #require(try js.streamInfo(name: "ORDERS"))
        #expect(info.config.subjects == ["orders.>", "refunds.*"])
        #expect(info.config.replicas == 1)
        #expect(info.config.maxAgeSeconds == 3600)
        #expect(info.config.maxBytes == 10_000_000)
        #expect(info.config.duplicateWindow == .seconds(90))
        #expect(info.config.discard == .new)
        #expect(info.config.storage == .file)

        // The same configuration again is accepted; a different one under the same name is not.
        try js.addStream(config)
        var changed = config
        changed.subjects = ["other.>"]
        let nameInUse = #expect(throws: NATSError.self) { try js.addStream(changed) }
        #expect(nameInUse?.jetStreamErrorCode == JetStreamErrorCode.streamNameInUse, "\(String(describing: nameInUse))")
        // Another stream may not capture subjects ORDERS already has.
        let overlap = #expect(throws: NATSError.self) {
            try js.addStream(StreamConfig(name: "SHADOW", subjects: ["orders.eu"]))
        }
        #expect(overlap?.jetStreamErrorCode == JetStreamErrorCode.subjectsOverlap, "\(String(describing: overlap))")

        _ = try js.publish(message("orders.eu", "x"), msgId: "o1")
        #expect(try js.streamInfo(name: "ORDERS")?.state.messages == 1)
        #expect(try js.streamInfo(name: "ORDERS")?.state.lastSequence == 1)

        try js.deleteStream(name: "ORDERS")
        #expect(try js.streamInfo(name: "ORDERS") == nil)
        let missing = #expect(throws: NATSError.self) { try js.deleteStream(name: "ORDERS") }
        #expect(missing?.isStreamNotFound == true, "\(String(describing: missing))")
    }

    @Test("purging before a sequence removes only the messages below it")
    func purgeBeforeASequence() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try connect(server)
        let js = try JetStreamContext(connection: connection)
        try js.addStream(StreamConfig(name: "P", subjects: ["p.>"], storage: .memory))
        for index in 1...10 { _ = try js.publish(message("p.x", "m\(index)"), msgId: "p-\(index)") }
        try js.purgeStream(name: "P", before: 6)
        let info = try #require(try js.streamInfo(name: "P"))
        #expect(info.state.messages == 5)
        #expect(info.state.firstSequence == 6)
        try js.purgeStream(name: "P")
        #expect(try js.streamInfo(name: "P")?.state.messages == 0)
    }

    @Test("headers, repeated names included, and the body round-trip through the stream")
    func headersRoundTrip() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try connect(server)
        let js = try JetStreamContext(connection: connection)
        try js.addStream(StreamConfig(name: "H", subjects: ["h.>"], storage: .memory))

        let headers: [(name: String, value: String)] = [
            ("X-Tag", "first"), ("Content-Type", "application/json"), ("X-Tag", "second"),
            ("X-Tag", "third with spaces"),
        ]
        let body: [UInt8] = Array("{\"a\":1}".utf8) + [0, 255, 10]
        let publishedAt = Int64(Date().timeIntervalSince1970 * 1e9)
        let ack = try js.publish(NATSOutgoingMessage(subject: "h.one", headers: headers, body: body), msgId: "hdr-1")
        #expect(ack.stream == "H")
        #expect(ack.sequence == 1)
        #expect(!ack.duplicate)
        _ = try js.publish(message("h.two", ""), msgId: "hdr-2")

        let stored = try #require(try js.getMessage(stream: "H", sequence: 1))
        #expect(stored.subject == "h.one")
        #expect(stored.sequence == 1)
        #expect(stored.body == body)
        #expect(stored.headerValues("X-Tag") == ["first", "second", "third with spaces"])
        #expect(stored.headerValues("Content-Type") == ["application/json"])
        #expect(stored.headerValues("Nats-Msg-Id") == ["hdr-1"])
        // The server's time of storing, in nanoseconds since the epoch (same machine, so close to ours).
        #expect(abs(stored.storedAtNanoseconds - publishedAt) < 10_000_000_000, "\(stored.storedAtNanoseconds) vs \(publishedAt)")

        let all = try readStream(js, "H")
        #expect(all.map(\.subject) == ["h.one", "h.two"])
        #expect(all[1].body.isEmpty)
        #expect(try js.getMessage(stream: "H", sequence: 99) == nil)
        let missing = #expect(throws: NATSError.self) { try js.getMessage(stream: "NOPE", sequence: 1) }
        #expect(missing?.isStreamNotFound == true, "\(String(describing: missing))")
    }

    @Test("a full stream with maxBytes and discard-new refuses publishes with a JetStream error code")
    func discardNewWhenFull() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let connection = try connect(server)
        let recorder = Recorder()
        let js = try JetStreamContext(connection: connection, options: AsyncPublishOptions(onResult: recorder.onResult))
        try js.addStream(StreamConfig(name: "SMALL", subjects: ["small"], maxBytes: 2048, discard: .new, storage: .memory))

        let payload = String(repeating: "x", count: 300)
        var refusal: NATSError?
        for index in 0..<50 {
            do {
                _ = try js.publish(message("small", payload), msgId: "s-\(index)")
            } catch {
                refusal = error
                break
            }
        }
        let error = try #require(refusal)
        #expect(error.jetStreamErrorCode == JetStreamErrorCode.storeFailed, "\(error)")
        #expect(error.detail?.contains("maximum bytes") == true, "\(error)")
        let info = try #require(try js.streamInfo(name: "SMALL"))
        #expect(info.state.bytes <= 2048)
        #expect(info.state.messages > 0)

        // The asynchronous path reports the same refusal as a failed result.
        try js.publishAsync(message("small", payload), msgId: "s-async")
        try js.waitForAsyncPublishes(timeoutMs: 10_000)
        #expect(waitUntilBlocking(timeout: .seconds(5)) { recorder.resultCount == 1 })
        let result = try #require(recorder.allResults.first)
        #expect(result.msgId == "s-async")
        #expect(result.error?.jetStreamErrorCode == JetStreamErrorCode.storeFailed, "\(result)")
    }
}
