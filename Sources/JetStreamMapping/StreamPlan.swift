import BridgeCore

/// The streams the mapping file needs: one per queue topic of its outflow, status and inflow rules (file
/// storage, subjects `<prefix>.<topic>.>`), and the DLQ stream (`<prefix>.DLQ.>`) when there are inflow
/// rules. A stream that exists is checked, never changed: `conflicts` says what makes it unusable.
public struct StreamPlan: Sendable {
    public struct Stream: Sendable, Equatable {
        public var name: String
        public var subjects: [String]
    }

    public let streams: [Stream]
    public let replicas: Int

    public init(subjects: JetStreamSubjects, mappings: MappingTable, replicas: Int = 1) throws(JetStreamMappingError) {
        var topics: [String] = []
        var seen: Set<String> = []
        let all = mappings.outflowRules.map(\.queueTopic) + mappings.statusRules.map(\.queueTopic) + mappings.inflowRules.map(\.queueTopic)
        for topic in all where seen.insert(topic).inserted { topics.append(topic) }
        var streams: [Stream] = []
        for topic in topics {
            streams.append(Stream(name: try subjects.streamName(topic: topic), subjects: [try subjects.streamSubjects(topic: topic)]))
        }
        if !mappings.inflowRules.isEmpty {
            streams.append(Stream(name: subjects.dlqStreamName, subjects: [subjects.dlqStreamSubjects]))
        }
        self.streams = streams
        self.replicas = replicas
    }

    /// Why an existing stream cannot be used for `wanted`: its subjects do not take the wanted ones, or it
    /// has another number of replicas. Empty when it fits.
    public func conflicts(_ wanted: Stream, existingSubjects: [String], existingReplicas: Int) -> [String] {
        var problems: [String] = []
        let missing = wanted.subjects.filter { !existingSubjects.contains($0) }
        if !missing.isEmpty {
            problems.append("its subjects are \(existingSubjects.joined(separator: ",")), without \(missing.joined(separator: ","))")
        }
        if existingReplicas != replicas {
            problems.append("it has \(existingReplicas) replicas, the mapping file asks for \(replicas) (jetstream.replicas)")
        }
        return problems
    }
}
