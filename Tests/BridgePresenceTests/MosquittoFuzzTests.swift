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
}
