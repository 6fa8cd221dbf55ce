import Testing

@testable import BridgePresence

@Suite struct MosquittoLogParserTests {
    func parse(_ text: String) throws -> MosquittoLogLine {
        try MosquittoLogParser.parse(text)
    }

    func problem(_ text: String) -> StatusProblem.Kind? {
        problem(Array(text.utf8))
    }

    func problem(_ bytes: [UInt8]) -> StatusProblem.Kind? {
        do {
            _ = try MosquittoLogParser.parse(bytes)
            return nil
        } catch {
            return error.kind
        }
    }

    // MARK: Recorded lines (mosquitto 2.0.11)

    @Test func newConnectionLineIsIgnored() throws {
        let line = try parse("1795300789: New connection from 127.0.0.1:53950 on port 18831.")
        #expect(line == MosquittoLogLine(timestamp: 1_795_300_789, event: .ignored))
    }

    @Test func connectedWithoutUsername() throws {
        let line = try parse("1795300789: New client connected from 127.0.0.1:53950 as GID_a@@@d1 (p2, c1, k60).")
        #expect(line.timestamp == 1_795_300_789)
        #expect(
            line.event
                == .connected(
                    MosquittoConnection(
                        clientId: "GID_a@@@d1", address: "127.0.0.1:53950", username: nil, protocolVersion: 2,
                        cleanStart: true, keepAlive: 60)))
    }

    @Test func connectedWithUsername() throws {
        let line = try parse(
            "1795300789: New client connected from 127.0.0.1:53954 as GID_a@@@d2 (p2, c1, k60, u'bob').")
        guard case .connected(let connection) = line.event else {
            Issue.record("expected a connect, got \(line.event)")
            return
        }
        #expect(connection.clientId == "GID_a@@@d2")
        #expect(connection.username == "bob")
        #expect(connection.address == "127.0.0.1:53954")
        #expect(connection.host == "127.0.0.1")
        #expect(connection.port == 53954)
        #expect(!connection.isBridge)
    }

    @Test func connectedMQTT5WithoutCleanStart() throws {
        let line = try parse("1795300791: New client connected from 127.0.0.1:53980 as watcher (p5, c0, k60).")
        #expect(
            line.event
                == .connected(
                    MosquittoConnection(
                        clientId: "watcher", address: "127.0.0.1:53980", username: nil, protocolVersion: 5,
                        cleanStart: false, keepAlive: 60)))
    }

    @Test func mqtt31AndZeroKeepAlive() throws {
        let line = try parse("New client connected from 10.1.2.3:1 as old (p1, c1, k0).")
        guard case .connected(let connection) = line.event else {
            Issue.record("expected a connect")
            return
        }
        #expect(connection.protocolVersion == 1)
        #expect(connection.keepAlive == 0)
        #expect(line.timestamp == nil)
    }

    @Test(arguments: [
        ("1795300789: Client GID_a@@@d1 disconnected.", MosquittoLogEvent.disconnected(clientId: "GID_a@@@d1")),
        (
            "1795300798: Client GID_a@@@t1 already connected, closing old connection.",
            .takenOver(clientId: "GID_a@@@t1")
        ),
        (
            "1795300799: Client GID_a@@@k1 closed its connection.",
            .closed(clientId: "GID_a@@@k1", reason: .closedByClient)
        ),
        (
            "1795300817: Client GID_a@@@ka2 has exceeded timeout, disconnecting.",
            .closed(clientId: "GID_a@@@ka2", reason: .keepAliveTimeout)
        ),
        (
            "1795300803: Client GID_a@@@ka1 disconnected due to protocol error.",
            .closed(clientId: "GID_a@@@ka1", reason: .error("protocol error"))
        ),
        ("1795300803: Client x disconnected, not authorised.", .closed(clientId: "x", reason: .notAuthorised)),
        (
            "1795300803: Client x has been disconnected by administrative action.",
            .closed(clientId: "x", reason: .administrative)
        ),
        (
            "1795300803: Client x been disconnected by administrative action.",
            .closed(clientId: "x", reason: .administrative)
        ),
        (
            "1795300803: Client x disconnected: Connection reset by peer.",
            .closed(clientId: "x", reason: .error("Connection reset by peer"))
        ),
        (
            "1795300803: Bad socket read/write on client x: Unknown error.",
            .closed(clientId: "x", reason: .error("Unknown error"))
        ),
        ("1795300803: Socket error on client x, disconnecting.", .closed(clientId: "x", reason: .error("socket error"))),
    ])
    func clientLines(text: String, expected: MosquittoLogEvent) throws {
        let line = try parse(text)
        #expect(line.timestamp == 1_795_300_789 || line.timestamp != nil)
        #expect(line.event == expected)
    }

    @Test func timestampsAreRead() throws {
        #expect(try parse("1795300817: Client a closed its connection.").timestamp == 1_795_300_817)
        #expect(try parse("0: Client a closed its connection.").timestamp == 0)
    }

    // MARK: Timestamps

    @Test func withoutTimestamp() throws {
        let line = try parse("Client GID_a@@@d1 disconnected.")
        #expect(line == MosquittoLogLine(timestamp: nil, event: .disconnected(clientId: "GID_a@@@d1")))
    }

    @Test(arguments: [
        "2026-11-21T10:39:49: Client GID_a@@@d1 disconnected.",
        "Sat Nov 21 10:39:49 2026: Client GID_a@@@d1 disconnected.",
        "21/11 10:39:49.123: Client GID_a@@@d1 disconnected.",
    ])
    func customTimestampFormatGivesNoTimestamp(text: String) throws {
        let line = try parse(text)
        #expect(line == MosquittoLogLine(timestamp: nil, event: .disconnected(clientId: "GID_a@@@d1")))
    }

    @Test func customTimestampBeforeAConnectLine() throws {
        let line = try parse("2026-11-21 10:39:49: New client connected from 1.2.3.4:5 as c (p2, c1, k60).")
        #expect(line.timestamp == nil)
        #expect(line.event.clientId == "c")
    }

    @Test func timestampTooLargeForInt64IsNotUsable() throws {
        let line = try parse("99999999999999999999999: Client a disconnected.")
        #expect(line == MosquittoLogLine(timestamp: nil, event: .disconnected(clientId: "a")))
    }

    @Test func trailingLineBreaksAreTrimmed() throws {
        #expect(try parse("1: Client a disconnected.\r\n").event == .disconnected(clientId: "a"))
    }

    // MARK: Addresses and awkward client IDs

    @Test func ipv6Address() throws {
        let line = try parse("1795300789: New client connected from ::1:53950 as dev (p2, c1, k60).")
        guard case .connected(let connection) = line.event else {
            Issue.record("expected a connect")
            return
        }
        #expect(connection.address == "::1:53950")
        #expect(connection.host == "::1")
        #expect(connection.port == 53950)
        let full = try parse("New client connected from fe80::1:2:3:4:60000 as dev (p5, c0, k30).")
        guard case .connected(let other) = full.event else {
            Issue.record("expected a connect")
            return
        }
        #expect(other.host == "fe80::1:2:3:4")
    }

    @Test(arguments: [
        "my device", "a:b:c", "dev as x", "x (p2, c1, k60)", "x (p2, c1, k60). (p", " leading", "é中文", "a'b')",
        "GID_a@@@dev as well (p",
    ])
    func awkwardClientIdsInConnectLines(clientId: String) throws {
        for username in [nil, "bob", "it's (p2 u'x')", "a (p2, c1, k1)"] as [String?] {
            let suffix = username.map { ", u'\($0)'" } ?? ""
            let text = "1795300789: New client connected from 127.0.0.1:1 as \(clientId) (p2, c1, k60\(suffix))."
            let line = try parse(text)
            guard case .connected(let connection) = line.event else {
                Issue.record("expected a connect for \(text)")
                continue
            }
            #expect(connection.clientId == clientId, "\(text)")
            #expect(connection.username == username, "\(text)")
            #expect(connection.keepAlive == 60)
        }
    }

    @Test(arguments: [
        "my device", "a:b:c", "dev as x", "x disconnected", "y closed its connection", "disconnected due to z",
        "q disconnected: r", "é中文",
    ])
    func awkwardClientIdsInClientLines(clientId: String) throws {
        #expect(try parse("1: Client \(clientId) disconnected.").event == .disconnected(clientId: clientId))
        #expect(
            try parse("1: Client \(clientId) closed its connection.").event
                == .closed(clientId: clientId, reason: .closedByClient))
        #expect(
            try parse("1: Client \(clientId) already connected, closing old connection.").event
                == .takenOver(clientId: clientId))
        #expect(
            try parse("1: Client \(clientId) disconnected due to protocol error.").event
                == .closed(clientId: clientId, reason: .error("protocol error")))
    }

    @Test func bridgeConnections() throws {
        let line = try parse("1: New bridge connected from 10.0.0.9:4000 as hub.bridge (p2, c0, k60, u'br').")
        guard case .connected(let connection) = line.event else {
            Issue.record("expected a connect")
            return
        }
        #expect(connection.isBridge)
        #expect(connection.clientId == "hub.bridge")
    }

    // MARK: Lines that do not concern connections

    @Test(arguments: [
        "1795300700: mosquitto version 2.0.11 starting",
        "1795300700: Config loaded from /etc/mosquitto/mosquitto.conf.",
        "1795300700: Opening ipv4 listen socket on port 18831.",
        "1795300700: Opening ipv6 listen socket on port 18831.",
        "1795300700: mosquitto version 2.0.11 running",
        "1795300760: Saving in-memory database to /var/lib/mosquitto/mosquitto.db.",
        "1795300789: New connection from ::1:53950 on port 18831.",
        "1795300800: Denied PUBLISH from GID_a@@@d1 (d0, q0, r0, m0, 'x', ... (3 bytes))",
        "1795300800: Outgoing messages are being dropped for client GID_a@@@d1.",
        "1795300800: Expiring client GID_a@@@d1 due to timeout.",
        "Warning: Mosquitto should not be run as root/administrator.",
        "1795300800: ",
        "hello",
        "1: New clients connected from 1.2.3.4:5 as dev (p2, c1, k60).",
    ])
    func otherLinesAreIgnored(text: String) throws {
        #expect(try parse(text).event == .ignored)
    }

    // MARK: Garbage

    @Test func emptyPayloads() {
        #expect(problem("") == .empty)
        #expect(problem("\n") == .empty)
        #expect(problem("\r\n\r\n") == .empty)
    }

    @Test func invalidUTF8() {
        #expect(problem([0x31, 0x3A, 0x20, 0xFF, 0xFE]) == .invalidUTF8)
        #expect(problem(Array("1: Client ".utf8) + [0xC3] + Array(" disconnected.".utf8)) == .invalidUTF8)
    }

    @Test(arguments: [
        "1: New client connected from",
        "1: New client connected",
        "1: New client connected to 1.2.3.4:5 as dev (p2, c1, k60).",
        "1: New client connected from ",
        "1: New client connected from 1.2.3.4:5",
        "1: New client connected from 1.2.3.4:5 x dev (p2, c1, k60).",
        "1: New client connected from 1.2.3.4:5 as dev",
        "1: New client connected from 1.2.3.4:5 as dev (p2, c1).",
        "1: New client connected from 1.2.3.4:5 as dev (px, c1, k60).",
        "1: New client connected from 1.2.3.4:5 as dev (p2, c1, k60",
        "1: New client connected from 1.2.3.4:5 as dev (p2, c1, k60, u'bob).",
        "1: New client connected from 1.2.3.4:5 as dev (p2, c1, k60) trailing",
        "1: New client connected from 1.2.3.4:5 as  (p2, c1, k60).",
        "1: New client connected from 1.2.3.4:5 as (p2, c1, k60).",
        "1: New client connected from 1.2.3.4:5 as dev (p99999999999999999999, c1, k60).",
    ])
    func malformedConnectLines(text: String) {
        #expect(problem(text) == .malformedConnectLine)
    }

    @Test(arguments: [
        "1: Client dev did something else.",
        "1: Client dev",
        "1: Client  disconnected.",
        "1: Client disconnected.",
        "1: Client dev disconnected due to",
        "1: Bad socket read/write on client dev",
        "1: Socket error on client dev",
    ])
    func unrecognisedClientLines(text: String) {
        #expect(problem(text) == .unrecognisedClientLine)
    }

    @Test func problemsHaveHumanMessages() {
        do {
            _ = try MosquittoLogParser.parse("1: Client dev did something else.")
            Issue.record("expected a problem")
        } catch {
            #expect(error.description.hasPrefix("unrecognised_client_line: "))
            #expect(!error.message.isEmpty)
        }
    }
}
