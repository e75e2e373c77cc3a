//! YAML limits sized for real folders (issue #11, item 7): thousands of documents, deep
//! nesting and big mappings load; past the limits the message names the limit that was hit;
//! alias bombs stay refused (`bad_input/alias_bomb`).
//! <https://github.com/sisyphus/sisyphus/issues/11>

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::fmt::Write as _;

use sisyphus_load::{Error, load};

fn load_dir(files: &[(&str, String)]) -> Result<sisyphus_core::production::Plan, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(&path, text).unwrap();
    }
    load(dir.path()).map_err(|e| match e {
        Error::Invalid { diagnostics, .. } => diagnostics.iter().map(|d| d.to_string()).collect(),
        other => vec![other.to_string()],
    })
}

/// A `web/index.yaml` listing `objects.yaml`, which holds `objects`.
fn with_objects(objects: String) -> Vec<(&'static str, String)> {
    vec![
        (
            "web/index.yaml",
            "apiVersion: sisyphus/v1\nkind: KubernetesYaml\nmetadata: {name: raw}\nclusters: [c1]\nsources: [objects.yaml]\n"
                .to_owned(),
        ),
        ("web/objects.yaml", objects),
    ]
}

#[test]
fn a_file_of_thousands_of_documents_loads() {
    // More than 1,024 documents were refused.
    let mut text = String::new();
    for i in 0..3000 {
        writeln!(
            text,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: v\n---"
        )
        .unwrap();
    }
    let plan = load_dir(&with_objects(text)).unwrap();
    let sisyphus_core::production::ResourceSpec::KubernetesYaml(raw) =
        &plan.production.resources[0].spec
    else {
        panic!("not a KubernetesYaml");
    };
    assert_eq!(raw.objects.len(), 3000);
}

/// A ConfigMap whose `data.k` is `depth` levels of `{a: ...}` around `1` (in a CRD-free
/// custom object, so any shape is allowed).
fn nested(depth: usize) -> String {
    let mut value = "1".to_owned();
    for _ in 0..depth {
        value = format!("{{a: {value}}}");
    }
    format!("apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w}}\nspec: {value}\n")
}

#[test]
fn deep_nesting_loads_and_too_deep_names_the_limit() {
    // About 62 levels were refused, blaming anchors and aliases.
    load_dir(&with_objects(nested(100))).unwrap();
    let errors = load_dir(&with_objects(nested(200))).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("nested more than 128 levels deep"),
        "{errors:?}"
    );
    assert!(!errors[0].contains("alias"), "{errors:?}");
}

#[test]
fn a_mapping_of_200000_keys_loads() {
    // About 125,000 keys were refused, blaming anchors and aliases.
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n");
    for i in 0..200_000 {
        writeln!(text, "  k{i}: v").unwrap();
    }
    load_dir(&with_objects(text)).unwrap();
}

#[test]
fn a_recursive_alias_is_named() {
    // Was "recursive references require weak recursion types".
    let errors = load_dir(&with_objects(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: &d\n  self: *d\n".to_owned(),
    ))
    .unwrap_err();
    assert!(
        errors[0].contains("an alias refers to a node that contains it (a recursive alias)"),
        "{errors:?}"
    );
}
