//! Tests of the resolve stage against a real registry (Debian's `docker-registry`).

mod common;
mod errors;
mod resolve;
