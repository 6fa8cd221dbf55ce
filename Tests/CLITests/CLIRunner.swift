import Foundation
import LoopbackHarness

/// Runs the built `mqbridge` executable and captures what it prints.
struct CLIRunner {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String

        var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// The repository root (for `mappings/`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `mqbridge` sits beside the test bundle in the build products folder.
    static let executable = BuildProducts.executable(named: "mqbridge")
        ?? repositoryRoot.appendingPathComponent(".build/debug/mqbridge")

    static func mapping(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("mappings").appendingPathComponent(name).path
    }

    static func run(_ arguments: [String], executable: URL = CLIRunner.executable) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
        let errData = ReadAll(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.wait(), as: UTF8.self)
        )
    }
}

/// Drains a pipe on its own thread.
final class ReadAll: @unchecked Sendable {
    // Safe: `data` is written once by the reader thread before `done` is signalled, and read only after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
