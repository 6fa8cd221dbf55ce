import Foundation

/// One measured figure.
struct Figure: Codable, Sendable {
    /// Stable key, e.g. `translation.outflow.rules10000`.
    var key: String
    /// What a reader sees in the table.
    var label: String
    var value: Double
    var unit: String
    /// The same figure before the work on the hot paths (``Baseline``), when there is one.
    var before: Baseline.Reference?
}

/// The figures of one benchmark, and what it noticed on the way.
struct BenchmarkResult: Codable, Sendable {
    var name: String
    var title: String
    var figures: [Figure] = []
    var notes: [String] = []
    var seconds: Double = 0
    /// Share of the machine's CPU time the hypervisor gave to others while the benchmark ran (`steal` in
    /// /proc/stat): on a shared VM it explains runs that come out slow or with long tails.
    var stealPercent: Double?

    mutating func add(_ key: String, _ label: String, _ value: Double, _ unit: String) {
        let key = "\(name).\(key)"
        figures.append(Figure(key: key, label: label, value: value, unit: unit, before: Baseline.figures[key]))
    }

    func value(_ key: String) -> Double? {
        figures.first { $0.key == "\(name).\(key)" }?.value
    }
}

/// A target from the issue, checked against a figure.
struct TargetCheck: Codable, Sendable {
    enum Direction: String, Codable, Sendable {
        case atLeast = ">="
        case atMost = "<="
    }

    var name: String
    var figure: String
    var direction: Direction
    var target: Double
    var unit: String
    var measured: Double?
    var met: Bool?
    /// How far over (positive) or short (negative) of the target, in per cent of the target.
    var marginPercent: Double?
    var why: String

    mutating func evaluate(_ value: Double?) {
        measured = value
        guard let value else { return }
        switch direction {
        case .atLeast:
            met = value >= target
            marginPercent = (value - target) / target * 100
        case .atMost:
            met = value <= target
            marginPercent = (target - value) / target * 100
        }
    }
}

/// Where the figures were measured.
struct MachineInfo: Codable, Sendable {
    var cores: Int
    var memoryGiB: Double
    var loadAverageAtStart: Double
    var loadAverageAtEnd: Double?
    var stealPercent: Double?
    var libzmq: String
    var libmosquitto: String
    var mosquitto: String
    var build: String
    var date: String
}

/// Everything one run of `mqbridge-bench` measured: written as JSON and printed as tables.
struct BenchReport: Codable, Sendable {
    var machine: MachineInfo
    var quick: Bool
    var benchmarks: [BenchmarkResult] = []
    var targets: [TargetCheck] = []

    var allFigures: [Figure] { benchmarks.flatMap(\.figures) }

    func figure(_ key: String) -> Double? {
        allFigures.first { $0.key == key }?.value
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
