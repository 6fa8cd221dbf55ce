// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "mqbridge",
    products: [
        .executable(name: "mqbridge", targets: ["mqbridge"]),
        .executable(name: "mqbridge-bench", targets: ["Benchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // The HTTP API is served with Hummingbird (on SwiftNIO); HummingbirdCore, HTTPTypes and NIOHTTP1
        // are named for the API's own connection setup and request limits.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Pure translation logic: message models, topics, templates, rules. No I/O, no C.
        .target(name: "BridgeCore"),
        // Mapping files: YAML node tree -> validated configuration with file:line:col diagnostics.
        .target(
            name: "BridgeConfig",
            dependencies: ["BridgeCore", .product(name: "Yams", package: "Yams")]
        ),

        // The queue side on NATS JetStream, pure: subjects, stream names and headers <-> queue-side messages, and the
        // JetStream worker's decisions (publishing, inflow settling) as state machines.
        .target(name: "JetStreamMapping", dependencies: ["BridgeCore"]),

        // The hub wire protocol (docs/wire-protocol.md): frames <-> typed messages. Pure.
        .target(name: "WireProtocol", dependencies: ["BridgeCore"]),

        // MQTT control packets split out of a byte stream many at a time, and the packets a subscriber sends. Pure.
        .target(name: "MQTTWire"),

        // The workers' decisions as pure state machines (the MQTT worker's outflow window).
        .target(name: "BridgeWorkers"),

        // The hub's routing decisions as a pure state machine: events in, actions out.
        .target(name: "BridgeHub", dependencies: ["BridgeCore", "WireProtocol"]),

        // Client status: broker log lines and EMQX events -> status events; the online-status tracker. Pure.
        .target(name: "BridgePresence", dependencies: ["BridgeCore", "CPrefetch"]),
        // The CPU's prefetch hint (`__builtin_prefetch`) for the presence tracker's batches.
        .target(name: "CPrefetch"),

        // The API's HTTP/1.1 server on Hummingbird: request limits, refusals in the API's shape, handlers off the event loops.
        .target(
            name: "APIServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Threads and locks for the modules below: one thread spawner, one pthread lock with a condition.
        .target(name: "Threads"),
        // Thin wrappers over the C libraries; C types stay inside these modules.
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ", "Threads"]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        .target(name: "Mosquitto", dependencies: ["CMosquitto", "Threads"]),
        .systemLibrary(name: "CNATS", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .target(name: "NATS", dependencies: ["CNATS"]),

        // The I/O shells: the hub service, the MQTT worker and queue-side clients, each on its own thread.
        .target(
            name: "BridgeRuntime",
            dependencies: [
                "BridgeCore", "BridgeConfig", "BridgeHub", "BridgePresence", "BridgeWorkers", "WireProtocol", "ZeroMQ", "Mosquitto", "NATS",
                "JetStreamMapping", "APIServer", "Threads", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Generated MQTT traffic for `mqbridge loadgen` and the benchmarks: publishers on libmosquitto.
        .target(name: "LoadGenerator", dependencies: ["Mosquitto"]),

        // Starts real pieces (Mosquitto, bridge processes) on loopback for the tests and the demo.
        .target(name: "LoopbackHarness"),
        // Helpers shared by the test targets (and the demo's API queries): a seeded generator, a thread joined with a
        // deadline, a small blocking HTTP/1.1 client.
        .target(name: "TestSupport", dependencies: [.product(name: "Logging", package: "swift-log")]),

        .executableTarget(
            name: "mqbridge",
            dependencies: [
                "BridgeCore",
                "BridgeConfig",
                "BridgeRuntime",
                "LoadGenerator",
                "LoopbackHarness",
                "Mosquitto",
                "NATS",
                "JetStreamMapping",
                "TestSupport",
                "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // `swift run -c release mqbridge-bench`: every benchmark against the targets (`swift test` checks only its report's shape).
        .executableTarget(
            name: "Benchmarks",
            dependencies: [
                "BridgeCore", "BridgeConfig", "BridgeHub", "BridgePresence", "BridgeRuntime", "WireProtocol", "ZeroMQ",
                "Mosquitto", "MQTTWire", "NATS", "LoadGenerator", "LoopbackHarness", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "BridgeCoreTests", dependencies: ["BridgeCore", "TestSupport"]),
        .testTarget(name: "BridgeConfigTests", dependencies: ["BridgeConfig", "BridgeCore", "TestSupport"]),
        .testTarget(name: "WireProtocolTests", dependencies: ["WireProtocol", "BridgeCore", "TestSupport"]),
        .testTarget(name: "BridgeWorkersTests", dependencies: ["BridgeWorkers"]),
        .testTarget(name: "MQTTWireTests", dependencies: ["MQTTWire", "Mosquitto", "LoopbackHarness", "TestSupport"]),
        .testTarget(name: "ThreadsTests", dependencies: ["Threads"]),
        .testTarget(name: "BridgeHubTests", dependencies: ["BridgeHub", "WireProtocol", "BridgeCore", "TestSupport"]),
        .testTarget(name: "JetStreamMappingTests", dependencies: ["JetStreamMapping", "BridgeCore", "TestSupport"]),
        .testTarget(name: "BridgePresenceTests", dependencies: ["BridgePresence", "BridgeCore", "TestSupport"]),
        .testTarget(
            name: "BridgeRuntimeTests",
            dependencies: [
                "BridgeRuntime", "BridgeConfig", "BridgePresence", "BridgeCore", "BridgeHub", "APIServer", "WireProtocol", "ZeroMQ",
                "LoopbackHarness", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "APIServerTests", dependencies: ["APIServer", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ", "TestSupport"]),
        .testTarget(name: "MosquittoTests", dependencies: ["Mosquitto", "LoopbackHarness"]),
        .testTarget(name: "NATSTests", dependencies: ["NATS", "LoopbackHarness", "TestSupport"]),
        .testTarget(name: "LoadGeneratorTests", dependencies: ["LoadGenerator", "Mosquitto", "LoopbackHarness"]),
        .testTarget(name: "CLITests", dependencies: ["mqbridge", "Benchmarks", "LoopbackHarness", "ZeroMQ"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "mqbridge", "BridgeRuntime", "BridgeConfig", "BridgeCore", "BridgeHub", "BridgePresence", "APIServer",
                "LoopbackHarness", "Mosquitto", "NATS", "ZeroMQ", "WireProtocol", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
