/// A look at a run in progress, given every progress interval.
public struct LoadProgress: Sendable {
    public var elapsedSeconds: Double
    /// Publishes handed to libmosquitto so far.
    public var published: Int
    /// Publishes the broker acknowledged (QoS 1/2) or the socket took (QoS 0) so far.
    public var completed: Int
    /// Publishes per second over the last interval.
    public var currentRate: Double
    public var total: Int

    /// `loadgen: 84213 msg/s, 421060/1000000 published, 420980 completed, 5.0 s`
    public var line: String {
        "loadgen: \(Int(currentRate.rounded())) msg/s, \(published)/\(total) published, \(completed) completed, "
            + "\(LoadReport.format(elapsedSeconds, digits: 1)) s"
    }
}

/// The outcome of a run.
public struct LoadReport: Sendable {
    public var options: LoadOptions
    public var published: Int
    /// Publishes the broker acknowledged (QoS 1/2) or the socket took (QoS 0).
    public var completed: Int
    /// From the start to the last completion (or to the end of the drain wait).
    public var seconds: Double
    /// From the start to the last publish call.
    public var publishSeconds: Double
    /// What went wrong, one line per connection that gave up.
    public var errors: [String]

    /// Completed publishes per second.
    public var rate: Double { seconds > 0 ? Double(completed) / seconds : 0 }

    public var summary: String {
        var text = "loadgen: \(completed) of \(options.count) messages completed (QoS \(options.qos.rawValue), "
        text += "\(options.size) B, \(options.connections) connection\(options.connections == 1 ? "" : "s")"
        if let rate = options.rate { text += ", paced at \(Int(rate)) msg/s" }
        text += ") in \(Self.format(seconds, digits: 3)) s: \(Int(rate.rounded())) msg/s"
        if published != completed { text += "; \(published - completed) published but not completed" }
        for error in errors { text += "\n  " + error }
        return text
    }

    static func format(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        var fraction = String(abs(scaled) % Int(scale))
        while fraction.count < digits { fraction = "0" + fraction }
        return digits == 0 ? "\(whole)" : "\(whole).\(fraction)"
    }
}

/// A run that cannot start.
public struct LoadError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
