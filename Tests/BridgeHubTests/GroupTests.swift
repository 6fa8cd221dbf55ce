import TestSupport
import BridgeCore
import Testing
import WireProtocol

@testable import BridgeHub

@Suite struct GroupTests {
    let worker = PeerID.worker(1)
    let first = PeerID.consumer(1)
    let second = PeerID.consumer(2)

    @Test func twoMembersSplitTheMessages() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(first, group: "backend")
        router.helloConsumer(second, group: "backend")
        var actions: [HubAction] = []
        for seq in UInt64(1)...10 {
            actions += router.publish(worker, seq: seq, topic: "sensors/room\(seq)/temp")
        }
        let a = actions.bodies(to: first)
        let b = actions.bodies(to: second)
        #expect(a.count + b.count == 10)
        #expect(Set(a).isDisjoint(with: b))
        // Ten distinct keys, no acks: each new key goes to the less loaded member.
        #expect(a.count == 5)
        #expect(b.count == 5)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everyKeyStaysOnOneMemberWhileConnected(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(first, group: "backend", window: 1_000)
        router.helloConsumer(second, group: "backend", window: 1_000)
        var owner: [String: PeerID] = [:]
        var outstanding: [PeerID: [UInt64]] = [first: [], second: []]
        var lastBody: [String: Int] = [:]
        for seq in UInt64(1)...600 {
            let key = "room\(Int.random(in: 0..<40, using: &random))"
            var actions = router.publish(worker, seq: seq, topic: "sensors/\(key)/temp")
            // Random acks change the loads, which must not move keys.
            for member in [first, second] where Bool.random(using: &random) && !(outstanding[member]!.isEmpty) {
                let count = Int.random(in: 1...outstanding[member]!.count, using: &random)
                actions += router.ack(member, seqs: Array(outstanding[member]!.prefix(count)))
                outstanding[member]!.removeFirst(count)
            }
            for member in [first, second] {
                for delivered in actions.deliveries(to: member) {
                    let deliveredKey = try #require(delivered.message.keys.first)
                    #expect(owner[deliveredKey, default: member] == member, "key \(deliveredKey) moved")
                    owner[deliveredKey] = member
                    let number = Int(delivered.text)!
                    #expect(number > lastBody[deliveredKey, default: 0], "key \(deliveredKey) out of order")
                    lastBody[deliveredKey] = number
                    outstanding[member]!.append(delivered.seq)
                }
            }
        }
        #expect(owner.count == 40)
        #expect(Set(owner.values) == [first, second])
    }

    @Test func keylessMessagesAreSpreadByLoad() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(first, topic: "EVENTS", group: "g")
        router.helloConsumer(second, topic: "EVENTS", group: "g")
        var actions: [HubAction] = []
        for seq in UInt64(1)...4 {
            actions += router.publish(worker, seq: seq, topic: "factory/f\(seq)/events")
        }
        #expect(actions.deliveries(to: first).count == 2)
        #expect(actions.deliveries(to: second).count == 2)
        // The first member catches up: it now has the lighter load and takes the next two.
        _ = router.ack(first, seqs: actions.deliveries(to: first).map(\.seq))
        var next: [HubAction] = []
        for seq in UInt64(5)...6 {
            next += router.publish(worker, seq: seq, topic: "factory/f\(seq)/events")
        }
        #expect(next.bodies(to: first) == ["5", "6"])
        #expect(next.deliveries(to: second).isEmpty)
        // Equal again: they alternate.
        var more: [HubAction] = []
        for seq in UInt64(7)...10 {
            more += router.publish(worker, seq: seq, topic: "factory/f\(seq)/events")
        }
        #expect(more.deliveries(to: first).count == 2)
        #expect(more.deliveries(to: second).count == 2)
    }

    @Test func nonGroupConsumerOnTheSameTopicGetsEveryMessage() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let loner = PeerID.consumer(3)
        router.helloConsumer(first, group: "backend")
        router.helloConsumer(second, group: "backend")
        router.helloConsumer(loner)
        var actions: [HubAction] = []
        for seq in UInt64(1)...8 {
            actions += router.publish(worker, seq: seq, topic: "sensors/room\(seq % 3)/temp")
        }
        #expect(actions.bodies(to: loner) == (1...8).map(String.init))
        #expect((actions.bodies(to: first) + actions.bodies(to: second)).sorted() == (1...8).map(String.init).sorted())
        // Each message waits for the loner and the group member.
        let groupAcks = router.ack(first, seqs: actions.deliveries(to: first).map(\.seq))
            + router.ack(second, seqs: actions.deliveries(to: second).map(\.seq))
        #expect(groupAcks.acks(to: worker).isEmpty)
        #expect(router.ack(loner, seqs: Array(1...8)).acks(to: worker) == Array(1...8))
    }

    @Test func twoGroupsEachGetACopy() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        let third = PeerID.consumer(3)
        router.helloConsumer(first, group: "billing")
        router.helloConsumer(second, group: "archive")
        router.helloConsumer(third, group: "archive")
        var actions: [HubAction] = []
        for seq in UInt64(1)...6 {
            actions += router.publish(worker, seq: seq, topic: "sensors/room\(seq)/temp")
        }
        #expect(actions.bodies(to: first) == (1...6).map(String.init))
        #expect((actions.bodies(to: second) + actions.bodies(to: third)).sorted() == (1...6).map(String.init).sorted())
        #expect(!actions.bodies(to: second).isEmpty)
        #expect(!actions.bodies(to: third).isEmpty)
    }

    @Test func sameGroupNameOnAnotherTopicIsAnotherGroup() throws {
        var router = try makeRouter()
        router.helloWorker(worker)
        router.helloConsumer(first, topic: "SENSOR_DATA", group: "g")
        router.helloConsumer(second, topic: "AUDIT", group: "g")
        let actions = router.publish(worker, seq: 1, topic: "sensors/room1/alarm")
        #expect(actions.deliveries(to: first).map(\.message.topic) == ["SENSOR_DATA"])
        #expect(actions.deliveries(to: second).map(\.message.topic) == ["AUDIT"])
    }
}
