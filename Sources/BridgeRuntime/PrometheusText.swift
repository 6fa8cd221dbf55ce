import BridgeHub

/// Builds the Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE` and samples.
struct PrometheusText {
    private(set) var text = ""

    mutating func counter(_ name: String, _ help: String, _ value: Int, labels: [(String, String)] = []) {
        header(name, help, "counter")
        sample(name, labels, String(value))
    }

    /// One counter family with a sample per label value (none written when `values` is empty, but the
    /// header is, so the family is always listed).
    mutating func counters(_ name: String, _ help: String, label: String, _ values: [String: Int]) {
        header(name, help, "counter")
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            sample(name, [(label, key)], String(value))
        }
    }

    mutating func gauge(_ name: String, _ help: String, _ value: Int) {
        header(name, help, "gauge")
        sample(name, [], String(value))
    }

    mutating func histogram(_ name: String, _ help: String, _ histogram: LatencyHistogram) {
        header(name, help, "histogram")
        var cumulative = 0
        for (index, bound) in LatencyHistogram.boundsMs.enumerated() {
            cumulative += histogram.buckets[index]
            sample(name + "_bucket", [("le", Self.seconds(bound))], String(cumulative))
        }
        sample(name + "_bucket", [("le", "+Inf")], String(histogram.count))
        sample(name + "_sum", [], Self.seconds(histogram.sumMs))
        sample(name + "_count", [], String(histogram.count))
    }

    private mutating func header(_ name: String, _ help: String, _ type: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    private mutating func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " \(value)\n"
    }

    /// Milliseconds as seconds, exactly (three decimals).
    static func seconds(_ milliseconds: Int64) -> String {
        let whole = milliseconds / 1_000
        let fraction = String(milliseconds % 1_000)
        return "\(whole).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
