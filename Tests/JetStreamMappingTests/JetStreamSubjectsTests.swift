import JetStreamMapping
import Testing

@Suite struct JetStreamSubjectsTests {
    let subjects = try! JetStreamSubjects(prefix: "mq")
    let dotted = try! JetStreamSubjects(prefix: "acme.prod")

    @Test func subjectIsPrefixTopicAndEscapedTag() throws {
        #expect(try subjects.subject(topic: "SENSOR_DATA", tag: "room1") == "mq.SENSOR_DATA.room1")
        #expect(try subjects.subject(topic: "SENSOR_DATA", tag: nil) == "mq.SENSOR_DATA._")
        #expect(try subjects.subject(topic: "SENSOR_DATA", tag: "a.b c") == "mq.SENSOR_DATA.a%2Eb%20c")
        #expect(try dotted.subject(topic: "CLIENT_STATUS", tag: "tcpclean") == "acme.prod.CLIENT_STATUS.tcpclean")
    }

    @Test func parseIsTheReverse() throws {
        let cases: [(String, String?)] = [("T", "x"), ("T", nil), ("T", ""), ("T", "_"), ("A%|-b", "ü *")]
        for (topic, tag) in cases {
            let parsed = try #require(dotted.parse(try dotted.subject(topic: topic, tag: tag)))
            #expect(parsed.topic == topic)
            #expect(parsed.tag == tag)
        }
    }

    static let badSubjects: [(subject: String, error: JetStreamMappingError)] = [
        ("other.T.x", .init(.invalidSubject, "subject 'other.T.x' is not under the prefix 'acme.prod'")),
        ("acme.T.x", .init(.invalidSubject, "subject 'acme.T.x' is not under the prefix 'acme.prod'")),
        ("acme.prod", .init(.invalidSubject, "subject 'acme.prod' is not under the prefix 'acme.prod'")),
        ("acme.prod.T", .init(.invalidSubject, "subject 'acme.prod.T' must be acme.prod.<topic>.<tag>: one token each for topic and tag")),
        ("acme.prod.T.a.b", .init(.invalidSubject, "subject 'acme.prod.T.a.b' must be acme.prod.<topic>.<tag>: one token each for topic and tag")),
        (
            "acme.prod.DLQ.T",
            .init(.invalidSubject, "subject 'acme.prod.DLQ.T': queue topic 'DLQ' is reserved: <prefix>.DLQ.> holds the dead letters of every topic")
        ),
        ("acme.prod..x", .init(.invalidSubject, "subject 'acme.prod..x': queue topic '' must be printable ASCII without '.', '*', '>', '/', '\\' or spaces: it becomes one token of the subject <prefix>.<topic>.<tag> and part of the stream name")),
        ("acme.prod.T.%zz", .init(.malformedToken, "subject token '%zz' is not an escaped tag: '%' at offset 0 must be followed by two uppercase hex digits")),
    ]

    @Test(arguments: badSubjects)
    func parseRefusesOtherSubjects(subject: String, error: JetStreamMappingError) {
        #expect(dotted.parse(subject) == nil)
        #expect(throws: error) { try dotted.parseSubject(subject) }
    }

    @Test func streamsAndDeadLetters() throws {
        #expect(try subjects.streamName(topic: "SENSOR_DATA") == "mq_SENSOR_DATA")
        #expect(try subjects.streamSubjects(topic: "SENSOR_DATA") == "mq.SENSOR_DATA.>")
        #expect(try subjects.dlqSubject(topic: "SENSOR_DATA") == "mq.DLQ.SENSOR_DATA")
        #expect(subjects.dlqStreamName == "mq_DLQ")
        #expect(subjects.dlqStreamSubjects == "mq.DLQ.>")
        #expect(try dotted.streamName(topic: "T") == "acme_prod_T")
        #expect(try dotted.streamSubjects(topic: "T") == "acme.prod.T.>")
        #expect(try dotted.dlqSubject(topic: "T") == "acme.prod.DLQ.T")
        #expect(dotted.dlqStreamName == "acme_prod_DLQ")
        #expect(dotted.dlqStreamSubjects == "acme.prod.DLQ.>")
    }

    @Test(arguments: ["a.b", "a*", ">", "a b", "a/b", "a\\b", "", "ü", "DLQ"])
    func refusesTopicsThatAreNotOneToken(topic: String) {
        #expect(JetStreamSubjects.topicProblem(topic) != nil)
        #expect(throws: JetStreamMappingError.self) { try subjects.subject(topic: topic, tag: nil) }
        #expect(throws: JetStreamMappingError.self) { try subjects.streamName(topic: topic) }
        #expect(throws: JetStreamMappingError.self) { try subjects.streamSubjects(topic: topic) }
        #expect(throws: JetStreamMappingError.self) { try subjects.dlqSubject(topic: topic) }
    }

    @Test func refusesStreamNamesLongerThanJetStreamAllows() throws {
        let long = try JetStreamSubjects(prefix: String(repeating: "p", count: 200))
        #expect(throws: JetStreamMappingError.self) { try long.streamName(topic: String(repeating: "t", count: 60)) }
        #expect(try long.streamName(topic: String(repeating: "t", count: 54)).utf8.count == 255)
    }

    @Test(arguments: ["", ".", "a.", ".a", "a..b", "a b", "a.*", "a.>", "a/b", "ü"])
    func refusesBadPrefixes(prefix: String) {
        #expect(throws: JetStreamMappingError.self) { try JetStreamSubjects(prefix: prefix) }
    }
}
