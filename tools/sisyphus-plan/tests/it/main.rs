//! Tests of the plan file: round trip, determinism, version checks, and the JSON/text views of
//! the example production folder.

mod output;
mod roundtrip;
mod version;
mod views;
