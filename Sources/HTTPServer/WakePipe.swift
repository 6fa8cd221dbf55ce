internal import Glibc

/// A pipe that wakes the server thread out of `poll()`: `stop()` writes a byte to ``writeEnd``,
/// the loop polls ``readEnd``. Each end has one owner after start-up: the loop closes the read
/// end when it exits, `stop()` closes the write end after signalling.
struct WakePipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws(SystemError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .last("pipe") }
        for fd in ends {
            let flags = fcntl(fd, F_GETFL)
            guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0, fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else {
                let error = SystemError.last("fcntl")
                ends.forEach { SystemCall.close($0) }
                throw error
            }
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    /// Wakes the loop. A full pipe already wakes it, so `EAGAIN` is ignored.
    func signal() {
        var byte: UInt8 = 1
        while write(writeEnd, &byte, 1) < 0 && errno == EINTR {}
    }
}
