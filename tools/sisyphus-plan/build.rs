//! Generates the plan wire types from `proto/` with protox (no system protoc).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    let file = "sisyphus/plan/v1/plan.proto";
    println!("cargo:rerun-if-changed={proto_root}/{file}");
    let fds = protox::compile([file], [proto_root])?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
