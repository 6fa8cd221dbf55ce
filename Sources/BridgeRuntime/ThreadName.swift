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
    var bytes: [UInt8] = []
    for character in name {
        let utf8 = Array(character.utf8)
        guard bytes.count + utf8.count <= maxThreadNameBytes else { break }
        bytes += utf8
    }
    let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    return bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == bytes.count
}

/// The longest thread name Linux keeps, without the terminating NUL.
let maxThreadNameBytes = 15
