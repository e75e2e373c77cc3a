//! Integration tests of the registry client against a real registry (Debian's
//! `docker-registry`, started by `sisyphus-test-support`).

#![allow(clippy::unwrap_used, clippy::print_stderr, reason = "tests")]

/// Credentials: anonymous, basic from config.json, refusals.
mod auth;
/// Shared fixtures: layouts to push, clients.
mod common;
/// Fake registries that misbehave on purpose: endless bodies, trickled answers.
mod hostile;
/// Corrupt blobs, missing tags, and the cache that avoids downloading twice.
mod integrity;
/// Push → resolve → pull round trips, retags, and the kinds of manifests a tag can point to.
mod roundtrip;
