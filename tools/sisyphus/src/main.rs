//! The `sisyphus` command.

fn main() {}
