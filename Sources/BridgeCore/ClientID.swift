/// Client IDs of the form `<GroupID>@@@<DeviceID>`.
public enum ClientID {
    /// The separator between group ID and device ID.
    public static let separator = "@@@"

    /// The part before the first `@@@`, or nil when the ID has none.
    public static func groupId(of clientId: String) -> String? {
        let bytes = clientId.utf8
        var run = 0
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: "@") {
                run += 1
                if run == 3 {
                    let end = bytes.index(index, offsetBy: -2)
                    return String(clientId[..<end])
                }
            } else {
                run = 0
            }
            index = bytes.index(after: index)
        }
        return nil
    }
}
