//! Integration tests for config image reading, one module per topic.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

mod hostile;
mod original_tool;
