import BridgeCore
import BridgeRuntime
import Foundation
import LoopbackHarness
import Synchronization
import TestSupport
import Testing

/// The console's data routes on a running bridge with traffic, read over plain HTTP (README "Console").
@Suite(.serialized) struct ConsoleTests {
    static let rules = BridgeFixture.telemetryAndCommands + statusRules

    /// One request on a connection of its own; `body` is sent with its `Content-Length`.
    static func request(_ port: Int, _ method: String, _ path: String, headers: [String] = [], body: String? = nil) throws -> HTTPClientResponse {
        let connection = try HTTPClientConnection(host: "127.0.0.1", port: port, timeout: .seconds(10))
        defer { connection.close() }
        var text = "\(method) \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        for header in headers { text += header + "\r\n" }
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        try connection.send(text)
        return try connection.readResponse(toHEAD: method == "HEAD")
    }

    static func json(_ response: HTTPClientResponse) throws -> JSONValue {
        try JSONValue.parse(bytes: response.body)
    }

    @Test(arguments: [BridgeFixture.Mode.inProcess, .runCommand])
    func stateShowsRulesPeersTrafficStatusAndRejections(mode: BridgeFixture.Mode) throws {
        let fixture = try BridgeFixture(mode: mode, rules: Self.rules, statusSource: "mosquitto-log")
        defer { fixture.stop() }
        let port = try #require(fixture.apiPort)
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "SENSOR_DATA")
        defer { consumer.stop() }
        let statusConsumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "CLIENT_STATUS")
        defer { statusConsumer.stop() }
        let device = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@console-1")
        defer { device.close() }
        try waitUntilBridgeFlows(publisher: device, topic: "sensors/probe/x", consumer: consumer, fixture: fixture)
        // A device connecting after the bridge follows the broker's log: the view has it online.
        let watched = try MQTTTestClient(broker: fixture.broker, id: "GID_sensors@@@console-2")
        defer { watched.close() }
        #expect(statusConsumer.waitForStatus(of: "GID_sensors@@@console-2", count: 1).first?.eventType == .connect)
        for index in 0..<50 {
            _ = try device.client.publish(topic: "sensors/room\(index % 2)/temp", payload: Array("c-\(index)".utf8), qos: .atLeastOnce)
        }
        #expect(waitUntilBlocking(timeout: .seconds(20)) { consumer.messages.count >= 50 })
        let producer = try QueueProducerClient(context: fixture.context, endpoint: fixture.acceptEndpoint, name: "console-producer")
        defer { producer.close() }
        let refused = QueueMessage(topic: "DEVICE_CMD", tag: "cmd", properties: ["mqttSecondTopic": "/d1/set", "qoslevel": "5"], body: [1])
        #expect(throws: (any Error).self) { _ = try producer.send(refused, timeoutMs: 10_000) }

        let response = try Self.request(port, "GET", "/console/state")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        let state = try Self.json(response)
        #expect((state["totals"]?["outflow"]?.numberValue ?? 0) >= 50)
        #expect((state["totals"]?["delivered"]?.numberValue ?? 0) >= 50)
        #expect(state["totals"]?["rejected"]?.numberValue == 1)
        guard case .array(let outflowRules)? = state["rules"]?["outflow"], case .array(let statusRuleList)? = state["rules"]?["status"],
              case .array(let inflowRules)? = state["rules"]?["inflow"] else {
            Issue.record("rules missing: \(response.text)")
            return
        }
        #expect(outflowRules.first?["id"]?.stringValue == "telemetry")
        #expect(outflowRules.first?["mqttFilter"]?.stringValue == "sensors/#")
        #expect((outflowRules.first?["count"]?.numberValue ?? 0) >= 50)
        #expect(inflowRules.first?["id"]?.stringValue == "commands")
        #expect(statusRuleList.first?["id"]?.stringValue == "sensor-status")
        #expect((statusRuleList.first?["count"]?.numberValue ?? 0) >= 1)
        #expect(state["lastReload"] == .null)

        guard case .array(let peers)? = state["peers"] else {
            Issue.record("peers missing: \(response.text)")
            return
        }
        let kinds = peers.compactMap { $0["kind"]?.stringValue }
        #expect(kinds.contains("mqtt-worker"))
        #expect(kinds.filter { $0 == "consumer" }.count == 2)
        #expect(peers.contains { $0["kind"]?.stringValue == "producer" && $0["name"]?.stringValue == "console-producer" })
        #expect(peers.contains { $0["topic"]?.stringValue == "SENSOR_DATA" && $0["tags"]?.stringValue == "*" })

        guard case .array(let checks)? = state["health"] else {
            Issue.record("health missing: \(response.text)")
            return
        }
        #expect(checks.contains { $0["name"]?.stringValue == "hub" && $0["ok"] == .bool(true) })
        #expect(checks.contains { $0["name"]?.stringValue == "broker" && $0["ok"] == .bool(true) })
        #expect(state["queue"]?["durableBacklog"]?.numberValue == 0)
        #expect(state["queue"]?["spoolBytes"]?.numberValue != nil)

        #expect((state["status"]?["online"]?.numberValue ?? 0) >= 1)
        #expect(state["status"]?["source"]?.stringValue == "mosquitto-log")
        guard case .array(let recent)? = state["status"]?["recent"], case .array(let rejections)? = state["recentRejections"] else {
            Issue.record("status or rejections missing: \(response.text)")
            return
        }
        #expect(recent.contains { $0["clientId"]?.stringValue == "GID_sensors@@@console-2" && $0["eventType"]?.stringValue == "connect" })
        #expect(state["rejectedByReason"]?["invalid_qos"]?.numberValue == 1)
        #expect(rejections.count == 1)
        #expect(rejections.first?["reason"]?.stringValue == "invalid_qos")
        #expect(rejections.first?["direction"]?.stringValue == "inflow")
        #expect(rejections.first?["topic"]?.stringValue == "DEVICE_CMD")
        #expect(rejections.first?["detail"]?.stringValue?.contains("qoslevel") == true)
    }

    @Test func eventsStreamTheStateEverySecond() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: BridgeFixture.telemetryAndCommands, withAPI: true)
        defer { fixture.stop() }
        let port = try #require(fixture.apiPort)
        let connection = try HTTPClientConnection(host: "127.0.0.1", port: port, timeout: .seconds(10))
        defer { connection.close() }
        try connection.send("GET /console/events HTTP/1.1\r\nHost: test\r\n\r\n")
        let head = try connection.readUntil("\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(head.lowercased().contains("content-type: text/event-stream"))
        // Chunked framing around the events: read until the third event has begun and ended.
        var text = try connection.readUntil("event: state\ndata: {")
        for _ in 0..<2 { text += try connection.readUntil("event: state\ndata: {") }
        text += try connection.readUntil("}\n\n")
        let times = text.matches(of: /"time":(\d+),"startedAt"/).compactMap { Int64($0.output.1) }
        #expect(times.count == 3, "\(text.prefix(400))")
        if times.count == 3 {
            #expect(times[1] - times[0] >= 900 && times[2] - times[1] >= 900, "one state a second: \(times)")
        }
    }

    /// Past 64 open streams the API says so, the other routes still answer, and a place frees once a client
    /// goes away.
    @Test func eventStreamsAreLimitedAndTheirPlacesComeBack() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: BridgeFixture.telemetryAndCommands, withAPI: true)
        defer { fixture.stop() }
        let port = try #require(fixture.apiPort)
        var streams: [HTTPClientConnection] = []
        defer { streams.forEach { $0.close() } }
        for _ in 0..<64 {
            let connection = try HTTPClientConnection(host: "127.0.0.1", port: port, timeout: .seconds(10))
            streams.append(connection)
            try connection.send("GET /console/events HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try connection.readUntil("event: state").contains("HTTP/1.1 200"))
        }
        let refused = try Self.request(port, "GET", "/console/events")
        #expect(refused.status == 503)
        #expect(try Self.json(refused)["Message"]?.stringValue?.contains("64 console event streams are open") == true)
        #expect(try Self.request(port, "GET", "/console/state").status == 200, "the other routes still answer")
        streams.removeFirst().close()
        // The server lets go of a stream when its next write fails, within a second or two.
        #expect(waitUntilBlocking(timeout: .seconds(10)) {
            let connection = try? HTTPClientConnection(host: "127.0.0.1", port: port, timeout: .seconds(5))
            guard let connection else { return false }
            defer { connection.close() }
            try? connection.send("GET /console/events HTTP/1.1\r\nHost: test\r\n\r\n")
            return (try? connection.readUntil("\r\n\r\n"))?.hasPrefix("HTTP/1.1 200") == true
        })
    }

    @Test func translateFormAnswersLikeTheCommand() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: BridgeFixture.telemetryAndCommands, withAPI: true)
        defer { fixture.stop() }
        let port = try #require(fixture.apiPort)

        let outflow = try Self.request(port, "POST", "/console/translate", body: #"""
            {"topic":"sensors/room1/temp","payload":"{\"celsius\":20}","qos":1,"clientId":"GID_sensors@@@d1",
             "userProperties":[{"key":"unit","value":"C"}]}
            """#)
        #expect(outflow.status == 200)
        let translated = try Self.json(outflow)
        #expect(translated["result"]?.stringValue == "translated", "\(outflow.text)")
        if case .array(let messages)? = translated["messages"] {
            #expect(messages.count == 1)
            let message = messages.first?["message"]
            #expect(messages.first?["rule"]?.stringValue == "telemetry")
            #expect(message?["topic"]?.stringValue == "SENSOR_DATA")
            #expect(message?["tag"]?.stringValue == "temp")
            #expect(message?["properties"]?["qoslevel"]?.stringValue == "1")
            #expect(message?["properties"]?["mqttSecondTopic"]?.stringValue == "/room1/temp")
            #expect(message?["body"]?.stringValue == #"{"celsius":20}"#)
        } else {
            Issue.record("no messages: \(outflow.text)")
        }

        let inflow = try Self.json(Self.request(port, "POST", "/console/translate", body: #"""
            {"direction":"inflow","topic":"DEVICE_CMD","tag":"cmd","properties":{"mqttSecondTopic":"/d1/set"},"body":"on"}
            """#))
        #expect(inflow["result"]?.stringValue == "translated")
        if case .array(let messages)? = inflow["messages"] {
            #expect(messages.first?["message"]?["topic"]?.stringValue == "devices/d1/set")
        }

        let rejected = try Self.json(Self.request(port, "POST", "/console/translate", body: #"""
            {"direction":"inflow","topic":"DEVICE_CMD","properties":{"mqttSecondTopic":"/d1/set","qoslevel":"5"},"body":"on"}
            """#))
        #expect(rejected["result"]?.stringValue == "rejected")
        #expect(rejected["reason"]?.stringValue == "invalid_qos")

        let unmatched = try Self.json(Self.request(port, "POST", "/console/translate", body: #"{"topic":"other/x","payload":"x"}"#))
        #expect(unmatched["result"]?.stringValue == "unmatched")

        for (body, hint) in [("not json", "not JSON"), (#"{"payload":"x"}"#, "topic"), (#"{"topic":"a","qos":7}"#, "qos"),
                             (#"{"topic":"a","direction":"sideways"}"#, "direction")] {
            let response = try Self.request(port, "POST", "/console/translate", body: body)
            #expect(response.status == 400, "\(body)")
            #expect(try Self.json(response)["message"]?.stringValue?.contains(hint) == true, "\(response.text)")
        }
        let get = try Self.request(port, "GET", "/console/translate")
        #expect(get.status == 405)
        #expect(get.headers["Allow"] == "POST")
        let elsewhere = try Self.request(port, "POST", "/console/state", body: "{}")
        #expect(elsewhere.status == 405, "only the form takes POST")
        let tooLarge = try Self.request(port, "POST", "/console/translate", headers: ["Content-Length: 2000000"])
        #expect(tooLarge.status == 413)
    }

    @Test func thePageIsServedAtTheRootAndTheQueriesStayThere() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: BridgeFixture.telemetryAndCommands, withAPI: true)
        defer { fixture.stop() }
        let port = try #require(fixture.apiPort)
        let page = try Self.request(port, "GET", "/")
        #expect(page.status == 200)
        #expect(page.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("<title>mqbridge console</title>"))
        #expect(page.text.contains("new EventSource(\"/console/events\""))
        #expect(!page.text.contains("http://") && !page.text.contains("https://"), "nothing is fetched from elsewhere")
        let head = try Self.request(port, "HEAD", "/")
        #expect(head.status == 200 && head.body.isEmpty)
        let missing = try Self.json(Self.request(port, "GET", "/?Action="))
        #expect(missing["Code"]?.stringValue == "MissingParameter.Action")
        let query = try Self.json(Self.request(port, "GET", "/?Action=QuerySessionByClientId&ClientId=nobody"))
        #expect(query["OnlineStatus"] == .bool(false))
    }

    /// SIGHUP with a broken file, then a good one: the console says when and how each reload went.
    @Test func theLastReloadIsShownWithItsResult() throws {
        let fixture = try BridgeFixture(mode: .runCommand, rules: BridgeFixture.telemetryAndCommands, withAPI: true)
        defer { fixture.stop() }
        let port = try #require(fixture.apiPort)
        #expect(waitUntilBlocking(timeout: .seconds(20)) { (try? Self.request(port, "GET", "/healthz")) != nil })
        #expect(try Self.json(Self.request(port, "GET", "/console/state"))["lastReload"] == .null)
        let good = try String(contentsOfFile: fixture.configPath, encoding: .utf8)

        try (good + "outflow: [broken\n").write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        fixture.signalBridge(SIGHUP)
        var reload: JSONValue?
        #expect(waitUntilBlocking(timeout: .seconds(20)) {
            reload = try? Self.json(Self.request(port, "GET", "/console/state"))["lastReload"]
            return reload != nil && reload != .null
        })
        #expect(reload?["ok"] == .bool(false))
        #expect(reload?["detail"]?.stringValue?.contains("refused, the rules in use stay") == true, "\(String(describing: reload))")

        try good.replacingOccurrences(of: "id: commands", with: "id: orders").write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        fixture.signalBridge(SIGHUP)
        #expect(waitUntilBlocking(timeout: .seconds(20)) {
            (try? Self.json(Self.request(port, "GET", "/console/state"))["lastReload"]?["ok"]) == .bool(true)
        })
        let state = try Self.json(Self.request(port, "GET", "/console/state"))
        #expect(state["lastReload"]?["detail"]?.stringValue == "1 outflow, 1 inflow, 0 status rules")
        #expect((state["lastReload"]?["time"]?.numberValue ?? 0) >= (state["startedAt"]?.numberValue ?? .infinity))
        if case .array(let inflow)? = state["rules"]?["inflow"] {
            #expect(inflow.map { $0["id"]?.stringValue } == ["orders"], "the rules as reloaded")
        } else {
            Issue.record("no inflow rules: \(state)")
        }
    }

    @Test(arguments: [BridgeFixture.Mode.inProcess, .runCommand])
    func theTokenGuardsEveryRoute(mode: BridgeFixture.Mode) throws {
        let token = "c0ns0le-t0ken-0123456789abcdef"
        let fixture = try BridgeFixture(mode: mode, rules: BridgeFixture.telemetryAndCommands, withAPI: true, apiToken: token)
        defer { fixture.stop() }
        let port = try #require(fixture.apiPort)
        // `mqbridge run` listens a moment after it starts.
        #expect(waitUntilBlocking(timeout: .seconds(20)) { (try? Self.request(port, "GET", "/healthz")) != nil })
        let paths = ["/", "/console/state", "/healthz", "/metrics", "/?Action=QuerySessionByClientId&ClientId=a", "/v1/clients/a"]
        for path in paths {
            let refused = try Self.request(port, "GET", path)
            #expect(refused.status == 401, "\(path)")
            #expect(refused.headers["WWW-Authenticate"] == "Bearer")
            #expect(try Self.json(refused)["Code"]?.stringValue == "Unauthorized")
            #expect(try Self.request(port, "GET", path, headers: ["Authorization: Bearer wrong-token-0123456789"]).status == 401)
            let bearer = try Self.request(port, "GET", path, headers: ["Authorization: Bearer \(token)"])
            #expect(bearer.status != 401, "\(path): \(bearer.text.prefix(200))")
            let separator = path.contains("?") ? "&" : "?"
            #expect(try Self.request(port, "GET", path + separator + "token=" + token).status != 401, "\(path)")
        }
        #expect(try Self.request(port, "POST", "/console/translate", body: #"{"topic":"a"}"#).status == 401)
        #expect(try Self.request(port, "GET", "/?token=\(token)").text.contains("mqbridge console"), "the page, with its token")

        // The same from Python's own HTTP client: the bearer token opens /console/state, none gets 401.
        let script = """
            import json, sys, urllib.error, urllib.request
            url = "http://127.0.0.1:\(port)/console/state"
            try:
                urllib.request.urlopen(url, timeout=10)
                print("no-token 200")
            except urllib.error.HTTPError as error:
                print("no-token", error.code, error.headers.get("WWW-Authenticate"))
            request = urllib.request.Request(url, headers={"Authorization": "Bearer \(token)"})
            state = json.load(urllib.request.urlopen(request, timeout=10))
            print("bearer", sorted(state["totals"]))
            """
        let python = try ManagedProcess(executable: "/usr/bin/python3", arguments: ["-c", script])
        #expect(python.waitForExit(timeout: .seconds(30)) == 0, "\(python.stderrText)")
        #expect(python.stdoutLines.first == "no-token 401 Bearer")
        #expect(python.stdoutLines.last?.hasPrefix("bearer ['delivered', 'inflow', 'outflow'") == true, "\(python.stdoutText)")
    }
}
