/// The inflow rules indexed by queue topic, laid out for one lookup per message.
///
/// The rules of a queue topic are kept as a run of `Candidate`s in one array, in file order (the table gives
/// where a run starts; its last record says so), each with
/// what a translation reads from its rule (ID, parent topic, default QoS) and its tags as a run in
/// `tags`, so a lookup reads a few adjacent records and no per-rule heap objects. When every rule's queue
/// topic is ASCII, an ASCII message topic is found by its bytes in a `ByteKeyTable`; otherwise by string
/// comparison in a dictionary, so canonically equivalent spellings match as they do for `String`.
struct InflowIndex: Sendable {
    /// One inflow rule as the lookup sees it.
    struct Candidate: Sendable {
        /// Position of the rule in the table's `inflowRules`.
        var rule: Int32
        /// Start of the rule's tags in `tags`; `tagCount` is -1 for `*` (every message, tagged or not).
        var tagStart: Int32
        var tagCount: Int32
        var qos: QoS?
        /// Whether `mqttParent` has no NUL, `+` or `#`, so a topic made from it needs only the sub-topic checked.
        var parentIsClean: Bool
        /// Whether this is the last rule of its queue topic's run.
        var isLast: Bool
        var id: String
        var mqttParent: String
        /// The first two tags, kept here so that most rules are decided without reading `tags`.
        var firstTags: (String?, String?)
    }

    /// The candidates of every queue topic, one run per topic, in file order within a run.
    private(set) var candidates: [Candidate] = []
    private var tags: [String] = []
    private var byBytes = ByteKeyTable()
    private var byString: [String: Int32] = [:]
    private var allTopicsASCII = true

    init(_ rules: [InflowRule]) {
        var grouped: [String: [Int]] = [:]
        var order: [String] = []
        for (position, rule) in rules.enumerated() {
            if grouped[rule.queueTopic] == nil { order.append(rule.queueTopic) }
            grouped[rule.queueTopic, default: []].append(position)
        }
        for topic in order {
            let start = Int32(candidates.count)
            for position in grouped[topic]! {
                let rule = rules[position]
                var tagStart = Int32(tags.count)
                var tagCount: Int32 = -1
                if let accepted = rule.tags.tags {
                    tagStart = Int32(tags.count)
                    tagCount = Int32(accepted.count)
                    tags.append(contentsOf: accepted)
                }
                let runTags = tags[Int(tagStart)...]
                candidates.append(Candidate(
                    rule: Int32(position), tagStart: tagStart, tagCount: tagCount, qos: rule.qos,
                    parentIsClean: !rule.mqttParent.utf8.contains { $0 == 0 || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") },
                    isLast: false, id: rule.id, mqttParent: rule.mqttParent,
                    firstTags: (tagCount >= 1 ? runTags.first : nil, tagCount >= 2 ? runTags.dropFirst().first : nil)))
            }
            candidates[candidates.count - 1].isLast = true
            let number = start
            byString[topic] = number
            if topic.utf8.allSatisfy({ $0 < 0x80 }) {
                byBytes.insert(scope: 0, key: Array(topic.utf8), value: number)
            } else {
                allTopicsASCII = false
            }
        }
    }

    /// Where the run of a queue topic's candidates starts, or nil when no rule takes the topic.
    func candidates(forQueueTopic topic: String) -> Int32? {
        if allTopicsASCII {
            let found = topic.utf8.withContiguousStorageIfAvailable { bytes -> Int32?? in
                for byte in bytes where byte >= 0x80 { return .none }
                return .some(byBytes.find(scope: 0, key: bytes))
            }
            if case .some(.some(let number)) = found {
                return number
            }
        }
        return byString[topic]
    }

    /// The first candidate of the run starting at `start` whose tags accept `tag`, as `TagExpression.accepts`
    /// decides.
    func first(inRunAt start: Int32, accepting tag: String?) -> Candidate? {
        candidates.withUnsafeBufferPointer { candidates in
            var index = Int(start)
            while true {
                let candidate = candidates[index]
                if candidate.tagCount < 0 { return candidate }
                if let tag {
                    if candidate.firstTags.0 == tag || candidate.firstTags.1 == tag { return candidate }
                    if candidate.tagCount > 2 {
                        let first = Int(candidate.tagStart)
                        for position in first + 2..<first + Int(candidate.tagCount) where tags[position] == tag {
                            return candidate
                        }
                    }
                }
                if candidate.isLast { return nil }
                index += 1
            }
        }
    }
}
