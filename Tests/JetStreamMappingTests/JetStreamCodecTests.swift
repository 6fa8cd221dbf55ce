import BridgeCore
import JetStreamMapping
import Testing

@Suite struct JetStreamCodecTests {
    let codec = JetStreamCodec(subjects: try! JetStreamSubjects(prefix: "mq"))

    /// What an outflow rule makes of `sensors/room1/temp` published by `GID_sensors@@@dev-001` with QoS 1.
    static let outflowMessage = QueueMessage(
        topic: "SENSOR_DATA",
        tag: "room1",
        keys: ["GID_sensors@@@dev-001"],
        properties: [
            PropertyName.topic: "sensors/room1/temp",
            PropertyName.mqttSecondTopic: "/room1/temp",
            PropertyName.qosLevel: "1",
            PropertyName.clientId: "GID_sensors@@@dev-001",
            PropertyName.mqttRetain: "true",
            PropertyName.mqtt5UserProperty: #"[{"key":"unit","value":"C"}]"#,
            "site": "room1",
        ],
        body: Array("21.5".utf8),
        msgId: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        bornTimestamp: 1_795_297_490_123)

    @Test func outflowMessageHeadersInOrder() throws {
        let encoded = try codec.encode(Self.outflowMessage)
        #expect(encoded.subject == "mq.SENSOR_DATA.room1")
        #expect(encoded.body == Array("21.5".utf8))
        #expect(
            encoded.headers.map(\.description) == [
                "Nats-Msg-Id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                "clientId: GID_sensors@@@dev-001",
                #"mqtt5UserProperty: [{"key":"unit","value":"C"}]"#,
                "mqttRetain: true",
                "mqttSecondTopic: /room1/temp",
                "qoslevel: 1",
                "site: room1",
                "topic: sensors/room1/temp",
                "Mq-Keys: GID_sensors@@@dev-001",
                "Mq-Born-Timestamp: 1795297490123",
            ])
        #expect(try codec.decode(encoded) == Self.outflowMessage)
    }

    @Test func statusEventMessage() throws {
        let event = StatusEvent(
            clientId: "GID_sensors@@@dev-001", time: 1_795_297_490_123, eventType: .tcpclean,
            channelId: "2b9b1281046046faafe5e0b458e4aa01", clientIp: "127.0.0.1:33350")
        let mappings = MappingTable(status: [StatusRule(id: "s", groupId: "GID_sensors", queueTopic: "CLIENT_STATUS")])
        var message = try #require(mappings.status(event).first).message
        message.msgId = event.messageID
        let encoded = try codec.encode(message)
        #expect(encoded.subject == "mq.CLIENT_STATUS.tcpclean")
        #expect(
            encoded.headers.map(\.description) == [
                "Nats-Msg-Id: \(event.messageID)",
                "clientId: GID_sensors@@@dev-001",
                "Mq-Keys: GID_sensors@@@dev-001",
            ])
        #expect(encoded.body == Array(event.jsonBody.utf8))
        #expect(try codec.decode(encoded) == message)
    }

    @Test func messageWithoutTagKeysOrIDs() throws {
        let message = QueueMessage(topic: "T")
        let encoded = try codec.encode(message)
        #expect(encoded == JetStreamMessage(subject: "mq.T._", headers: [], body: []))
        #expect(try codec.decode(encoded) == message)
    }

    @Test func valuesThatCannotBeHeaderValuesAreSentInBase64() throws {
        let message = QueueMessage(
            topic: "T", properties: ["multi": "line one\r\nline two", "nul": "a\u{0}b", "padded": " x\t", "plain": "a b", "empty": ""])
        let encoded = try codec.encode(message)
        #expect(
            encoded.headers.map(\.description) == [
                "multi: bGluZSBvbmUNCmxpbmUgdHdv",
                "nul: YQBi",
                "padded: IHgJ",
                "plain: a b",
                "Mq-Encoded: multi,nul,padded",
                "Mq-Empty: empty",
            ])
        #expect(encoded.headers.allSatisfy { isLineSafe($0.value) && !$0.value.isEmpty })
        #expect(try codec.decode(encoded) == message)
    }

    @Test func keysThatCannotBeJoinedBySpacesTravelAsBase64JSON() throws {
        for keys in [["GID_a@@@my device"], ["a", ""], ["tab\there", "x y z", "plain"]] {
            let message = QueueMessage(topic: "T", keys: keys)
            let encoded = try codec.encode(message)
            #expect(encoded.header("Mq-Encoded") == "Mq-Keys")
            #expect(encoded.headers.allSatisfy { isLineSafe($0.value) && !$0.value.isEmpty })
            #expect(try codec.decode(encoded).keys == keys)
        }
        #expect(try codec.encode(QueueMessage(topic: "T", keys: ["GID_a@@@my device"])).header("Mq-Keys") == "WyJHSURfYUBAQG15IGRldmljZSJd")
        // Not base64 of a JSON array of strings: refused when read.
        let bad = JetStreamMessage(subject: "mq.T._", headers: [.init("Mq-Keys", "e30="), .init("Mq-Encoded", "Mq-Keys")], body: [])
        #expect(throws: JetStreamMappingError.self) { try codec.decode(bad) }
    }

    static let unmappable: [(message: QueueMessage, error: JetStreamMappingError)] = [
        (
            QueueMessage(topic: "a.b"),
            .init(.invalidTopic, "queue topic 'a.b' must be printable ASCII without '.', '*', '>', '/', '\\' or spaces: it becomes one token of the subject <prefix>.<topic>.<tag> and part of the stream name")
        ),
        (QueueMessage(topic: "T", properties: ["": "x"]), .init(.invalidPropertyName, "a property name cannot be empty as a header name")),
        (QueueMessage(topic: "T", properties: ["a:b": "x"]), .init(.invalidPropertyName, "property name 'a:b' cannot be a header name: it holds ':'")),
        (QueueMessage(topic: "T", properties: ["a,b": "x"]), .init(.invalidPropertyName, "property name 'a,b' cannot be a header name: it holds ','")),
        (QueueMessage(topic: "T", properties: ["a b": "x"]), .init(.invalidPropertyName, "property name 'a b' cannot be a header name: it holds U+0020")),
        (QueueMessage(topic: "T", properties: ["a\nb": "x"]), .init(.invalidPropertyName, "property name 'a\\u{A}b' cannot be a header name: it holds U+000A")),
        (QueueMessage(topic: "T", properties: ["Mq-Keys": "x"]), .init(.invalidPropertyName, "property name 'Mq-Keys' is in the Nats-/Mq- header namespace of NATS and the bridge")),
        (QueueMessage(topic: "T", properties: ["nats-msg-id": "x"]), .init(.invalidPropertyName, "property name 'nats-msg-id' is in the Nats-/Mq- header namespace of NATS and the bridge")),
        (
            QueueMessage(topic: "T", msgId: "id\r\n"),
            .init(.invalidMessageID, "message ID 'id\\u{D}\\u{A}' cannot be a Nats-Msg-Id value: it is empty or holds CR, LF, NUL or surrounding blanks")
        ),
        (
            QueueMessage(topic: "T", msgId: ""),
            .init(.invalidMessageID, "message ID '' cannot be a Nats-Msg-Id value: it is empty or holds CR, LF, NUL or surrounding blanks")
        ),
    ]

    @Test(arguments: unmappable)
    func refusesWhatHeadersCannotCarry(message: QueueMessage, error: JetStreamMappingError) {
        #expect(throws: error) { try codec.encode(message) }
    }

    @Test func decodeTakesPropertiesFromEveryOtherHeaderLastOneWinning() throws {
        let headers = [
            JetStreamHeader("Nats-Msg-Id", "id-1"),
            JetStreamHeader("Nats-Expected-Stream", "mq_T"),
            JetStreamHeader("qoslevel", "0"),
            JetStreamHeader("MQ-KEYS", "k1 k2"),
            JetStreamHeader("qoslevel", "2"),
            JetStreamHeader("Mq-Error", "ignored"),
            JetStreamHeader("Mq-Born-Timestamp", "1795297490123"),
            JetStreamHeader("mqttSecondTopic", "/a"),
        ]
        let message = try codec.decode(subject: "mq.T.cmd", headers: headers, body: [0, 1, 255])
        #expect(
            message
                == QueueMessage(
                    topic: "T", tag: "cmd", keys: ["k1", "k2"], properties: ["qoslevel": "2", "mqttSecondTopic": "/a"],
                    body: [0, 1, 255], msgId: "id-1", bornTimestamp: 1_795_297_490_123))
    }

    @Test(arguments: ["", "-1", "12x", "+5", " 5", "99999999999999999999", "1.5"])
    func anInvalidBornTimestampIsLeftOut(value: String) throws {
        let message = try codec.decode(subject: "mq.T._", headers: [JetStreamHeader("Mq-Born-Timestamp", value)], body: [])
        #expect(message.bornTimestamp == nil)
    }

    @Test func emptyKeysHeaderMeansNoKeys() throws {
        #expect(try codec.decode(subject: "mq.T._", headers: [JetStreamHeader("Mq-Keys", "")], body: []).keys == [])
    }

    static let undecodable: [(subject: String, headers: [JetStreamHeader], error: JetStreamMappingError)] = [
        ("other.T._", [], .init(.invalidSubject, "subject 'other.T._' is not under the prefix 'mq'")),
        ("mq.T.a b", [], .init(.malformedToken, "subject token 'a b' is not an escaped tag: byte 0x20 at offset 1 must be written as %XX")),
        (
            "mq.T._", [JetStreamHeader("Mq-Encoded", "gone")],
            .init(.malformedHeader, "Mq-Encoded names property 'gone', but the message has no header 'gone'")
        ),
        (
            "mq.T._", [JetStreamHeader("p", "not base64!"), JetStreamHeader("Mq-Encoded", "p")],
            .init(.malformedHeader, "header 'p' is listed in Mq-Encoded but is not base64 of UTF-8 text")
        ),
        (
            "mq.T._", [JetStreamHeader("p", "/w=="), JetStreamHeader("Mq-Encoded", "p")],
            .init(.malformedHeader, "header 'p' is listed in Mq-Encoded but is not base64 of UTF-8 text")
        ),
    ]

    @Test(arguments: undecodable)
    func decodeErrors(subject: String, headers: [JetStreamHeader], error: JetStreamMappingError) {
        #expect(throws: error) { try codec.decode(subject: subject, headers: headers, body: []) }
    }

    @Test func encodedListMayComeFirstAndHoldSpaces() throws {
        let headers = [JetStreamHeader("Mq-Encoded", "a, b"), JetStreamHeader("a", "YQ0K"), JetStreamHeader("b", "IA==")]
        #expect(try codec.decode(subject: "mq.T._", headers: headers, body: []).properties == ["a": "a\r\n", "b": " "])
    }
}

@Suite struct HeaderNameTests {
    /// Every ASCII character in a name is judged as the Unicode rule judges it (the plain-ASCII shortcut
    /// changes no verdict): ':' ',', white space and controls refused, the rest taken.
    @Test func everyASCIICharacterIsJudgedByTheRule() {
        for byte in UInt8(0)...UInt8(0x7F) {
            let scalar = Unicode.Scalar(byte)
            let refused = scalar == ":" || scalar == "," || scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
            let name = "a" + String(Character(scalar)) + "b"
            #expect((JetStreamHeaderName.propertyNameProblem(name) != nil) == refused, "byte \(byte)")
        }
        #expect(JetStreamHeaderName.propertyNameProblem("mqttSecondTopic") == nil)
        #expect(JetStreamHeaderName.propertyNameProblem("temp\u{2003}unit") != nil, "an em space is white space")
        #expect(JetStreamHeaderName.propertyNameProblem("tempé") == nil)
    }
}
