import Synchronization
import Testing
@testable import Threads

@Suite struct ThreadsTests {
    @Test func aSpawnedThreadRunsItsBody() throws {
        let done = ConditionLock(false)
        try DetachedThread.spawn { done.withLockAndBroadcast { $0 = true } }
        #expect(done.wait(timeout: .seconds(10)) { $0 ? true : nil } == true)
    }

    @Test func waitReturnsNilWhenNothingChanges() {
        let lock = ConditionLock(0)
        #expect(lock.wait(timeout: .milliseconds(20)) { $0 > 0 ? $0 : nil } == nil)
    }

    @Test func manyThreadsCountUnderTheLock() throws {
        let counter = ConditionLock(0)
        for _ in 0..<8 {
            try DetachedThread.spawn {
                for _ in 0..<1_000 { counter.withLockAndBroadcast { $0 += 1 } }
            }
        }
        #expect(counter.wait(timeout: .seconds(20)) { $0 == 8_000 ? $0 : nil } == 8_000)
    }

    @Test func aSpawnErrorSaysWhy() {
        #expect(ThreadSpawnError(code: 11).description.hasPrefix("cannot start a thread: "))
    }
}
