import Foundation

/// Finds executables that `swift build` put beside the running test bundle or program.
public enum BuildProducts {
    /// The built executable `name` in the products folder of the running binary (or a few folders
    /// above it), or nil when there is none.
    public static func executable(named name: String) -> URL? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}
