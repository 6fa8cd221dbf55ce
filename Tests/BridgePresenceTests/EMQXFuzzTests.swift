import BridgeCore
import TestSupport
import Testing

@testable import BridgePresence

/// Seeded mutations of real EMQX client events: the parser reads them or refuses them with
/// `malformed_emqx_event` / `missing_emqx_field`, and the tracker never traps on what comes of them.
@Suite struct EMQXFuzzTests {
    static let realPayloads: [(EMQXClientEvent.Kind, String)] = [
        (.connected, EMQXEventParserTests.connected4), (.disconnected, EMQXEventParserTests.disconnected4),
        (.connected, EMQXEventParserTests.connected5), (.disconnected, EMQXEventParserTests.disconnected5),
    ]

    /// A payload's top-level members as raw JSON text, in order.
    static func members(_ payload: String) -> [(String, String)] {
        guard case .object(let members) = try? JSONValue.parse(payload) else { return [] }
        return members.map { ($0.0, render($0.1)) }
    }

    static func render(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let text):
            "\"" + text.unicodeScalars.map { $0 == "\"" || $0 == "\\" ? "\\\($0)" : $0.value < 0x20 ? "\\u00" + (($0.value < 0x10) ? "0" : "") + String($0.value, radix: 16) : String($0) }.joined() + "\""
        case .array(let elements): "[" + elements.map(render).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { render(.string($0.0)) + ":" + render($0.1) }.joined(separator: ",") + "}"
        }
    }

    static let alienValues = [
        "null", "true", "0", "-1", "1.5", "1e300", "-1e300", "9007199254740992", "9007199254740994", "18446744073709551616",
        #""""#, #""x""#, #""\u0000""#, #""GID_a@@@b""#, #""a/b/+/#""#, "[]", "{}", #"["normal"]"#, #"{"clientid":"inner"}"#,
        #""normal""#, #""takenover""#, #""127.0.0.1:1""#, "[[[[[[[[]]]]]]]]",
    ]

    static let structural = Array(#"{}[]",:0123456789-.eEtrufalsn\ "#.utf8) + [0x00, 0xFF, 0xC3]

    enum Outcome: Hashable {
        case parsed(EMQXClientEvent.Kind)
        case problem(StatusProblem.Kind)
    }

    @Test func mutatedEventsAreReadOrRefused() {
        let seed: UInt64 = 0x5EED_5001
        print("EMQXFuzzTests.mutatedEventsAreReadOrRefused: seed \(seed)")
        var random = SplitMix64(seed: seed)
        var outcomes: [Outcome: Int] = [:]
        for round in 0..<10_000 {
            let (kind, payload) = Self.realPayloads[round % Self.realPayloads.count]
            var members = Self.members(payload)
            var bytes: [UInt8]
            let structured = round % 3 != 0
            if structured {
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let index = Int.random(in: 0..<members.count, using: &random)
                    switch Int.random(in: 0..<5, using: &random) {
                    case 0: members.remove(at: index)
                    case 1: members[index].1 = Self.alienValues.randomElement(using: &random)!
                    case 2: members.insert((members[index].0, Self.alienValues.randomElement(using: &random)!), at: index)
                    case 3: members.append(("extra\(index)", Self.alienValues.randomElement(using: &random)!))
                    default: members.shuffle(using: &random)
                    }
                    if members.isEmpty { break }
                }
                bytes = Array(("{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}").utf8)
            } else {
                bytes = Array(payload.utf8)
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let position = Int.random(in: 0..<max(1, bytes.count), using: &random)
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0 where !bytes.isEmpty: bytes[position] = Self.structural.randomElement(using: &random)!
                    case 1: bytes.insert(Self.structural.randomElement(using: &random)!, at: min(position, bytes.count))
                    case 2: bytes = Array(bytes.prefix(position))
                    default: if !bytes.isEmpty { bytes.remove(at: position) }
                    }
                }
            }
            let context = "seed \(seed) round \(round): \(String(decoding: bytes, as: UTF8.self))"
            do {
                let event = try EMQXEventParser.parse(kind: kind, payload: bytes)
                outcomes[.parsed(kind), default: 0] += 1
                // What was read is what the payload says: the first `clientid` member, an integer `connected_at`.
                let document = try? JSONValue.parse(bytes: bytes)
                #expect(document?["clientid"]?.stringValue == event.clientId, "\(context)")
                if kind == .connected { #expect(event.connectedAt != nil, "\(context)") }
            } catch {
                outcomes[.problem(error.kind), default: 0] += 1
                #expect([.malformedEMQXEvent, .missingEMQXField].contains(error.kind), "\(context) -> \(error)")
                #expect(!error.message.isEmpty && error.message.utf8.count < 200, "\(context)")
                if structured { #expect(error.kind == .missingEMQXField, "a JSON object is never malformed: \(context)") }
            }
        }
        print("EMQXFuzzTests outcomes: \(outcomes)")
        for expected: Outcome in [.parsed(.connected), .parsed(.disconnected), .problem(.malformedEMQXEvent), .problem(.missingEMQXField)] {
            #expect(outcomes[expected, default: 0] > 100, "seed \(seed): \(expected) seen \(outcomes[expected, default: 0]) times")
        }
    }

    /// A real sequence of connects and disconnects for a few clients, as (topic, payload).
    static func realSequence(_ random: inout SplitMix64) -> [(String, [UInt8])] {
        var time: Int64 = 1_795_300_000_000
        var connectedAt: [String: Int64] = [:]
        var messages: [(String, [UInt8])] = []
        for _ in 0..<60 {
            time += Int64.random(in: 1...500, using: &random)
            let client = "GID_e@@@dev-\(Int.random(in: 0..<5, using: &random))"
            if let since = connectedAt[client] {
                let reason = ["normal", "tcp_closed", "keepalive_timeout", "takenover"].randomElement(using: &random)!
                let payload = #"{"clientid":"\#(client)","reason":"\#(reason)","ipaddress":"10.0.0.1","connected_at":\#(since),"disconnected_at":\#(time),"ts":\#(time)}"#
                messages.append(("$SYS/brokers/emqx@n1/clients/\(client)/disconnected", Array(payload.utf8)))
                connectedAt[client] = nil
            } else {
                let payload = #"{"clientid":"\#(client)","ipaddress":"10.0.0.1","connected_at":\#(time),"ts":\#(time),"proto_ver":5,"clean_start":true}"#
                messages.append(("$SYS/brokers/emqx@n1/clients/\(client)/connected", Array(payload.utf8)))
                connectedAt[client] = time
            }
        }
        return messages
    }

    /// Refused events between real ones change nothing: the same events come out, the same view is left.
    @Test func refusedEventsBetweenRealOnesCostNothing() {
        let seed: UInt64 = 0x5EED_5002
        print("EMQXFuzzTests.refusedEventsBetweenRealOnesCostNothing: seed \(seed)")
        var random = SplitMix64(seed: seed)
        let garbage = ["", "{", "null", "[]", #"{"clientid":5}"#, #"{"connected_at":1795300000000}"#,
                       #"{"clientid":"GID_e@@@dev-2","connected_at":"soon"}"#, #"{"clientid":"GID_e@@@dev-3","clean_start":"yes"}"#,
                       #"{"clientid":"GID_e@@@dev-0","connected_at":1.5}"#, "\u{FFFD}"].map { Array($0.utf8) } + [[0xFF, 0xFE]]
        for round in 0..<20 {
            let real = Self.realSequence(&random)
            var clean = StatusTracker(source: .emqxEvents, seed: 1)
            var noisy = clean
            var cleanEvents: [StatusEvent] = []
            var noisyEvents: [StatusEvent] = []
            for (topic, payload) in real {
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    let kind = Bool.random(using: &random) ? "connected" : "disconnected"
                    let result = noisy.ingest(
                        topic: "$SYS/brokers/emqx@n1/clients/GID_e@@@dev-1/\(kind)", payload: garbage.randomElement(using: &random)!,
                        receivedAt: 1_795_300_000_000)
                    #expect(result.events.isEmpty && result.disposition == .rejected, "seed \(seed) round \(round): \(result)")
                }
                cleanEvents += clean.ingest(topic: topic, payload: payload, receivedAt: 1_795_300_000_000).events
                noisyEvents += noisy.ingest(topic: topic, payload: payload, receivedAt: 1_795_300_000_000).events
            }
            #expect(!cleanEvents.isEmpty)
            #expect(noisyEvents == cleanEvents, "seed \(seed) round \(round)")
            #expect(Array(noisy.snapshotEvents()) == Array(clean.snapshotEvents()), "seed \(seed) round \(round)")
        }
    }

    /// Whatever the mutated events say, the tracker keeps SPEC §6: a disconnect is followed by its channel's
    /// tcpclean, and every event names a client and a channel.
    @Test func trackerKeepsItsRulesUnderMutatedEvents() {
        let seed: UInt64 = 0x5EED_5003
        print("EMQXFuzzTests.trackerKeepsItsRulesUnderMutatedEvents: seed \(seed)")
        var random = SplitMix64(seed: seed)
        var tracker = StatusTracker(source: .emqxEvents, seed: 1)
        var events: [StatusEvent] = []
        for round in 0..<5_000 {
            let (kind, payload) = Self.realPayloads[round % Self.realPayloads.count]
            var members = Self.members(payload)
            let index = Int.random(in: 0..<members.count, using: &random)
            if members[index].0 != "clientid" || Bool.random(using: &random) {
                members[index].1 = Self.alienValues.randomElement(using: &random)!
            }
            let text = "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
            let result = tracker.ingest(
                topic: "$SYS/brokers/n/clients/x/\(kind.rawValue)", payload: Array(text.utf8),
                receivedAt: Int64.random(in: 0...2_000_000_000_000, using: &random))
            events += result.events
            #expect((result.disposition == .rejected) == (result.problem != nil), "seed \(seed) round \(round)")
        }
        for (index, event) in events.enumerated() where event.eventType == .disconnect {
            let next = events.indices.contains(index + 1) ? events[index + 1] : nil
            #expect(next?.eventType == .tcpclean && next?.channelId == event.channelId, "seed \(seed)")
        }
        #expect(events.allSatisfy { $0.channelId.count == 32 }, "seed \(seed)")
    }
}
