import BridgeCore
import JetStreamMapping
import Testing

@Suite struct DeadLetterTests {
    let codec = JetStreamCodec(subjects: try! JetStreamSubjects(prefix: "mq"))

    @Test func deadLetterKeepsHeadersAndDataAndAddsTheError() throws {
        let original = JetStreamMessage(
            subject: "mq.DEVICE_CMD.cmd",
            headers: [JetStreamHeader("Nats-Msg-Id", "m1"), JetStreamHeader("mqttSecondTopic", "room1"), JetStreamHeader("qoslevel", "1")],
            body: Array("on".utf8))
        let letter = try codec.deadLetter(
            of: original, topic: "DEVICE_CMD", code: "invalid_sub_topic", message: "sub-topic 'room1' must start with '/'")
        #expect(letter.subject == "mq.DLQ.DEVICE_CMD")
        #expect(letter.body == original.body)
        #expect(
            letter.headers.map(\.description) == [
                "Nats-Msg-Id: m1",
                "mqttSecondTopic: room1",
                "qoslevel: 1",
                "Mq-Subject: mq.DEVICE_CMD.cmd",
                "Mq-Error: invalid_sub_topic: sub-topic 'room1' must start with '/'",
            ])
    }

    @Test func errorIsSanitizedToOneLineAndReplacesAnEarlierOne() {
        let headers = JetStreamCodec.deadLetterHeaders(
            [JetStreamHeader("mq-error", "old"), JetStreamHeader("p", "v")],
            subject: "mq.T.x", code: "bad\r\ncode", message: "  line one\r\n\tline two\0 \n")
        #expect(
            headers.map(\.description) == [
                "p: v",
                "Mq-Subject: mq.T.x",
                "Mq-Error: bad code: line one line two",
            ])
    }

    @Test func aDeadLetterDecodesToTheOriginalMessage() throws {
        let message = QueueMessage(topic: "T", tag: "x", keys: ["k"], properties: ["p": "v\n"], msgId: "m")
        let original = try codec.encode(message)
        let letter = try codec.deadLetter(of: original, topic: "T", code: "c", message: "m")
        // The DLQ subject holds no tag: the original subject does.
        #expect(codec.parse(letter.subject) == nil)
        #expect(try codec.decode(subject: try #require(letter.header("Mq-Subject")), headers: letter.headers, body: letter.body) == message)
    }

    @Test func deadLetterNeedsAUsableTopic() {
        let original = JetStreamMessage(subject: "mq.a.b.c", headers: [], body: [])
        #expect(throws: JetStreamMappingError.self) { try codec.deadLetter(of: original, topic: "a.b", code: "c", message: "m") }
    }
}

extension JetStreamCodec {
    func parse(_ subject: String) -> (topic: String, tag: String?)? { subjects.parse(subject) }
}
