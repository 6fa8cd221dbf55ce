/// The `mqtt5UserProperty` wire form: a JSON array `[{"key":"k","value":"v"}, …]`, order and duplicates kept.
public enum UserPropertyCoding {
    public static func encode(_ properties: [UserProperty]) -> String {
        var writer = JSONWriter()
        writer.userProperties(properties)
        return writer.text
    }

    /// Decodes the JSON array; every element must be an object with string `key` and `value` and nothing else.
    public static func decode(_ text: String) throws(TranslationError) -> [UserProperty] {
        let document: JSONValue
        do {
            document = try JSONValue.parse(text)
        } catch {
            throw invalid("is not valid JSON (\(error))")
        }
        guard case .array(let elements) = document else {
            throw invalid("must be a JSON array of {\"key\",\"value\"} objects")
        }
        var properties: [UserProperty] = []
        properties.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .object(let members) = element, members.count == 2,
                let key = element["key"]?.stringValue, let value = element["value"]?.stringValue
            else {
                throw invalid("element \(index) must be an object with string members \"key\" and \"value\" only")
            }
            properties.append(UserProperty(key: key, value: value))
        }
        return properties
    }

    private static func invalid(_ detail: String) -> TranslationError {
        TranslationError(.invalidUserProperties, "property \(PropertyName.mqtt5UserProperty) \(detail)")
    }
}
