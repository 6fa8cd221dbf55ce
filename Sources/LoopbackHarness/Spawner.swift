import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `posix_spawn` with a clean signal state, captured stdout/stderr, and no inherited descriptors.
enum Spawner {
    struct Spawned {
        let pid: Int32
        let stdout: Int32
        let stderr: Int32
    }

    static func spawn(path: String, arguments: [String], environment: [String],
                      currentDirectory: String?) throws -> Spawned {
        let outPipe = try makePipe()
        let errPipe: (read: Int32, write: Int32)
        do { errPipe = try makePipe() } catch { close(outPipe.read); close(outPipe.write); throw error }
        defer { close(outPipe.write); close(errPipe.write) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe.write, 2)
        if let closeFrom = GNUExtensions.addClosefrom {
            _ = closeFrom(&actions, 3)  // the child inherits nothing but 0, 1 and 2
        }
        if let currentDirectory {
            guard let addChdir = GNUExtensions.addChdir else {
                throw ManagedProcess.LaunchError.systemCall("posix_spawn_file_actions_addchdir_np", ENOSYS)
            }
            _ = currentDirectory.withCString { addChdir(&actions, $0) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in Int32(1)..<32 where signal != SIGKILL && signal != SIGSTOP { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            close(outPipe.read); close(errPipe.read)
            throw ManagedProcess.LaunchError.systemCall("posix_spawn(\(path))", rc)
        }
        return Spawned(pid: pid, stdout: outPipe.read, stderr: errPipe.read)
    }

    /// A pipe whose ends are close-on-exec (the child gets copies via dup2 only).
    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        let rc: Int32
        if let pipe2 = GNUExtensions.pipe2 {
            rc = fds.withUnsafeMutableBufferPointer { pipe2($0.baseAddress!, O_CLOEXEC) }
        } else {
            rc = pipe(&fds)
            if rc == 0 { _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC); _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC) }
        }
        guard rc == 0 else { throw ManagedProcess.LaunchError.systemCall("pipe", errno) }
        return (fds[0], fds[1])
    }
}

/// glibc extensions the Swift Glibc module does not expose (they need `_GNU_SOURCE`), looked up at run time.
private enum GNUExtensions {
    typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static let addClosefrom: AddClosefrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
    static let pipe2: Pipe2? = symbol("pipe2")

    private static func symbol<T>(_ name: String) -> T? {
        #if os(Linux)
        let handle = dlopen(nil, RTLD_NOW)
        guard let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: T.self)
        #else
        return nil
        #endif
    }
}
