import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the background threads of one ``ManagedProcess`` share.
final class CaptureState: @unchecked Sendable {
    // Safe: every field is only accessed while `condition` is locked.
    private let condition = NSCondition()
    struct Captured {
        var stdout = Data()
        var stderr = Data()
        var readersFinished = 0
        var waitStatus: Int32?
    }
    private var captured = Captured()

    var waitStatus: Int32? { condition.lock(); defer { condition.unlock() }; return captured.waitStatus }

    func text(stdout: Bool) -> String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: stdout ? captured.stdout : captured.stderr, as: UTF8.self)
    }

    /// Blocks until `check` returns non-nil or the timeout passes (then nil). Re-checked on every change.
    func wait<T>(timeout: Duration, _ check: (Captured) -> T?) -> T? {
        let deadline = Deadline(timeout: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = check(captured) { return result }
            if deadline.hasPassed { return nil }
            _ = condition.wait(until: Date().addingTimeInterval(min(0.05, seconds(deadline.remaining))))
        }
    }

    private func update(_ body: (inout Captured) -> Void) {
        condition.lock()
        body(&captured)
        condition.broadcast()
        condition.unlock()
    }

    /// Reads `fd` until EOF, then closes it.
    func drain(_ fd: Int32, isStdout: Bool) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            let chunk = Data(buffer[0..<count])
            update { isStdout ? $0.stdout.append(chunk) : $0.stderr.append(chunk) }
        }
        close(fd)
        update { $0.readersFinished += 1 }
    }

    /// Waits for the child to exit and records its raw wait status.
    func reap(_ pid: Int32) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { status = 0x7F00; break }  // not our child any more: treat as exit 127
        }
        update { $0.waitStatus = status }
    }
}
