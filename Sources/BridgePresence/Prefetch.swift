import CPrefetch

/// Starts loading the cache line holding `address` for reading; a hint only, it never changes a value.
/// Swift has no prefetch of its own; the C compiler's `__builtin_prefetch` gives the instruction.
@inline(__always)
func prefetch(_ address: UnsafeRawPointer) {
    mqbridge_prefetch(address)
}
