import Foundation
import LoopbackHarness

/// Pins processes to CPUs with `taskset` (util-linux), for runs that give each side a core of its own.
enum CPUAffinity {
    /// Every CPU of the machine, as taskset writes a list: `0-1`.
    static var allCPUs: String { "0-\(ProcessInfo.processInfo.activeProcessorCount - 1)" }

    /// Moves every thread of `pid` to `cpus` (`0`, `1`, `0-1`); threads they start later inherit it.
    /// A thread that ends while taskset goes through them fails it ("No such process"); it is tried again.
    static func pin(pid: Int32, cpus: String) throws {
        var failure = ""
        for _ in 0..<5 {
            let tool = try ManagedProcess(executable: "taskset", arguments: ["-a", "-p", "-c", cpus, String(pid)])
            let status = tool.waitForExit(timeout: .seconds(10)) ?? tool.terminate() ?? -1
            if status == 0 { return }
            failure = "exit \(status): \(tool.stderrText)"
        }
        throw BenchError("taskset -a -p -c \(cpus) \(pid) failed (\(failure))")
    }

    /// `taskset -c CPUS EXECUTABLE ARGUMENTS…`: the arguments that start a program on `cpus`.
    static func command(_ executable: String, _ arguments: [String], cpus: String) -> (String, [String]) {
        ("taskset", ["-c", cpus, executable] + arguments)
    }
}

/// Busy time of each CPU from /proc/stat (`cpuN` lines), to tell which core held a pinned run back.
struct PerCPUTime {
    /// Per CPU: busy and total ticks (idle, I/O wait and steal are not busy).
    var cpus: [Int: (busy: Double, total: Double)] = [:]

    static func now() -> PerCPUTime {
        var result = PerCPUTime()
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return result }
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") && !line.hasPrefix("cpu ") {
            let fields = line.split(separator: " ")
            guard let index = Int(fields[0].dropFirst(3)) else { continue }
            // cpuN user nice system idle iowait irq softirq steal
            let values = fields.dropFirst().compactMap { Double($0) }
            guard values.count >= 8 else { continue }
            let total = values.prefix(8).reduce(0, +)
            result.cpus[index] = (total - values[3] - values[4] - values[7], total)
        }
        return result
    }

    /// Per cent of `cpu`'s time since `earlier` that it was busy.
    func busyPercent(_ cpu: Int, since earlier: PerCPUTime) -> Double {
        guard let now = cpus[cpu], let then = earlier.cpus[cpu], now.total > then.total else { return 0 }
        return (now.busy - then.busy) / (now.total - then.total) * 100
    }
}

/// CPU time of other processes, whole and by thread name, read from /proc/PID/task: what each part of a
/// receiving side spent on its core.
struct ProcessCPU {
    /// Per process label: the whole process (ended threads included) and its threads by grouped name.
    var processes: [String: (total: Double, threads: [String: Double])] = [:]

    static func snapshot(_ processes: [(pid: Int32, name: String)]) -> ProcessCPU {
        var result = ProcessCPU()
        for process in processes {
            var threads: [String: Double] = [:]
            for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/task")) ?? [] {
                if let (name, seconds) = ThreadCPU.read("/proc/\(process.pid)/task/\(task)/stat") {
                    threads[ThreadCPU.group(name), default: 0] += seconds
                }
            }
            let total = ThreadCPU.read("/proc/\(process.pid)/stat")?.1 ?? 0
            let previous = result.processes[process.name]
            result.processes[process.name] = (
                (previous?.total ?? 0) + total, (previous?.threads ?? [:]).merging(threads, uniquingKeysWith: +)
            )
        }
        return result
    }

    /// CPU seconds per process label (and per thread name inside it) since `earlier`.
    func since(_ earlier: ProcessCPU) -> [String: (total: Double, threads: [String: Double])] {
        var delta: [String: (total: Double, threads: [String: Double])] = [:]
        for (name, now) in processes {
            let then = earlier.processes[name]
            var threads: [String: Double] = [:]
            for (thread, seconds) in now.threads {
                let spent = seconds - (then?.threads[thread] ?? 0)
                if spent > 0 { threads[thread] = spent }
            }
            delta[name] = (max(0, now.total - (then?.total ?? 0)), threads)
        }
        return delta
    }
}
