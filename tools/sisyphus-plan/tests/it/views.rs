//! The JSON and text views of the example folder's plan (reviewed goldens). Secret values are
//! masked in the JSON view.

use std::path::Path;

#[test]
fn example_views_match_goldens() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../example/production");
    let plan = sisyphus_load::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let json = sisyphus_plan::json::to_json(&plan);
    let text = serde_json::to_string(&json).unwrap_or_default();
    assert!(!text.contains("replace-me"), "secret value leaked: {text}");
    // Snapshot serde_json's own text: insta's JSON serializer mangles numbers when another crate
    // in the build enables serde_json's `arbitrary_precision` (starlark does).
    let pretty = serde_json::to_string_pretty(&json).unwrap_or_default();
    insta::assert_snapshot!("example_plan_json", pretty);
    insta::assert_snapshot!("example_plan_text", sisyphus_plan::text::summary(&plan));
}
