import Foundation
import Synchronization

/// A task executor with one thread of its own. The API's server task and its child tasks run here, so the
/// API makes progress (and `start()` can wait for the bind) whatever the cooperative pool is busy with.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    // Safe: `jobs` is only touched under `condition`'s lock.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    /// The one executor every API server of the process runs on.
    static let shared = ThreadExecutor(name: "mqbridge-api")

    private init(name: String) {
        let thread = Thread { [unowned self] in self.work() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs jobs as they come, for as long as the process lives .
    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
