import TestSupport
import Testing
import ZeroMQ

private struct Post: Sendable {
    var producer: Int
    var sequence: Int
}

@Suite struct MailboxTests {
    @Test func drainReturnsPostsInOrderAndResetsTheDescriptor() throws {
        let mailbox = try ZMQMailbox<Int>()
        let poller = ZMQPoller()
        let wake = poller.add(fileDescriptor: mailbox.fileDescriptor)
        #expect(try poller.poll(timeout: 0) == 0)
        #expect(mailbox.drain().isEmpty)

        for value in 0..<100 { mailbox.post(value) }
        mailbox.post(contentsOf: 100..<110)
        #expect(try poller.poll(timeout: 0) == 1)
        #expect(poller.isReadable(at: wake))
        #expect(mailbox.drain() == Array(0..<110))
        #expect(try poller.poll(timeout: 0) == 0)
        #expect(mailbox.drain().isEmpty)

        mailbox.post(7)
        #expect(try poller.poll(timeout: 0) == 1)
        #expect(mailbox.drain() == [7])
    }

    @Test func drainBatchKeepsTheDescriptorReadableUntilItFindsNothing() throws {
        let mailbox = try ZMQMailbox<Int>()
        let poller = ZMQPoller()
        _ = poller.add(fileDescriptor: mailbox.fileDescriptor)
        var batch: [Int] = [42]
        #expect(!mailbox.drainBatch(into: &batch))
        #expect(batch.isEmpty, "the batch is emptied even when nothing waits")

        for value in 0..<10 { mailbox.post(value) }
        #expect(mailbox.drainBatch(into: &batch))
        #expect(batch == Array(0..<10))
        // Still readable: the owner is working, so posts made meanwhile need no wake-up.
        #expect(try poller.poll(timeout: 0) == 1)
        mailbox.post(10)
        mailbox.post(11)
        #expect(mailbox.drainBatch(into: &batch))
        #expect(batch == [10, 11])
        // Nothing left: the descriptor is reset, and the next post sets it again.
        #expect(!mailbox.drainBatch(into: &batch))
        #expect(batch.isEmpty)
        #expect(try poller.poll(timeout: 0) == 0)
        mailbox.post(12)
        #expect(try poller.poll(timeout: 0) == 1)
        #expect(mailbox.drain() == [12])
        #expect(try poller.poll(timeout: 0) == 0)
    }

    @Test func postsFromManyThreadsArriveExactlyOnceInPerThreadOrder() throws {
        let producers = 4
        let perProducer = 5000
        let mailbox = try ZMQMailbox<Post>()
        let poller = ZMQPoller()
        let wake = poller.add(fileDescriptor: mailbox.fileDescriptor)

        let threads = (0..<producers).map { producer in
            TestThread<Bool> {
                (0..<perProducer).allSatisfy { mailbox.post(Post(producer: producer, sequence: $0)) }
            }
        }
        var received = Array(repeating: [Int](), count: producers)
        var total = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while total < producers * perProducer && ContinuousClock.now < deadline {
            guard try poller.poll(timeout: 1000) > 0, poller.isReadable(at: wake) else { continue }
            for post in mailbox.drain() {
                received[post.producer].append(post.sequence)
                total += 1
            }
        }
        for thread in threads {
            #expect(try thread.join()?.get() == true)
        }
        #expect(mailbox.drain().isEmpty)
        for producer in 0..<producers {
            #expect(received[producer] == Array(0..<perProducer), "producer \(producer)")
        }
    }

    @Test func closeRejectsNewPostsButKeepsQueuedOnes() throws {
        let mailbox = try ZMQMailbox<String>()
        #expect(mailbox.post("kept"))
        mailbox.close()
        mailbox.close()
        #expect(!mailbox.post("dropped"))
        #expect(!mailbox.post(contentsOf: ["dropped too"]))
        #expect(mailbox.drain() == ["kept"])
    }
}
