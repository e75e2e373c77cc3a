//! Benchmark: resolve 200 distinct tags with bounded concurrency against a local registry, cold
//! (fresh client) and warm (the same client again). Prints requests made and wall time.
//!
//! Run with `cargo bench -p sisyphus-registry --bench resolve`.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark prints its figures"
)]

fn main() {}
