import BridgeRuntime
import Foundation

/// CPU time (user + system) of this process's threads, by OS thread name (`mqbridge-hub`,
/// `mqbridge-worker`, `mosquitto loop`, `ZMQbg/IO/0`, `loadgen-N`, …), and of another process, read from
/// `/proc`. Taken before and after a run, the difference says where the CPU went.
struct ThreadCPU {
    /// Per thread id: its name and CPU seconds.
    var threads: [String: (name: String, seconds: Double)] = [:]
    /// The whole process, ended threads included.
    var processSeconds = 0.0
    /// Other processes (the broker, nats-server) by pid: their name and CPU seconds.
    var others: [Int32: (name: String, seconds: Double)] = [:]

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let endedThreads = "ended threads (load generator, producers)"

    static func snapshot(otherProcess: (pid: Int32, name: String)? = nil) -> ThreadCPU {
        snapshot(otherProcesses: otherProcess.map { [$0] } ?? [])
    }

    static func snapshot(otherProcesses: [(pid: Int32, name: String)]) -> ThreadCPU {
        var result = ThreadCPU()
        for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? [] {
            if let (name, seconds) = read("/proc/self/task/\(task)/stat") { result.threads[task] = (name, seconds) }
        }
        result.processSeconds = read("/proc/self/stat")?.1 ?? 0
        for other in otherProcesses {
            if let (_, seconds) = read("/proc/\(other.pid)/stat") { result.others[other.pid] = (other.name, seconds) }
        }
        return result
    }

    /// CPU seconds spent between `earlier` and this snapshot, per thread name (threads that differ only by
    /// a number, like `loadgen-0` and `loadgen-1`, together). Threads that ended in between are only in the
    /// process total; what is left of it goes under `endedThreads`.
    func since(_ earlier: ThreadCPU) -> [String: Double] {
        var delta: [String: Double] = [:]
        var live = 0.0
        for (task, thread) in threads {
            let spent = thread.seconds - (earlier.threads[task]?.seconds ?? 0)
            guard spent > 0 else { continue }
            delta[Self.group(thread.name), default: 0] += spent
            live += spent
        }
        let ended = processSeconds - earlier.processSeconds - live
        if ended > 0 { delta[Self.endedThreads] = ended }
        for (pid, other) in others {
            if let before = earlier.others[pid], other.seconds > before.seconds {
                delta[other.name, default: 0] += other.seconds - before.seconds
            }
        }
        return delta
    }

    /// This process's threads: kernel id → name.
    static func threadNames() -> [Int32: String] {
        var names: [Int32: String] = [:]
        for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? [] {
            if let id = Int32(task), let (name, _) = read("/proc/self/task/\(task)/stat") { names[id] = name }
        }
        return names
    }

    /// The calling thread's name.
    static func currentThreadName() -> String? {
        read("/proc/thread-self/stat")?.0
    }

    /// Names threads of this process that the breakdown should tell apart (threads a C library starts
    /// inherit the name of the thread that started them).
    static func rename(_ threads: some Sequence<Int32>, to name: String) {
        for thread in threads { nameThread(thread, name) }
    }

    static func group(_ name: String) -> String {
        if let dash = name.lastIndex(of: "-"), dash != name.startIndex, name[name.index(after: dash)...].allSatisfy(\.isNumber) {
            return String(name[..<dash])
        }
        return name
    }

    /// `(comm, utime + stime in seconds)` from a stat file.
    static func read(_ path: String) -> (String, Double)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
        else { return nil }
        let name = String(text[text.index(after: open)..<close])
        let fields = text[text.index(close, offsetBy: 2)...].split(separator: " ")
        // After the name: state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(11) stime(12)
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (name, (user + system) / ticksPerSecond)
    }
}

/// The machine's CPU time counters from the first line of /proc/stat, for the share stolen by the hypervisor.
struct MachineCPU {
    var total = 0.0
    var steal = 0.0
    var idle = 0.0
    var iowait = 0.0

    static func now() -> MachineCPU {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return MachineCPU() }
        // cpu user nice system idle iowait irq softirq steal guest guest_nice
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 8 else { return MachineCPU() }
        return MachineCPU(total: fields.prefix(8).reduce(0, +), steal: fields[7], idle: fields[3], iowait: fields[4])
    }

    /// Per cent of the CPU time since `earlier` that was spent running something (any process), and that
    /// was idle waiting for I/O.
    func busyPercent(since earlier: MachineCPU) -> (busy: Double, iowait: Double) {
        let total = self.total - earlier.total
        guard total > 0 else { return (0, 0) }
        let idle = (self.idle - earlier.idle) + (self.iowait - earlier.iowait)
        return ((total - idle - (steal - earlier.steal)) / total * 100, (iowait - earlier.iowait) / total * 100)
    }

    /// Per cent of the CPU time since `earlier` that was stolen.
    func stealPercent(since earlier: MachineCPU) -> Double {
        let total = self.total - earlier.total
        return total > 0 ? (steal - earlier.steal) / total * 100 : 0
    }
}
