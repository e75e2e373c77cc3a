//! Integration tests of the render stage, one module per topic. Inputs are built by hand (the
//! load stage's output types), configs either hand-built applications or real Starlark.

mod bad_input;
mod errors;
mod fixtures;
mod golden;
mod rules;
mod starlark;
