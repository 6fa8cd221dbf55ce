/// LLVM's `llvm.prefetch` intrinsic: asks the CPU to start loading the cache line at `address`, without
/// waiting for it and without faulting on a bad address. Swift has no public prefetch; naming the
/// intrinsic as the function's symbol makes the compiler emit the instruction itself (`prefetcht0` on
/// x86-64, `prfm pldl1keep` on arm64, nothing where there is none). The last three arguments must be
/// constants: read (0) or write (1), locality 0–3 (3 keeps the line in every cache level), data cache (1).
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)

/// Starts loading the cache line holding `address` for reading; a hint only, it never changes a value.
@inline(__always)
func prefetch(_ address: UnsafeRawPointer) {
    llvmPrefetch(address, 0, 3, 1)
}
