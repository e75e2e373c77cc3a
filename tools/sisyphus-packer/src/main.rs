//! The `sisyphus-packer` command.

fn main() {}
