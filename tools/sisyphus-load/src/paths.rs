//! Resolving `sources` entries: relative to the including file's folder, and never outside the
//! namespace folder (no `..`, no absolute paths, no symlinks leading out), so that whoever owns
//! a namespace folder owns everything deployed into that namespace.

use std::path::Path;

/// Resolve `source`, written in `including` (both relative to `root`), inside the namespace
/// folder `folder` whose canonical path is `folder_canonical`. Returns the file's path relative
/// to `root`, or a message saying what is wrong.
pub(crate) fn resolve_source(
    root: &Path,
    folder: &str,
    folder_canonical: &Path,
    including: &str,
    source: &str,
) -> Result<String, String> {
    if source.trim().is_empty() {
        return Err("source path must not be empty".into());
    }
    if source.starts_with('/') || source.starts_with('\\') || Path::new(source).is_absolute() {
        return Err(format!(
            "absolute source path `{source}`, expected a path relative to the folder of `{including}`"
        ));
    }
    let mut parts: Vec<&str> = match including.rsplit_once('/') {
        Some((dir, _)) => dir.split('/').collect(),
        None => Vec::new(),
    };
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "source path `{source}` contains `..`: sources must stay inside the namespace folder `{folder}/`"
                ));
            }
            p => parts.push(p),
        }
    }
    let rel = parts.join("/");
    let full = root.join(&rel);
    let canonical = match full.canonicalize() {
        Ok(c) => c,
        Err(_) if full.symlink_metadata().is_ok() => {
            return Err(format!("source `{source}` is a broken symlink"));
        }
        Err(_) => return Err(format!("source file `{rel}` does not exist")),
    };
    if !canonical.starts_with(folder_canonical) {
        return Err(format!(
            "source `{source}` leads through a symlink outside the namespace folder `{folder}/`"
        ));
    }
    if canonical.is_dir() {
        return Err(format!(
            "source `{source}` is a directory, expected a YAML file"
        ));
    }
    Ok(rel)
}
