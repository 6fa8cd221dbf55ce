import Glibc

/// Names the calling OS thread, as `top -H`, `ps -L`, profilers and `/proc/<pid>/task/*/comm` show it.
///
/// Called first thing on a thread the bridge starts. Foundation's `Thread.name` does not do it reliably on
/// Linux: a name longer than the kernel's 15 bytes is refused outright, and one set from inside a new
/// `Thread` can be lost while Foundation is still setting the thread up, so the thread then shows under
/// the process's name. This writes the name to `/proc/thread-self/comm` (what `pthread_setname_np` does
/// on Linux, which Swift's Glibc module does not export), cut to 15 bytes at a character boundary.
/// - Returns: whether the name was set.
@discardableResult
public func nameCurrentThread(_ name: String) -> Bool {
    writeThreadName(name, to: "/proc/thread-self/comm")
}

/// Names a thread of this process by its kernel id (`currentThreadID()` on that thread), as
/// `nameCurrentThread` does.
@discardableResult
public func nameThread(_ id: Int32, _ name: String) -> Bool {
    writeThreadName(name, to: "/proc/self/task/\(id)/comm")
}

/// The calling thread's kernel id (what `gettid` returns, which Swift's Glibc module does not export),
/// read from `/proc/thread-self`, a link to `<pid>/task/<tid>`.
public func currentThreadID() -> Int32? {
    var buffer = [CChar](repeating: 0, count: 64)
    let count = readlink("/proc/thread-self", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return target.split(separator: "/").last.flatMap { Int32($0) }
}

private func writeThreadName(_ name: String, to path: String) -> Bool {
    var bytes: [UInt8] = []
    for character in name {
        let utf8 = Array(character.utf8)
        guard bytes.count + utf8.count <= maxThreadNameBytes else { break }
        bytes += utf8
    }
    let descriptor = open(path, O_WRONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    return bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == bytes.count
}

/// The longest thread name Linux keeps, without the terminating NUL.
let maxThreadNameBytes = 15
