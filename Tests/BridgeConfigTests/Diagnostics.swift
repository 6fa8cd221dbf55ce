@testable import BridgeConfig

/// What `check` reports for mapping-file text read as `m.yaml`, each as `FILE:LINE:COL: message`; empty when
/// the text is valid.
func checkDiagnostics(_ yaml: String) -> [String] {
    do {
        _ = try ConfigLoader.parse(yaml: yaml, file: "m.yaml")
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}
