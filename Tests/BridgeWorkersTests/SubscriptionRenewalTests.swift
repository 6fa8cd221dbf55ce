import Testing

@testable import BridgeWorkers

/// After a reconnect to a broker that kept the session: which subscriptions are made again.
@Suite struct SubscriptionRenewalTests {
    static let wanted = ["sensors/#", "$SYS/broker/log/N"]
    static let kept: Set<String> = ["sensors/#", "$SYS/broker/log/N"]

    @Test func mqtt5SubscribesToEverythingAgain() {
        #expect(SubscriptionRenewal.filters(Self.wanted, keptBySession: Self.kept, isV5: true, isShared: { _ in false }) == Self.wanted)
    }

    @Test func sharedSubscriptionsAreMadeAgainEvenOnMQTT311() {
        // Mosquitto 2.0 restores a kept session without its $share subscriptions after a restart.
        let shared = SubscriptionRenewal.filters(Self.wanted, keptBySession: Self.kept, isV5: false, isShared: { $0 == "sensors/#" })
        #expect(shared == ["sensors/#"])
    }

    @Test func mqtt311LeavesKeptPlainFiltersAloneAndSubscribesTheRest() {
        let renewed = SubscriptionRenewal.filters(
            Self.wanted + ["new/#"], keptBySession: Self.kept, isV5: false, isShared: { _ in false })
        #expect(renewed == ["new/#"], "retained messages are not sent again for kept 3.1.1 subscriptions")
        #expect(SubscriptionRenewal.filters(Self.wanted, keptBySession: [], isV5: false, isShared: { _ in false }) == Self.wanted)
    }
}
