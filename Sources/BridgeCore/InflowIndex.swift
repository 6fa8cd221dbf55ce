/// The inflow rules indexed by queue topic, laid out for one lookup per message.
///
/// The rules of a queue topic are kept as a run of `Candidate`s in one array, in file order, each with
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
        var id: String
        var mqttParent: String
    }

    /// Where the candidates of each queue topic are: `runs[n]` for topic number n.
    private var runs: [Range<Int32>] = []
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
                candidates.append(Candidate(
                    rule: Int32(position), tagStart: tagStart, tagCount: tagCount, qos: rule.qos,
                    parentIsClean: !rule.mqttParent.utf8.contains { $0 == 0 || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") },
                    id: rule.id, mqttParent: rule.mqttParent))
            }
            let number = Int32(runs.count)
            runs.append(start..<Int32(candidates.count))
            byString[topic] = number
            if topic.utf8.allSatisfy({ $0 < 0x80 }) {
                byBytes.insert(scope: 0, key: Array(topic.utf8), value: number)
            } else {
                allTopicsASCII = false
            }
        }
    }

    /// The candidates of a queue topic, in file order, or nil when no rule takes the topic.
    func candidates(forQueueTopic topic: String) -> Range<Int32>? {
        if allTopicsASCII {
            let found = topic.utf8.withContiguousStorageIfAvailable { bytes -> Int32?? in
                for byte in bytes where byte >= 0x80 { return .none }
                return .some(byBytes.find(scope: 0, key: bytes))
            }
            if case .some(.some(let number)) = found {
                return number.map { runs[Int($0)] }
            }
        }
        return byString[topic].map { runs[Int($0)] }
    }

    /// The first candidate in `range` whose tags accept `tag`, as `TagExpression.accepts` decides.
    func first(in range: Range<Int32>, accepting tag: String?) -> Candidate? {
        candidates.withUnsafeBufferPointer { candidates in
            tags.withUnsafeBufferPointer { tags in
                for index in range {
                    let candidate = candidates[Int(index)]
                    if candidate.tagCount < 0 { return candidate }
                    guard let tag else { continue }
                    let start = Int(candidate.tagStart)
                    for position in start..<start + Int(candidate.tagCount) where tags[position] == tag {
                        return candidate
                    }
                }
                return nil
            }
        }
    }
}
