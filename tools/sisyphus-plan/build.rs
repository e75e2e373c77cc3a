//! Generates the plan wire types from `proto/` with protox (no system protoc).
//!
//! The proto root is found from `CARGO_MANIFEST_DIR` as cargo sets it when the script *runs*,
//! not when it was compiled: checkouts at different paths sharing one target directory (CI's
//! fresh clones) reuse the compiled script.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")?;
    let proto_root = format!("{manifest_dir}/../../proto");
    let files = [
        "sisyphus/plan/v1/plan.proto",
        "sisyphus/changes/v1/changes.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={proto_root}/{file}");
    }
    let fds = protox::compile(files, [proto_root.as_str()])?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
