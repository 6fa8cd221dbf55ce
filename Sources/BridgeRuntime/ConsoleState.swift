import BridgeCore
import BridgeHub

/// When the rules were last reloaded and how it went.
public struct ReloadRecord: Sendable, Equatable {
    /// Milliseconds since the epoch.
    public var time: Int64
    public var ok: Bool
    /// What was loaded, or why the file was refused.
    public var detail: String

    public init(time: Int64, ok: Bool, detail: String) {
        self.time = time
        self.ok = ok
        self.detail = detail
    }
}

/// Everything the console shows at one moment, read from the running bridge; ``json`` is the body of
/// `GET /console/state` and of each `state` event on `/console/events` (README "Console").
public struct ConsoleState: Sendable {
    /// Milliseconds since the epoch, when it was read.
    public var time: Int64
    /// When the bridge started (milliseconds since the epoch).
    public var startedAt: Int64
    public var counters: HubCounters
    public var mappings: MappingTable
    public var lastReload: ReloadRecord?
    /// The health checks of `/healthz`: hub, engine, JetStream, broker.
    public var health: [HealthReport.Check]
    /// The MQTT worker's outflow spool, when this process has one.
    public var spoolBytes: Int?
    public var spoolMessages: Int?
    /// The online-status view, when `status.source` is set.
    public var status: StatusView?

    public struct StatusView: Sendable {
        public var source: String
        public var online: Int
        public var tracked: Int
        /// The latest status events, oldest first.
        public var recent: [StatusEvent]

        public init(source: String, online: Int, tracked: Int, recent: [StatusEvent]) {
            self.source = source
            self.online = online
            self.tracked = tracked
            self.recent = recent
        }
    }

    public init(time: Int64, startedAt: Int64, counters: HubCounters, mappings: MappingTable, lastReload: ReloadRecord?,
                health: [HealthReport.Check], spoolBytes: Int? = nil, spoolMessages: Int? = nil, status: StatusView? = nil) {
        self.time = time
        self.startedAt = startedAt
        self.counters = counters
        self.mappings = mappings
        self.lastReload = lastReload
        self.health = health
        self.spoolBytes = spoolBytes
        self.spoolMessages = spoolMessages
        self.status = status
    }

    /// The state as one JSON object.
    public var json: String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("time")
        writer.number(time)
        writer.key("startedAt")
        writer.number(startedAt)
        writeTotals(&writer)
        writeRules(&writer)
        writer.key("lastReload")
        if let lastReload {
            writer.beginObject()
            writer.key("time")
            writer.number(lastReload.time)
            writer.key("ok")
            writer.bool(lastReload.ok)
            writer.field("detail", lastReload.detail)
            writer.endObject()
        } else {
            writer.null()
        }
        writePeers(&writer)
        writer.key("health")
        writer.beginArray()
        for check in health {
            writer.beginObject()
            writer.field("name", check.name)
            writer.key("ok")
            writer.bool(check.ok)
            writer.field("detail", check.detail)
            writer.endObject()
        }
        writer.endArray()
        writer.key("queue")
        writer.beginObject()
        writer.key("inFlight")
        writer.number(Int64(counters.inFlight))
        writer.key("durableBacklog")
        writer.number(Int64(counters.heldForDurableGroups))
        writer.key("heldForEngine")
        writer.number(Int64(counters.heldForEngine))
        writer.key("spoolBytes")
        if let spoolBytes { writer.number(Int64(spoolBytes)) } else { writer.null() }
        writer.key("spoolMessages")
        if let spoolMessages { writer.number(Int64(spoolMessages)) } else { writer.null() }
        writer.endObject()
        writeStatus(&writer)
        writeRejections(&writer)
        writer.endObject()
        return writer.text
    }

    private func writeTotals(_ writer: inout JSONWriter) {
        writer.key("totals")
        writer.beginObject()
        let totals: [(String, Int)] = [
            ("outflowReceived", counters.outflowReceived),
            ("outflow", counters.outflowRouted.values.reduce(0, +)),
            ("delivered", counters.deliveriesAcked),
            ("inflow", counters.inflowPublished.values.reduce(0, +)),
            ("rejected", counters.rejected.values.reduce(0, +)),
            ("unmatched", counters.unmatched),
            ("unrouted", counters.unrouted),
            ("protocolErrors", counters.protocolErrors.values.reduce(0, +)),
        ]
        for (name, value) in totals {
            writer.key(name)
            writer.number(Int64(value))
        }
        writer.endObject()
    }

    private func writeRules(_ writer: inout JSONWriter) {
        writer.key("rules")
        writer.beginObject()
        writeRuleList(&writer, "outflow", mappings.outflowRules) { rule in
            ([("id", rule.id), ("mqttFilter", rule.filter.description), ("queueTopic", rule.queueTopic)], counters.outflowRouted[rule.id])
        }
        writeRuleList(&writer, "inflow", mappings.inflowRules) { rule in
            ([("id", rule.id), ("queueTopic", rule.queueTopic), ("tags", rule.tags.description), ("mqttParent", rule.mqttParent)],
             counters.inflowPublished[rule.id])
        }
        writeRuleList(&writer, "status", mappings.statusRules) { rule in
            ([("id", rule.id), ("groupId", rule.groupId), ("queueTopic", rule.queueTopic)], counters.outflowRouted[rule.id])
        }
        writer.endObject()
    }

    /// `"key":[{fields…,"count":n}, …]`, one object a rule.
    private func writeRuleList<Rule>(_ writer: inout JSONWriter, _ key: String, _ rules: [Rule],
                                     _ describe: (Rule) -> (fields: [(String, String)], count: Int?)) {
        writer.key(key)
        writer.beginArray()
        for rule in rules {
            let (fields, count) = describe(rule)
            writer.beginObject()
            for (name, value) in fields { writer.field(name, value) }
            writer.key("count")
            writer.number(Int64(count ?? 0))
            writer.endObject()
        }
        writer.endArray()
    }

    private func writePeers(_ writer: inout JSONWriter) {
        writer.key("peers")
        writer.beginArray()
        for peer in counters.peers {
            writer.beginObject()
            writer.field("kind", peer.kind.rawValue)
            writer.field("name", peer.name)
            if let topic = peer.topic { writer.field("topic", topic) }
            if let tags = peer.tags { writer.field("tags", tags) }
            if let group = peer.group {
                writer.field("group", group)
                writer.key("durable")
                writer.bool(peer.durable)
            }
            if let window = peer.window {
                writer.key("window")
                writer.number(Int64(window))
            }
            writer.key("inFlight")
            writer.number(Int64(peer.inFlight))
            writer.endObject()
        }
        writer.endArray()
    }

    private func writeStatus(_ writer: inout JSONWriter) {
        writer.key("status")
        guard let status else {
            writer.null()
            return
        }
        writer.beginObject()
        writer.field("source", status.source)
        writer.key("online")
        writer.number(Int64(status.online))
        writer.key("tracked")
        writer.number(Int64(status.tracked))
        writer.key("recent")
        writer.beginArray()
        for event in status.recent.reversed() {
            writer.beginObject()
            writer.field("clientId", event.clientId)
            writer.key("time")
            writer.number(event.time)
            writer.field("eventType", event.eventType.rawValue)
            writer.field("channelId", event.channelId)
            writer.field("clientIp", event.clientIp)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
    }

    private func writeRejections(_ writer: inout JSONWriter) {
        writer.key("rejectedByReason")
        writer.beginObject()
        for (reason, count) in counters.rejected.sorted(by: { $0.key < $1.key }) {
            writer.key(reason)
            writer.number(Int64(count))
        }
        writer.endObject()
        writer.key("recentRejections")
        writer.beginArray()
        for rejection in counters.recentRejections.reversed() {
            writer.beginObject()
            writer.key("time")
            writer.number(rejection.time)
            writer.field("direction", rejection.direction.rawValue)
            writer.field("reason", rejection.reason)
            writer.field("topic", rejection.topic)
            writer.field("detail", rejection.detail)
            writer.endObject()
        }
        writer.endArray()
    }
}
