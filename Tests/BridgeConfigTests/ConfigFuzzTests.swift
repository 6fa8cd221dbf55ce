import Foundation
import TestSupport
import Testing

@testable import BridgeConfig

/// Seeded mutations of every file in `mappings/` and random YAML: the loader must load the text or throw a
/// `ConfigError` whose every diagnostic has a file, a line and a column; it must never trap or hang.
@Suite struct ConfigFuzzTests {
    static let files: [(name: String, bytes: [UInt8])] = ConfigLoaderTests.mappingFiles.map { name in
        let path = ConfigLoaderTests.mappingsDirectory.appendingPathComponent(name).path
        return (name, Array(FileManager.default.contents(atPath: path) ?? Data()))
    }

    enum Outcome: String {
        case loaded, refused, notUTF8
    }

    /// Loads `bytes` as the mapping file `name` and checks what comes back; returns the outcome.
    static func check(_ bytes: [UInt8], name: String, context: @autoclosure () -> String) -> Outcome {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            // Not UTF-8: only a file can hold it; the loader says so at 1:1.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-fuzz-\(UUID().uuidString).yaml").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                _ = try ConfigLoader.load(path: path)
                Issue.record("a file that is not UTF-8 loaded: \(context())")
            } catch {
                #expect(error.diagnostics.map(\.description) == ["\(path):1:1: cannot read the file as UTF-8 text"], "\(context())")
            }
            return .notUTF8
        }
        do {
            _ = try ConfigLoader.parse(yaml: text, file: name)
            return .loaded
        } catch {
            let lines = lineCount(text)
            #expect(!error.diagnostics.isEmpty, "\(context())")
            for diagnostic in error.diagnostics {
                #expect(diagnostic.file == name, "\(context())")
                #expect((1...lines).contains(diagnostic.line), "line out of the file: \(diagnostic) \(context())")
                #expect(diagnostic.column >= 1, "\(diagnostic) \(context())")
                #expect(!diagnostic.message.isEmpty, "\(context())")
                #expect(diagnostic.description.hasPrefix("\(name):\(diagnostic.line):\(diagnostic.column): "), "\(context())")
            }
            return .refused
        }
    }

    /// Lines as YAML counts them: CR LF, CR, LF, NEL, LS and PS each end one.
    static func lineCount(_ text: String) -> Int {
        let scalars = Array(text.unicodeScalars)
        var count = 1
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\n", index > 0, scalars[index - 1] == "\r" { continue }
            if ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) { count += 1 }
        }
        return count
    }

    enum Mutation: CaseIterable {
        case flipByte, insertByte, deleteBytes, truncate, deleteLine, duplicateLine, swapLines, indentLine, dedentLine, spliceFile
    }

    /// Bytes that matter to YAML, and a few that are not UTF-8 on their own.
    static let significant = Array(":-#&*!|>'\"{}[],?%@` \t\n\r$.0123456789".utf8) + [0x00, 0xC3, 0xA9, 0xFF, 0xEF, 0xBB, 0xBF]

    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            let line = Int.random(in: 0..<lines.count, using: &random)
            switch Mutation.allCases.randomElement(using: &random)! {
            case .flipByte where !bytes.isEmpty:
                bytes[position] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
                continue
            case .insertByte:
                bytes.insert(significant.randomElement(using: &random)!, at: position)
                continue
            case .deleteBytes where !bytes.isEmpty:
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...12, using: &random)))
                continue
            case .truncate:
                bytes = Array(bytes.prefix(position))
                continue
            case .deleteLine:
                lines.remove(at: line)
            case .duplicateLine:
                lines.insert(lines[line], at: line)
            case .swapLines:
                lines.swapAt(line, Int.random(in: 0..<lines.count, using: &random))
            case .indentLine:
                lines[line].insert(contentsOf: Array(repeating: 0x20, count: Int.random(in: 1...4, using: &random)), at: 0)
            case .dedentLine:
                lines[line] = Array(lines[line].drop { $0 == 0x20 })
            case .spliceFile:
                let other = files.randomElement(using: &random)!.bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
                let start = Int.random(in: 0..<other.count, using: &random)
                lines.insert(contentsOf: other[start..<min(other.count, start + 6)].map(Array.init), at: line)
            default:
                continue
            }
            bytes = Array(lines.joined(separator: [0x0A]))
        }
        return bytes
    }

    @Test func mutatedMappingFilesLoadOrReportEveryProblemWithItsPosition() throws {
        let seed: UInt64 = 0x5EED_4001
        print("ConfigFuzzTests.mutatedMappingFiles: seed \(seed)")
        #expect(Self.files.count >= 5 && Self.files.allSatisfy { !$0.bytes.isEmpty })
        let run = TestThread { () -> [String: Int] in
            var random = SplitMix64(seed: seed)
            var outcomes: [String: Int] = [:]
            for round in 0..<1_200 {
                let file = Self.files[round % Self.files.count]
                let mutated = Self.mutate(file.bytes, &random)
                let outcome = Self.check(mutated, name: file.name, context: "seed \(seed) round \(round) of \(file.name):\n\(String(decoding: mutated, as: UTF8.self))")
                outcomes[outcome.rawValue, default: 0] += 1
            }
            return outcomes
        }
        let outcomes = try #require(try run.join(timeout: .seconds(120))?.get(), "the loader hung (seed \(seed))")
        print("ConfigFuzzTests.mutatedMappingFiles outcomes: \(outcomes)")
        #expect(outcomes["loaded", default: 0] > 50, "seed \(seed): some mutations keep a file valid")
        #expect(outcomes["refused", default: 0] > 300, "seed \(seed)")
        #expect(outcomes["notUTF8", default: 0] > 5, "seed \(seed)")
    }

    // MARK: - Random YAML

    static let keys = [
        "mqtt", "url", "clientId", "protocol", "sharedGroup", "username", "password", "passwordEnv", "keepAlive", "queue",
        "publish", "accept", "groups", "api", "listen", "hub", "endpoint", "heartbeatMs", "status", "source", "stateDir",
        "limits", "maxBodyBytes", "maxUserPropertyBytes", "outflow", "inflow", "statusRules", "id", "queueTopic", "tag",
        "tags", "keys", "properties", "mqttParent", "qos", "groupId", "jetstream", "subjectPrefix", "maxAge",
        "duplicateWindow", "ackWait", "credsFile", "urll", "? complex", "<<", "",
    ]
    static let scalars = [
        "mqtt://127.0.0.1:1883", "mqtts://h", "mqtt://h:0", "mqtt://[::1]:1883", "tcp://127.0.0.1:5601", "tcp://*:1", "ipc://",
        "inproc://x", "nats://127.0.0.1:4222", "tls://h", "72h", "0ms", "99999999999d", "DLQ", "sensors/#", "+/a", "a/#/b", "$share/g/a", "SENSOR_DATA", "bad topic", "${level.2}", "${nope}", "${",
        "$$", "a||b", "||", "*", "0", "1", "2", "3", "-1", "65536", "1_024", "0x10", "1e3", "3.1.1", "5", "true", "null", "~",
        "''", "\"\"", "\"\\u0000\"", "'it''s'", "\"\\xff\"", "GID_a", "GID_a@@@b", "emqx-events", "mosquitto-log", "none",
        "[]", "{}", "[a, b]", "{id: x, mqtt: s/#, queueTopic: Q}", "!!binary aGk=", "!!int x", "!custom y", "&a v", "*a",
        "*undefined", "|\n  text", ">-\n  folded", "é", "\t", "- x", ": x", "? x", "%YAML 1.2", "---", "...",
    ]

    static func randomYAML(_ random: inout SplitMix64, depth: Int = 0, indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent)
        var text = ""
        for _ in 0..<Int.random(in: 1...5, using: &random) {
            let key = keys.randomElement(using: &random)!
            let prefix = Bool.random(using: &random) && depth > 0 && Int.random(in: 0..<3, using: &random) == 0 ? "- " : ""
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where depth < 4, 1 where depth < 4:
                text += "\(pad)\(prefix)\(key):\n" + randomYAML(&random, depth: depth + 1, indent: indent + Int.random(in: 1...3, using: &random))
            case 2 where depth < 4:
                text += "\(pad)\(prefix)\(key):\n"
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    text += "\(pad)  - \(scalars.randomElement(using: &random)!)\n"
                }
            case 3:
                let members = (0..<Int.random(in: 0...3, using: &random)).map { _ in
                    "\(keys.randomElement(using: &random)!): \(scalars.randomElement(using: &random)!)"
                }
                text += "\(pad)\(prefix)\(key): {\(members.joined(separator: ", "))}\n"
            default:
                let comment = Int.random(in: 0..<5, using: &random) == 0 ? " # note" : ""
                text += "\(pad)\(prefix)\(key): \(scalars.randomElement(using: &random)!)\(comment)\n"
            }
        }
        return text
    }

    @Test func randomYAMLLoadsOrReportsEveryProblemWithItsPosition() throws {
        let seed: UInt64 = 0x5EED_4002
        print("ConfigFuzzTests.randomYAML: seed \(seed)")
        let run = TestThread { () -> [String: Int] in
            var random = SplitMix64(seed: seed)
            var outcomes: [String: Int] = [:]
            for round in 0..<1_000 {
                var yaml = Self.randomYAML(&random)
                // Now and then a realistic file with random YAML appended or prepended.
                if round % 4 == 0 {
                    let file = Self.files[round % Self.files.count]
                    let base = String(decoding: file.bytes, as: UTF8.self)
                    yaml = Bool.random(using: &random) ? base + yaml : yaml + base
                }
                let outcome = Self.check(Array(yaml.utf8), name: "random.yaml", context: "seed \(seed) round \(round):\n\(yaml)")
                outcomes[outcome.rawValue, default: 0] += 1
            }
            return outcomes
        }
        let outcomes = try #require(try run.join(timeout: .seconds(120))?.get(), "the loader hung (seed \(seed))")
        print("ConfigFuzzTests.randomYAML outcomes: \(outcomes)")
        #expect(outcomes["refused", default: 0] > 500, "seed \(seed)")
    }

    /// Inputs that have tripped YAML loaders elsewhere: deep nesting, alias bombs, huge numbers, odd encodings.
    @Test(arguments: [
        String(repeating: "[", count: 5_000), String(repeating: "- ", count: 2_000) + "x",
        String(repeating: "{a: ", count: 2_000), "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c, *c]\n",
        "mqtt: &m\n  url: mqtt://h\n  clientId: c\noutflow:\n  - {id: a, mqtt: s/#, queueTopic: Q}\nqueue: *m\n",
        "mqtt:\n  url: mqtt://h\n  clientId: c\n  keepAlive: 99999999999999999999999\noutflow: [{id: a, mqtt: s/#, queueTopic: Q}]\n",
        "\u{FEFF}mqtt: {url: mqtt://h, clientId: c}\noutflow: [{id: a, mqtt: s/#, queueTopic: Q}]\n", "\u{0}", "\t", "---\n---\n",
        "mqtt: {url: mqtt://h, clientId: c}\noutflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n    tag: \"${level.99999999999999999999}\"\n",
        "? [a, b]\n: c\n", "!!map {}\n", "mqtt: !!binary aGk=\n", "%TAG ! tag:x,2000:\n---\na: !b c\n",
    ])
    func pathologicalInputs(yaml: String) throws {
        let run = TestThread { Self.check(Array(yaml.utf8), name: "odd.yaml", context: yaml.debugDescription.prefix(200).description) }
        #expect(run.join(timeout: .seconds(60)) != nil, "the loader hung on \(yaml.prefix(60).debugDescription)")
    }
}
