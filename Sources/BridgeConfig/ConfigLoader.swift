import BridgeCore
import Foundation
import Yams

/// Loads and validates mapping files.
public enum ConfigLoader {
    static let topLevelKeys = [
        "mqtt", "queue", "jetstream", "api", "hub", "worker", "status", "spool", "limits", "outflow", "inflow",
        "statusRules",
    ]

    /// Reads and validates the file at `path`. Every problem is reported, each with its line and column.
    public static func load(path: String) throws(ConfigError) -> BridgeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path)
                ? "cannot read the file as UTF-8 text" : "no such file"
            throw ConfigError(diagnostics: [ConfigDiagnostic(file: path, line: 1, column: 1, message: reason)])
        }
        return try parse(yaml: text, file: path)
    }

    /// Validates mapping-file text; `file` names it in the diagnostics, and relative paths in it (key files,
    /// CA files) are resolved against its directory.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> BridgeConfiguration {
        try parse(yaml: yaml, file: file, readFile: ConfigFiles.read)
    }

    /// `parse(yaml:file:)` with the files the mapping file names read through `readFile`.
    static func parse(yaml: String, file: String, readFile: @escaping FileReader) throws(ConfigError) -> BridgeConfiguration {
        let reader = NodeReader(file: file, readFile: readFile)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigError(diagnostics: [syntaxDiagnostic(error, file: file, yaml: yaml)])
        } catch {
            throw ConfigError(diagnostics: [ConfigDiagnostic(file: file, line: 1, column: 1, message: "\(error)")])
        }
        guard let root else {
            reader.report(nil, "the file is empty; it needs an 'mqtt' section and at least one rule")
            throw ConfigError(diagnostics: reader.diagnostics)
        }
        let configuration = read(root, reader)
        guard reader.diagnostics.isEmpty, var configuration else {
            // The mapping file's problems first, then those of the key files it names, each in file order.
            throw ConfigError(diagnostics: reader.diagnostics.sorted {
                ($0.file == file ? 0 : 1, $0.file, $0.line, $0.column) < ($1.file == file ? 0 : 1, $1.file, $1.line, $1.column)
            })
        }
        configuration.warnings = reader.warnings.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
        return configuration
    }

    private static func read(_ root: Node, _ reader: NodeReader) -> BridgeConfiguration? {
        guard let fields = reader.mapping(root, "the mapping file", known: topLevelKeys) else { return nil }
        var mqtt: MQTTSettings?
        if let node = fields["mqtt"] {
            mqtt = readMQTT(node, reader)
        } else {
            reader.report(root, "missing required section 'mqtt' (the broker the bridge connects to)")
        }
        let queue = fields["queue"].flatMap { readQueue($0, reader) }
        let jetstream = fields["jetstream"].flatMap { readJetStream($0, reader) }
        let api = fields["api"].flatMap { readAPI($0, reader) }
        let hub = fields["hub"].map { readHub($0, reader) } ?? HubEndpointSettings()
        let worker = fields["worker"].map { readWorker($0, reader) } ?? WorkerSettings()
        let status = fields["status"].map { readStatus($0, reader) } ?? StatusSettings(source: .none)
        let spool = fields["spool"].map { readSpool($0, reader) } ?? SpoolSettings()
        let limits = fields["limits"].map { readLimits($0, reader) } ?? MessageLimits()

        var ids = RuleIDs()
        let outflow = fields["outflow"].map { readOutflowRules($0, reader, &ids) } ?? []
        let inflow = fields["inflow"].map { readInflowRules($0, reader, &ids) } ?? []
        let statusRules = fields["statusRules"].map { readStatusRules($0, reader, &ids) } ?? []
        if ids.count == 0 && reader.diagnostics.isEmpty {
            reader.report(root, "no rules: add at least one rule under 'outflow', 'inflow' or 'statusRules'")
        }
        if !statusRules.isEmpty, status.source == .none, let node = fields["statusRules"] {
            reader.report(
                fields.keyNode("statusRules") ?? node,
                "status rules need a status source: set status.source to mosquitto-log or emqx-events"
            )
        }
        if fields.has("jetstream") {
            checkRulesForJetStream(fields, prefix: jetstream?.subjectPrefix ?? JetStreamSettings.defaultSubjectPrefix, reader)
        }
        if let cap = hub.maxMessageBytes, cap < limits.maxBodyBytes, let capNode = fields["hub"]?["maxMessageBytes"] {
            reader.report(
                capNode,
                "hub.maxMessageBytes (\(cap)) is below limits.maxBodyBytes (\(limits.maxBodyBytes)): messages the limits allow could not reach the hub; leave it out for the body limit plus 64 KiB")
        }
        guard let mqtt else { return nil }
        warnAboutExposure(fields, hub: hub, queue: queue, api: api, reader)
        let table = MappingTable(outflow: outflow, inflow: inflow, status: statusRules, limits: limits)
        return BridgeConfiguration(
            mqtt: mqtt, queue: queue, jetstream: jetstream, api: api, hub: hub, worker: worker, status: status, spool: spool,
            mappings: table, warnings: [])
    }

    private static func syntaxDiagnostic(_ error: YamlError, file: String, yaml: String) -> ConfigDiagnostic {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.sorted().first ?? ""
            let (line, column) = DuplicateKeyLocator.secondOccurrence(of: key, in: yaml, mappingAt: context.mark)
                ?? (context.mark.line, context.mark.column)
            return ConfigDiagnostic(file: file, line: line, column: column, message: "duplicate key '\(key)'")
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text) " } ?? ""
            let (line, column) = positionInText(line: mark.line, column: mark.column, yaml: yaml)
            return ConfigDiagnostic(
                file: file, line: line, column: column, message: "YAML syntax error: \(detail)\(problem)")
        case .reader(let problem, let offset, _, _):
            return ConfigDiagnostic(
                file: file, line: 1, column: 1, message: "YAML reader error: \(problem) at byte \(offset ?? 0)")
        default:
            return ConfigDiagnostic(file: file, line: 1, column: 1, message: "YAML error: \(error)")
        }
    }
}

extension ConfigLoader {
    /// libyaml moves its mark to a new line when the stream ends; a file whose last line has no line break
    /// has no such line, so a problem found at the end is placed just after the file's last character.
    static func positionInText(line: Int, column: Int, yaml: String) -> (line: Int, column: Int) {
        var lines = 1
        var lastLineLength = 0
        var previous: Unicode.Scalar?
        for scalar in yaml.unicodeScalars {
            switch scalar {
            case "\n" where previous == "\r":
                break
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}":
                lines += 1
                lastLineLength = 0
            default:
                lastLineLength += 1
            }
            previous = scalar
        }
        guard line > lines else { return (line, column) }
        return (lines, lastLineLength + 1)
    }
}

/// Rule IDs seen so far, across every kind of rule (they name rules in metrics and logs).
struct RuleIDs {
    private var seen: [String: String] = [:]
    var count: Int { seen.count }

    /// Records `id`; reports it where it is used a second time.
    mutating func claim(_ id: String, at node: Node, kind: String, _ reader: NodeReader) {
        if let first = seen[id] {
            reader.report(node, "duplicate rule id '\(id)' (already used by \(first))")
        } else {
            seen[id] = "\(kind) rule at line \(node.mark?.line ?? 0)"
        }
    }
}
