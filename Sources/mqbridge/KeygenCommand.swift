import ArgumentParser
import Foundation
import ZeroMQ

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a CURVE key pair for the hub or a client, in Z85.",
        discussion: """
            Without --out, prints both keys (public-key: and secret-key: lines). With --out PREFIX, writes the \
            secret key to PREFIX.key (mode 0600) and the public key to PREFIX.pub, and prints only the public key; \
            existing files are never overwritten.
            """
    )

    @Option(name: .long, help: "Write PREFIX.key (secret, mode 0600) and PREFIX.pub (public) instead of printing the secret key.")
    var out: String?

    func run() throws {
        let keys = try CurveKeyPair.generate()
        guard let out else {
            Console.output("public-key: \(keys.publicKey)")
            Console.output("secret-key: \(keys.secretKey)")
            return
        }
        let secretPath = out + ".key"
        let publicPath = out + ".pub"
        do {
            for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) {
                throw ValidationErrorText("\(path) already exists; remove it or choose another --out")
            }
            try KeyFileWriter.write(keys.secretKey + "\n", to: secretPath, mode: 0o600)
            try KeyFileWriter.write(keys.publicKey + "\n", to: publicPath, mode: 0o644)
        } catch {
            Console.error("mqbridge keygen: \(error)")
            throw ExitCode(1)
        }
        Console.output("public-key: \(keys.publicKey)")
        Console.error("wrote \(secretPath) (secret key, mode 0600) and \(publicPath) (public key)")
    }
}

/// Creates a key file that did not exist, with its mode set before any byte is written, so a secret key is
/// never readable by others, whatever the umask.
enum KeyFileWriter {
    static func write(_ text: String, to path: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ValidationErrorText("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw ValidationErrorText("cannot set the mode of \(path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw ValidationErrorText("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
