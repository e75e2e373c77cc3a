//! Integration tests of the load stage: the example folder, the bad-input corpus, determinism.

mod bad_input;
mod example;
mod files;
mod folders;
mod yaml_limits;
