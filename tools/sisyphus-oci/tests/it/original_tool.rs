//! Config images as the original tool's Bazel rule publishes them (issue #11): an OCI image
//! index with one platform manifest whose files are spread over several layers, the Starlark
//! files in one and `index.json` in another.
//! <https://github.com/sisyphus/sisyphus/issues/11>

use std::path::Path;

use sisyphus_oci::build::{ImageInput, image, index};
use sisyphus_oci::layer::LayerFile;
use sisyphus_oci::{ConfigImage, Error};

const DIGEST: &str = "sha256:a130de16c89c07a0a0061fce19a0cb78a30210dad3218a49379e6a8735eb19a1";

fn file(path: &str, contents: &str) -> LayerFile {
    LayerFile {
        path: path.to_owned(),
        contents: contents.as_bytes().to_vec(),
        executable: false,
    }
}

fn index_json() -> String {
    format!(
        r#"{{"binary_digest":"{DIGEST}","binary_repository":"registry.example/team/echo","config_entrypoint":"main.star"}}"#
    )
}

/// Builds the original rule's shape under `root`: `starlark` (one layer of Starlark files),
/// `image` (that plus an `index.json` layer), `index` (an index over `image`). Returns the
/// three layout directories.
pub fn original_tool_image(root: &Path, platform: &str, main: &str) -> [std::path::PathBuf; 3] {
    let starlark = root.join(format!("starlark-{platform}"));
    let two_layers = root.join(format!("image-{platform}"));
    let idx = root.join(format!("index-{platform}"));
    image(
        &starlark,
        &ImageInput {
            files: vec![file("main.star", main), file("lib/util.star", "x = 1\n")],
            platform: Some(platform.parse().unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    image(
        &two_layers,
        &ImageInput {
            files: vec![file("index.json", &index_json())],
            base: Some(starlark.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    index(&idx, std::slice::from_ref(&two_layers)).unwrap();
    [starlark, two_layers, idx]
}

#[test]
fn an_index_with_one_manifest_of_several_layers_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let [_, two_layers, idx] =
        original_tool_image(tmp.path(), "linux/amd64", "def main(ctx): pass\n");
    let (_, from_manifest) = ConfigImage::read_layout(&two_layers).unwrap();
    let (pinned, from_index) = ConfigImage::read_layout(&idx).unwrap();
    assert_eq!(from_manifest, from_index);
    assert_eq!(
        from_index.paths(),
        ["index.json", "lib/util.star", "main.star"]
    );
    // The pinned digest is the index's own.
    assert_eq!(pinned, sisyphus_oci::build::layout_digest(&idx).unwrap());
}

#[test]
fn an_index_of_different_config_images_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [_, amd, _] = original_tool_image(tmp.path(), "linux/amd64", "def main(ctx): pass\n");
    let [_, arm, _] = original_tool_image(tmp.path(), "linux/arm64", "def main(ctx): fail()\n");
    let both = tmp.path().join("both");
    index(&both, &[amd, arm]).unwrap();
    let err = ConfigImage::read_layout(&both).unwrap_err();
    assert!(matches!(err, Error::AmbiguousIndex { .. }), "{err}");
    assert!(err.to_string().contains("carry different layers"), "{err}");
}

#[test]
fn a_file_in_two_layers_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [_, two_layers, _] =
        original_tool_image(tmp.path(), "linux/amd64", "def main(ctx): pass\n");
    let three = tmp.path().join("three");
    image(
        &three,
        &ImageInput {
            files: vec![file("main.star", "def main(ctx): fail()\n")],
            base: Some(two_layers),
            ..Default::default()
        },
    )
    .unwrap();
    let err = ConfigImage::read_layout(&three).unwrap_err();
    assert!(
        err.to_string().contains("duplicate path `main.star`"),
        "{err}"
    );
}
