import BridgeRuntime
import Foundation
import Testing

/// Bridge threads name themselves so that `top -H`, profilers and the benchmark's CPU breakdown show them.
@Suite struct ThreadNameTests {
    static func currentName() -> String? {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
    }

    @Test func namesTheRunningThreadAndCutsLongNamesTo15Bytes() {
        let names = ThreadBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            #expect(nameCurrentThread("mqbridge-test"))
            names.short = Self.currentName()
            #expect(nameCurrentThread("mqbridge-a-name-far-too-long"))
            names.long = Self.currentName()
            done.signal()
        }
        thread.start()
        done.wait()
        #expect(names.short == "mqbridge-test")
        #expect(names.long == "mqbridge-a-name")
    }

    @Test func namesAnotherThreadByItsKernelID() throws {
        let box = ThreadBox()
        let ready = DispatchSemaphore(value: 0)
        let renamed = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.id = currentThreadID()
            ready.signal()
            renamed.wait()
            box.short = Self.currentName()
            ready.signal()
        }
        thread.start()
        ready.wait()
        let id = try #require(box.id)
        #expect(id != currentThreadID())
        #expect(nameThread(id, "mqbridge-other"))
        renamed.signal()
        ready.wait()
        #expect(box.short == "mqbridge-other")
    }
}

private final class ThreadBox: @unchecked Sendable {
    // Written by the thread before it signals, read after the wait.
    var short: String?
    var long: String?
    var id: Int32?
}
