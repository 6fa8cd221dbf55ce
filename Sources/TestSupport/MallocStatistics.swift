internal import Glibc

/// Bytes the process has allocated, from glibc (used by the memory tests and the benchmarks).
///
/// `mallinfo2()` is declared in `<malloc.h>`, which Swift's Glibc module does not include, so the function is
/// looked up with `dlsym`. It returns an 80-byte struct; under the x86-64 System V ABI such a result is
/// written through a hidden pointer passed as the first argument (and that pointer is returned), which is
/// the signature used to call it. Elsewhere the resident set size from `/proc/self/statm` stands in.
public enum MallocStatistics {
    /// Bytes in use: `uordblks` (heap chunks) + `hblkhd` (chunks mmapped on their own: big arrays above glibc's
    /// mmap threshold, which `uordblks` alone would miss).
    public static func bytesInUse() -> (bytes: Int, source: String) {
        #if arch(x86_64)
            if let symbol = dlsym(nil, "mallinfo2") {
                typealias Function = @convention(c) (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer
                let function = unsafeBitCast(symbol, to: Function.self)
                // struct mallinfo2 { arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost }
                var fields = [Int](repeating: 0, count: 10)
                fields.withUnsafeMutableBytes { buffer in
                    if let base = buffer.baseAddress { _ = function(base) }
                }
                return (fields[7] + fields[4], "mallinfo2 uordblks+hblkhd")
            }
        #endif
        return (residentBytes(), "RSS")
    }

    private static func residentBytes() -> Int {
        let descriptor = open("/proc/self/statm", O_RDONLY)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        let fields = String(decoding: buffer[..<count], as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
