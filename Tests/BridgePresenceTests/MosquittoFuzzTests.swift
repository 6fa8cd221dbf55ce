import BridgeCore
import TestSupport
import Testing

@testable import BridgePresence

/// Random bytes and mutations of real lines: the parser must classify every input and never trap.
@Suite struct MosquittoFuzzTests {
    static let realLines = [
        "1795300789: New connection from 127.0.0.1:53950 on port 18831.",
        "1795300789: New client connected from 127.0.0.1:53950 as GID_a@@@d1 (p2, c1, k60).",
        "1795300789: Client GID_a@@@d1 disconnected.",
        "1795300789: New client connected from 127.0.0.1:53954 as GID_a@@@d2 (p2, c1, k60, u'bob').",
        "1795300798: Client GID_a@@@t1 already connected, closing old connection.",
        "1795300799: Client GID_a@@@k1 closed its connection.",
        "1795300817: Client GID_a@@@ka2 has exceeded timeout, disconnecting.",
        "1795300803: Client GID_a@@@ka1 disconnected due to protocol error.",
        "1795300791: New client connected from ::1:53980 as watcher (p5, c0, k60).",
        "Client x disconnected: Broken pipe.",
        "Bad socket read/write on client x: Unknown error",
    ]

    enum Outcome: Hashable {
        case connected, disconnected, closed, takenOver, ignored
        case problem(StatusProblem.Kind)
    }

    static func classify(_ bytes: [UInt8]) -> Outcome {
        do {
            let line = try MosquittoLogParser.parse(bytes)
            switch line.event {
            case .connected(let connection):
                #expect(!connection.clientId.isEmpty)
                return .connected
            case .disconnected(let clientId):
                #expect(!clientId.isEmpty)
                return .disconnected
            case .closed(let clientId, _):
                #expect(!clientId.isEmpty)
                return .closed
            case .takenOver(let clientId):
                #expect(!clientId.isEmpty)
                return .takenOver
            case .ignored:
                return .ignored
            }
        } catch {
            #expect(!error.message.isEmpty)
            return .problem(error.kind)
        }
    }

    @Test func randomBytes() {
        let seed: UInt64 = 0x5EED_0001
        var random = SplitMix64(seed: seed)
        var outcomes: Set<Outcome> = []
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...80, using: &random)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            outcomes.insert(MosquittoFuzzTests.classify(bytes))
        }
        #expect(outcomes.contains(.problem(.invalidUTF8)), "seed \(seed)")
    }

    @Test func mutatedRealLines() {
        let seed: UInt64 = 0x5EED_0002
        var random = SplitMix64(seed: seed)
        let alphabet = Array(" :.,()'pcku0123456789asClientNew\u{00}\u{FF}".utf8) + [0xC3, 0xA9, 0x80, 0xE4]
        var outcomes: Set<Outcome> = []
        for round in 0..<30_000 {
            var bytes = Array(MosquittoFuzzTests.realLines[round % MosquittoFuzzTests.realLines.count].utf8)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<5, using: &random) {
                case 0 where !bytes.isEmpty: bytes.remove(at: position)
                case 1: bytes.insert(alphabet.randomElement(using: &random) ?? 0, at: position)
                case 2 where !bytes.isEmpty: bytes[position] = alphabet.randomElement(using: &random) ?? 0
                case 3 where !bytes.isEmpty: bytes.removeSubrange(position..<min(bytes.count, position + 8))
                case 4:
                    let other = Array(MosquittoFuzzTests.realLines.randomElement(using: &random)?.utf8 ?? "".utf8)
                    let cut = Int.random(in: 0...other.count, using: &random)
                    bytes.insert(contentsOf: other[cut...], at: position)
                default: break
                }
            }
            outcomes.insert(MosquittoFuzzTests.classify(bytes))
        }
        // Mutations keep most lines readable and break others: both sides must show up.
        for expected: Outcome in [
            .connected, .disconnected, .closed, .takenOver, .ignored, .problem(.malformedConnectLine),
            .problem(.unrecognisedClientLine), .problem(.invalidUTF8),
        ] {
            #expect(outcomes.contains(expected), "seed \(seed): never saw \(expected)")
        }
    }

    @Test func truncationsOfRealLines() {
        for line in MosquittoFuzzTests.realLines {
            let bytes = Array(line.utf8)
            for end in 0...bytes.count {
                _ = MosquittoFuzzTests.classify(Array(bytes[..<end]))
                _ = MosquittoFuzzTests.classify(Array(bytes[end...]))
            }
        }
    }

    /// Garbage a broker, a misconfigured log format or another publisher on `$SYS/broker/log/#` may send.
    static let garbageLines: [[UInt8]] = [
        "", "\n", "\r\n\r\n", " ", "\t", "1795300789:", "1795300789: ", "1795300789: \n", ": ", "::::", "Client", "Client ",
        "Client .", "Client  disconnected.", "Client disconnected.", "Client x", "Client x disconnected", "New client connected",
        "New client connected from", "New client connected from  as x (p2, c1, k60).",
        "New client connected from 1.2.3.4:5 as  (p2, c1, k60).", "New client connected from 1.2.3.4:5 as x (p2, c1, k60",
        "New client connected from 1.2.3.4:5 as x (p99999999999999999999, c1, k60).",
        "New client connected from 1.2.3.4:5 as x (p2, c1, k99999999999999999999999).",
        "New client connected from 1.2.3.4:5 as x (p2, c, k).", "New client connected from 1.2.3.4:5 as x (p2, c1, k60, u').",
        "New client connected from 1.2.3.4:5 as x (p2, c1, k60, u'').", "New client connected from 1.2.3.4:5 as x (p (p (p (p.",
        "99999999999999999999999999: Client a disconnected.", "-1: Client a disconnected.", "1795300789 Client a disconnected.",
        "2025-01-01T00:00:00: Client a disconnected.", "1795300789: 1795300789: Client a disconnected.",
        "Client a disconnected.\nClient b disconnected.", "Client a\u{0}b disconnected.", "\u{FEFF}Client a disconnected.",
        "Bad socket read/write on client ", "Bad socket read/write on client : ", "Bad socket read/write on client x",
        "Socket error on client , disconnecting.", "Socket error on client x", #"{"clientid":"x","connected_at":1}"#,
        "Client \u{1F600} disconnected due to .", "Client x disconnected: .", "Client  disconnected: x.",
        "Warning: Unable to open log file", "mosquitto version 2.0.18 running", "Opening ipv4 listen socket on port 1883.",
        "Saving in-memory database to mosquitto.db.", String(repeating: "Client ", count: 2_000) + "disconnected.",
        String(repeating: " (p2, c1, k60)", count: 2_000), String(repeating: ": ", count: 5_000) + "Client a disconnected.",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE4, 0xB8], Array("Client ".utf8) + [0xC0, 0x80] + Array(" disconnected.".utf8), [0x00]]

    @Test func garbageLinesAreClassified() {
        var outcomes: Set<Outcome> = []
        for line in MosquittoFuzzTests.garbageLines {
            outcomes.insert(MosquittoFuzzTests.classify(line))
        }
        for expected: Outcome in [.ignored, .problem(.empty), .problem(.invalidUTF8), .problem(.malformedConnectLine), .problem(.unrecognisedClientLine)] {
            #expect(outcomes.contains(expected), "never saw \(expected)")
        }
    }

    /// Lines built from the parser's own fixed parts in random order reach deeper states than byte mutations.
    @Test func tokenSoup() {
        let seed: UInt64 = 0x5EED_0003
        print("MosquittoFuzzTests.tokenSoup: seed \(seed)")
        var random = SplitMix64(seed: seed)
        let tokens = [
            "1795300789", ": ", "New client connected", "New bridge connected", " from ", "127.0.0.1:53950", "::1:1", " as ",
            "GID_a@@@d1", "x", " ", " (p", "2", "5", ", c", "1", "0", ", k", "60", ", u'", "bob", "')", ").", ")", ".",
            "Client ", " disconnected.", " closed its connection.", " has exceeded timeout, disconnecting.",
            " already connected, closing old connection.", " disconnected, not authorised.",
            " has been disconnected by administrative action.", " disconnected due to ", "protocol error", " disconnected: ",
            "Bad socket read/write on client ", "Socket error on client ", ", disconnecting.", "é", "\u{0}", "\n", "\r",
        ]
        var outcomes: Set<Outcome> = []
        let skeletons = [
            ["1795300789", ": ", "New client connected", " from ", "127.0.0.1:53950", " as ", "GID_a@@@d1", " (p", "2", ", c", "1",
             ", k", "60", ")."],
            ["1795300789", ": ", "Client ", "GID_a@@@d1", " disconnected."],
        ]
        for round in 0..<30_000 {
            var parts: [String]
            if round % 2 == 0 {
                parts = (0..<Int.random(in: 0...10, using: &random)).map { _ in tokens.randomElement(using: &random)! }
            } else {
                // A real line's parts with a few replaced, inserted or removed.
                parts = skeletons[round / 2 % skeletons.count]
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    let index = Int.random(in: 0..<parts.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: parts[index] = tokens.randomElement(using: &random)!
                    case 1: parts.insert(tokens.randomElement(using: &random)!, at: index)
                    default: if parts.count > 1 { parts.remove(at: index) }
                    }
                }
            }
            let line = parts.joined()
            outcomes.insert(MosquittoFuzzTests.classify(Array(line.utf8)))
        }
        for expected: Outcome in [
            .connected, .disconnected, .closed, .takenOver, .ignored, .problem(.malformedConnectLine),
            .problem(.unrecognisedClientLine), .problem(.empty),
        ] {
            #expect(outcomes.contains(expected), "seed \(seed): never saw \(expected)")
        }
    }

    /// Long hostile lines are read in time proportional to their length: a 1 MB line must not stall the hub.
    @Test(arguments: [" (p", ": ", "Client ", " as ", " disconnected due to "])
    func longLinesDoNotStall(piece: String) throws {
        let prefixes = ["New client connected from 1.2.3.4:5 as ", "Client ", "1795300789: ", ""]
        let lines = prefixes.map { Array(($0 + String(repeating: piece, count: 1_000_000 / piece.utf8.count)).utf8) }
        let run = TestThread { lines.map { MosquittoFuzzTests.classify($0) } }
        #expect(run.join(timeout: .seconds(60)) != nil, "parsing a 1 MB line of '\(piece)' took over a minute")
    }

    /// Unreadable or irrelevant lines between the lines of a real log change nothing: the tracker emits the
    /// same events and ends with the same view as without them.
    @Test func garbageBetweenRealLinesCostsNothing() {
        let seed: UInt64 = 0x5EED_0004
        print("MosquittoFuzzTests.garbageBetweenRealLinesCostsNothing: seed \(seed)")
        var random = SplitMix64(seed: seed)
        for round in UInt64(1)...25 {
            let (lines, _) = StatusTrackerRandomTests.log(seed: round)
            var clean = StatusTracker(source: .mosquittoLog, seed: round, tombstoneLimit: StatusTrackerRandomTests.tombstoneLimit)
            var noisy = clean
            var cleanEvents: [StatusEvent] = []
            var noisyEvents: [StatusEvent] = []
            var rejected = 0
            for line in lines {
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    let garbage = MosquittoFuzzTests.garbageLines.randomElement(using: &random)!
                    // Only lines the parser refuses or ignores: a garbage line that reads as a connection line is news.
                    switch MosquittoFuzzTests.classify(garbage) {
                    case .ignored, .problem: break
                    default: continue
                    }
                    let level = ["N", "E", "W", "I", "D", "", "N/extra"].randomElement(using: &random)!
                    let result = noisy.ingest(topic: "$SYS/broker/log/\(level)", payload: garbage, receivedAt: line.receivedAt)
                    #expect(result.events.isEmpty, "seed \(seed) round \(round): \(String(decoding: garbage, as: UTF8.self))")
                    if result.disposition == .rejected { rejected += 1 }
                }
                cleanEvents += StatusTrackerMosquittoTests.ingest(&clean, line).events
                noisyEvents += StatusTrackerMosquittoTests.ingest(&noisy, line).events
            }
            #expect(noisyEvents == cleanEvents, "seed \(seed) round \(round)")
            #expect(Array(noisy.snapshotEvents()) == Array(clean.snapshotEvents()), "seed \(seed) round \(round)")
            #expect(rejected > 0, "seed \(seed) round \(round)")
        }
    }
}
