import Foundation

/// Why a file a mapping file names could not be read.
struct FileReadFailure: Error, Equatable {
    let reason: String
}

/// Reads a file a mapping file names, given its resolved path.
typealias FileReader = (String) -> Result<String, FileReadFailure>

/// The files a mapping file names (CURVE key lists, CA bundles), read while it is checked so that a missing
/// or malformed one is reported with the rest.
enum ConfigFiles {
    static func read(_ path: String) -> Result<String, FileReadFailure> {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { return .failure(FileReadFailure(reason: "no such file")) }
        if isDirectory.boolValue { return .failure(FileReadFailure(reason: "is a directory, not a file")) }
        guard manager.isReadableFile(atPath: path) else { return .failure(FileReadFailure(reason: "permission denied")) }
        guard let data = manager.contents(atPath: path) else { return .failure(FileReadFailure(reason: "cannot be read")) }
        guard let text = String(data: data, encoding: .utf8) else { return .failure(FileReadFailure(reason: "is not UTF-8 text")) }
        return .success(text)
    }
}
