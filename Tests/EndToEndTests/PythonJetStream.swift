import Foundation
import LoopbackHarness

/// The independent JetStream client: `tools/python/mqbridge_jetstream.py` on nats-py (PyPI), in the virtual
/// environment `scripts/install-deps.sh` makes at `.build/python-nats`.
enum PythonJetStream {
    struct Message {
        var subject: String
        var headers: [String: [String]]
        var body: [UInt8]
    }

    static let python = BridgeFixture.repositoryRoot.appendingPathComponent(".build/python-nats/bin/python").path
    static let script = BridgeFixture.repositoryRoot.appendingPathComponent("tools/python/mqbridge_jetstream.py").path

    /// Runs the script and returns its JSON lines; throws with its stderr when it fails.
    static func run(_ arguments: [String]) throws -> [[String: Any]] {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw FixtureError("\(python) is missing: run scripts/install-deps.sh (it installs nats-py in that virtual environment)")
        }
        let process = try ManagedProcess(executable: python, arguments: [script] + arguments)
        guard let code = process.waitForExit(timeout: .seconds(60)) else {
            process.kill(signal: SIGKILL)
            throw FixtureError("mqbridge_jetstream.py \(arguments.first ?? "") did not finish in 60 s")
        }
        guard code == 0 else { throw FixtureError("mqbridge_jetstream.py \(arguments) exited \(code): \(process.stderrText)") }
        return process.stdoutLines.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// Every message of a stream, as nats-py reads it.
    static func dump(server: String, stream: String) throws -> [Message] {
        try run(["dump", "--server", server, "--stream", stream]).compactMap { object in
            guard let subject = object["subject"] as? String, let encoded = object["body_b64"] as? String,
                let body = Data(base64Encoded: encoded)
            else { return nil }
            return Message(subject: subject, headers: object["headers"] as? [String: [String]] ?? [:], body: [UInt8](body))
        }
    }

    /// A JetStream publish by nats-py; returns whether the PubAck said duplicate.
    @discardableResult
    static func publish(server: String, subject: String, headers: [String: String], msgId: String, body: String) throws -> Bool {
        var arguments = ["publish", "--server", server, "--subject", subject, "--msg-id", msgId, "--body", body]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["--header", "\(name)=\(value)"] }
        let answer = try run(arguments)
        guard let ack = answer.last, ack["seq"] != nil else { throw FixtureError("no PubAck from mqbridge_jetstream.py publish: \(answer)") }
        return ack["duplicate"] as? Bool ?? false
    }
}
