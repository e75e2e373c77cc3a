//! Rebuilds when a migration changes: `sqlx::migrate!` embeds `migrations/<dialect>/`.

fn main() {
    println!("cargo::rerun-if-changed=../../migrations");
}
