import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 connection with the API's ``APIRequestGate`` right after the HTTP decoder.
struct APIChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let gate: @Sendable () -> APIRequestGate
    /// Told of every connection before it is served.
    let opened: @Sendable (any Channel) -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        opened(channel)
        return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(gate(), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
