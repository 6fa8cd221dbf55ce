import Testing

@testable import BridgeCore

@Suite struct TemplateTests {
    let values = TemplateValues(
        topic: try! Topic("sensors/room1/temp"),
        clientId: "GID_sensors@@@dev-001",
        qos: .exactlyOnce,
        userProperties: [UserProperty(key: "unit", value: "C"), UserProperty(key: "unit", value: "F")]
    )

    @Test(arguments: [
        ("${topic}", "sensors/room1/temp"),
        ("${parent}", "sensors"),
        ("${subTopic}", "/room1/temp"),
        ("${level.1}", "sensors"),
        ("${level.2}", "room1"),
        ("${level.3}", "temp"),
        ("${level.4}", ""),
        ("${clientId}", "GID_sensors@@@dev-001"),
        ("${groupId}", "GID_sensors"),
        ("${qos}", "2"),
        ("${userProperty.unit}", "C"),
        ("${userProperty.missing}", ""),
        ("plain text", "plain text"),
        ("${parent}-${level.2}:${qos}", "sensors-room1:2"),
        ("cost $$5 ${level.3}", "cost $5 temp"),
        ("$ alone", "$ alone"),
    ])
    func renders(template: String, expected: String) throws {
        #expect(try Template(template).render(values) == expected)
    }

    @Test func missingClientIdRendersEmpty() throws {
        let anonymous = TemplateValues(topic: try Topic("a/b"), clientId: nil, qos: .atMostOnce, userProperties: [])
        #expect(try Template("[${clientId}|${groupId}]").render(anonymous) == "[|]")
        let noGroup = TemplateValues(topic: try Topic("a/b"), clientId: "plain-id", qos: .atMostOnce, userProperties: [])
        #expect(try Template("${groupId}").render(noGroup) == "")
    }

    @Test(arguments: [
        ("${levl.2}", 0, "unknown template variable '${levl.2}'"),
        ("tag-${level.0}", 4, "level number"),
        ("${level.x}", 0, "level number"),
        ("${userProperty.}", 0, "needs a property name"),
        ("ab${topic", 2, "has no closing '}'"),
        ("${topic}/${nope}", 9, "unknown template variable '${nope}'"),
    ])
    func reportsProblemsWithTheirOffset(template: String, offset: Int, message: String) {
        #expect {
            try Template(template)
        } throws: { error in
            guard let error = error as? TemplateError else { return false }
            return error.offset == offset && error.message.contains(message)
        }
    }

    @Test func listsItsVariables() throws {
        #expect(try Template("${level.2}/${userProperty.x}").variables == [.level(2), .userProperty("x")])
    }
}

@Suite struct TagExpressionTests {
    @Test func starAcceptsEverythingIncludingUntagged() throws {
        let all = try TagExpression("*")
        #expect(all.accepts("x"))
        #expect(all.accepts(nil))
    }

    @Test func listAcceptsOnlyItsTags() throws {
        let expression = try TagExpression(" connect || tcpclean ")
        #expect(expression.accepts("connect"))
        #expect(expression.accepts("tcpclean"))
        #expect(!expression.accepts("disconnect"))
        #expect(!expression.accepts(nil))
    }

    @Test(arguments: ["", "a||", "||a", "a||*", "a|b", "  "])
    func rejectsMalformedExpressions(text: String) {
        #expect(throws: TagExpressionError.self) { try TagExpression(text) }
    }

    @Test func overlap() throws {
        #expect(try TagExpression("a||b").overlaps(TagExpression("b||c")))
        #expect(!(try TagExpression("a||b").overlaps(TagExpression("c"))))
        #expect(try TagExpression("*").overlaps(TagExpression("c")))
    }
}
