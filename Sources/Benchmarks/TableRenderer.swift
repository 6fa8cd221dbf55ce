/// The readable form of a report: one table per benchmark, then the targets.
enum TableRenderer {
    static func render(_ report: BenchReport) -> String {
        var text = ""
        let machine = report.machine
        text += "mqbridge-bench (\(machine.build) build\(report.quick ? ", --quick" : "")): \(machine.cores) cores, "
        text += "\(format(machine.memoryGiB, digits: 1)) GiB, load average \(format(machine.loadAverageAtStart, digits: 2)) at start"
        if let end = machine.loadAverageAtEnd { text += ", \(format(end, digits: 2)) at end" }
        if let steal = machine.stealPercent { text += ", \(format(steal, digits: 1))% of CPU time stolen by the hypervisor" }
        text += "; libzmq \(machine.libzmq), libmosquitto \(machine.libmosquitto), \(machine.mosquitto)\n"
        for benchmark in report.benchmarks {
            let steal = benchmark.stealPercent.map { ", \(format($0, digits: 1))% stolen" } ?? ""
            text += "\n## \(benchmark.title) (\(format(benchmark.seconds, digits: 1)) s\(steal))\n"
            if benchmark.figures.contains(where: { $0.before != nil }) {
                text += table(["figure", "value", "before", "unit"],
                              benchmark.figures.map { [$0.label, number($0.value, unit: $0.unit), before($0), $0.unit] },
                              rightAligned: [1, 2])
            } else {
                text += table(["figure", "value", "unit"], benchmark.figures.map { [$0.label, number($0.value, unit: $0.unit), $0.unit] },
                              rightAligned: [1])
            }
            for note in benchmark.notes { text += "  note: \(note)\n" }
        }
        if !report.targets.isEmpty {
            text += "\n## Targets\n"
            let rows = report.targets.map { target -> [String] in
                let measured = target.measured.map { number($0, unit: target.unit) + " " + target.unit } ?? "not measured"
                return [target.name, "\(target.direction.rawValue) \(number(target.target, unit: target.unit)) \(target.unit)", measured,
                        verdict(target)]
            }
            text += table(["target", "required", "measured", "verdict"], rows, rightAligned: [2])
            for target in report.targets where target.met == false {
                text += "  \(target.name) — \(target.why)\n"
            }
        }
        return text
    }

    /// The figure's reference from before the work on the hot paths: `0.57`, `46,000–50,000`, or blank.
    static func before(_ figure: Figure) -> String {
        guard let reference = figure.before else { return "" }
        let low = number(reference.low, unit: figure.unit)
        return reference.high.map { low + "–" + number($0, unit: figure.unit) } ?? low
    }

    /// `met, 23.0% over` or `MISSED by 31.0%`; for limits (at most) the distance to the limit in its unit.
    static func verdict(_ target: TargetCheck) -> String {
        guard let met = target.met, let measured = target.measured, let margin = target.marginPercent else { return "-" }
        if target.direction == .atMost {
            let distance = number(abs(target.target - measured), unit: target.unit) + " " + target.unit
            return met ? "met, \(distance) under the limit" : "MISSED by \(distance) (\(format(abs(margin), digits: 0))%)"
        }
        return met ? "met, \(format(margin, digits: 1))% over" : "MISSED by \(format(abs(margin), digits: 1))%"
    }

    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int>) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return rightAligned.contains(index) ? padding + cell : cell + padding
            }.joined(separator: " | ") + " |\n"
        }
        var text = line(header)
        text += "|" + widths.enumerated().map { index, width in
            rightAligned.contains(index) ? String(repeating: "-", count: width + 1) + ":" : String(repeating: "-", count: width + 2)
        }.joined(separator: "|") + "|\n"
        for row in rows { text += line(row) }
        return text
    }

    /// Whole numbers with thousands separators; ratios and small values with decimals.
    static func number(_ value: Double, unit: String) -> String {
        if unit == "ratio" || unit == "x" { return format(value, digits: 3) }
        if abs(value) >= 100 { return grouped(Int(value.rounded())) }
        if abs(value) >= 10 { return format(value, digits: 1) }
        return format(value, digits: 2)
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }

    static func format(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        let negative = scaled < 0
        let magnitude = Int(abs(scaled))
        let whole = magnitude / Int(scale)
        var fraction = String(magnitude % Int(scale))
        while fraction.count < digits { fraction = "0" + fraction }
        return (negative ? "-" : "") + (digits == 0 ? "\(whole)" : "\(whole).\(fraction)")
    }
}
