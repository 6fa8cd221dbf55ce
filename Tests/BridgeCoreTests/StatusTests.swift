import Testing

@testable import BridgeCore

@Suite struct StatusTests {
    let event = StatusEvent(
        clientId: "GID_sensors@@@dev-001", time: 1_795_297_490_123, eventType: .connect,
        channelId: "2b9b1281046046faafe5e0b458e4aa01", clientIp: "127.0.0.1:33350")

    @Test func bodyIsTheJSONOfSpecSection6() {
        #expect(
            event.jsonBody
                == #"{"clientId":"GID_sensors@@@dev-001","time":1795297490123,"eventType":"connect","channelId":"2b9b1281046046faafe5e0b458e4aa01","clientIp":"127.0.0.1:33350"}"#
        )
    }

    @Test(arguments: StatusEvent.EventType.allCases)
    func tagIsTheEventType(type: StatusEvent.EventType) {
        var typed = event
        typed.eventType = type
        let mappings = MappingTable(status: [StatusRule(id: "s", groupId: "GID_sensors", queueTopic: "CLIENT_STATUS")])
        let results = mappings.status(typed)
        #expect(results.count == 1)
        #expect(results[0].message.tag == type.rawValue)
        #expect(results[0].message.topic == "CLIENT_STATUS")
        #expect(results[0].message.keys == ["GID_sensors@@@dev-001"])
        #expect(results[0].message.body == Array(typed.jsonBody.utf8))
    }

    @Test func onlyGroupsWithARuleProduceMessages() {
        let mappings = MappingTable(status: [
            StatusRule(id: "a", groupId: "GID_sensors", queueTopic: "A"),
            StatusRule(id: "b", groupId: "GID_sensors", queueTopic: "B"),
            StatusRule(id: "c", groupId: "GID_app", queueTopic: "C"),
        ])
        #expect(mappings.status(event).map(\.message.topic) == ["A", "B"])
        var other = event
        other.clientId = "GID_other@@@x"
        #expect(mappings.status(other).isEmpty)
        other.clientId = "no-group-at-all"
        #expect(mappings.status(other).isEmpty)
        other.clientId = "GID_sensorsX@@@x"
        #expect(mappings.status(other).isEmpty, "the group must match exactly, not as a prefix")
    }

    @Test func groupIdIsBeforeTheFirstSeparator() {
        #expect(ClientID.groupId(of: "GID_a@@@b@@@c") == "GID_a")
        #expect(ClientID.groupId(of: "@@@b") == "")
        #expect(ClientID.groupId(of: "GID_a@@b") == nil)
        #expect(ClientID.groupId(of: "GID_é@@@b") == "GID_é")
    }
}
