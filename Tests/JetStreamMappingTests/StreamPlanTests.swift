import BridgeCore
import Testing

@testable import JetStreamMapping

/// The streams a mapping file needs, the check of an existing stream, and the inflow consumers.
@Suite struct StreamPlanTests {
    static func mappings(inflow: [InflowRule] = []) throws -> MappingTable {
        MappingTable(
            outflow: [
                OutflowRule(id: "telemetry", filter: try TopicFilter("sensors/#"), queueTopic: "SENSOR_DATA"),
                OutflowRule(id: "alarms", filter: try TopicFilter("alarms/#"), queueTopic: "SENSOR_DATA"),
            ],
            inflow: inflow,
            status: [StatusRule(id: "status", groupId: "GID_a", queueTopic: "CLIENT_STATUS")])
    }

    @Test func oneStreamPerQueueTopicAndTheDLQWithInflowRules() throws {
        let subjects = try JetStreamSubjects(prefix: "mq.prod")
        let outflowOnly = try StreamPlan(subjects: subjects, mappings: try Self.mappings())
        #expect(outflowOnly.streams == [
            .init(name: "mq_prod_SENSOR_DATA", subjects: ["mq.prod.SENSOR_DATA.>"]),
            .init(name: "mq_prod_CLIENT_STATUS", subjects: ["mq.prod.CLIENT_STATUS.>"]),
        ])
        let withInflow = try StreamPlan(
            subjects: subjects, mappings: try Self.mappings(inflow: [InflowRule(id: "cmd", queueTopic: "CMD", mqttParent: "devices")]), replicas: 3)
        #expect(withInflow.streams.map(\.name) == ["mq_prod_SENSOR_DATA", "mq_prod_CLIENT_STATUS", "mq_prod_CMD", "mq_prod_DLQ"])
        #expect(withInflow.streams.last?.subjects == ["mq.prod.DLQ.>"])
        #expect(withInflow.replicas == 3)
    }

    @Test func anExistingStreamMustTakeTheSubjectsAndHaveTheReplicas() throws {
        let plan = try StreamPlan(subjects: try JetStreamSubjects(prefix: "mq"), mappings: try Self.mappings(), replicas: 3)
        let wanted = plan.streams[0]
        #expect(plan.conflicts(wanted, existingSubjects: ["mq.SENSOR_DATA.>"], existingReplicas: 3).isEmpty)
        // More subjects than needed is fine: the stream still takes ours.
        #expect(plan.conflicts(wanted, existingSubjects: ["other.>", "mq.SENSOR_DATA.>"], existingReplicas: 3).isEmpty)
        #expect(plan.conflicts(wanted, existingSubjects: ["mq.SENSOR_DATA.temp"], existingReplicas: 3)
            == ["its subjects are mq.SENSOR_DATA.temp, without mq.SENSOR_DATA.>"])
        #expect(plan.conflicts(wanted, existingSubjects: ["mq.SENSOR_DATA.>"], existingReplicas: 1)
            == ["it has 1 replicas, the mapping file asks for 3 (jetstream.replicas)"])
    }

    @Test func eachInflowRuleHasADurableConsumerAndEachMessageOneTaker() throws {
        let rules = [
            InflowRule(id: "cmd", queueTopic: "CMD", tags: try TagExpression("reboot||set"), mqttParent: "devices"),
            InflowRule(id: "cfg", queueTopic: "CMD", tags: try TagExpression("config"), mqttParent: "config"),
            InflowRule(id: "ota update", queueTopic: "OTA", mqttParent: "ota"),
        ]
        let consumers = try InflowConsumers(rules: rules, subjects: try JetStreamSubjects(prefix: "mq"))
        #expect(consumers.consumers.map(\.durableName) == ["mqbridge_cmd", "mqbridge_cfg", "mqbridge_ota_update"])
        #expect(consumers.consumers.map(\.filterSubject) == ["mq.CMD.>", "mq.CMD.>", "mq.OTA.>"])
        #expect(consumers.consumers.map(\.streamName) == ["mq_CMD", "mq_CMD", "mq_OTA"])
        // Exactly one consumer of a topic hands each message to the hub; the first also takes the unclaimed.
        for (tag, taker) in [("reboot", 0), ("set", 0), ("config", 1), ("other", 0), (nil, 0)] as [(String?, Int)] {
            #expect((0...1).filter { consumers.takes($0, tag: tag) } == [taker], "tag \(tag ?? "none")")
        }
        #expect(consumers.takes(2, tag: "anything"))
    }

    @Test func durableNamesAreValidAndTheSameEverywhere() {
        #expect(InflowConsumers.durableName(ruleId: "a.b*c>d e/f") == "mqbridge_a_b_c_d_e_f")
        #expect(InflowConsumers.durableName(ruleId: "Cmd-1_x") == "mqbridge_Cmd-1_x")
        #expect(InflowConsumers.durableName(ruleId: "ü") == "mqbridge__")
    }
}
