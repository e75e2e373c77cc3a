//! Root-relative paths inside images: `/`-separated, no `.`/`..`/empty components, no leading `/`.

/// Normalize `path` to a clean root-relative path: a leading `./` is dropped, a trailing `/` is
/// dropped (directories), everything else must already be clean.
///
/// # Errors
///
/// The reason the path is rejected (it would escape the root, is absolute, has empty or `.`
/// components, or contains NUL).
pub fn normalize(path: &str) -> Result<String, &'static str> {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let p = p.strip_suffix('/').unwrap_or(p);
    if p.is_empty() || p == "." {
        return Err("empty path");
    }
    if p.starts_with('/') {
        return Err("absolute paths are not allowed, expected a path relative to the root");
    }
    if p.contains('\0') {
        return Err("contains a NUL byte");
    }
    for component in p.split('/') {
        match component {
            "" => return Err("empty path component (`//`)"),
            "." => return Err("`.` component"),
            ".." => return Err("`..` would escape the root"),
            _ => {}
        }
    }
    Ok(p.to_owned())
}

/// The parent directories of a normalized path, outermost first (`a/b/c` → `a`, `a/b`).
pub fn parents(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_cleans() {
        assert_eq!(normalize("main.star").unwrap(), "main.star");
        assert_eq!(normalize("./lib/a.star").unwrap(), "lib/a.star");
        assert_eq!(normalize("lib/").unwrap(), "lib");
    }

    #[test]
    fn rejects_escapes_and_absolute() {
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "."] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_parents() {
        assert_eq!(parents("a/b/c").collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(parents("a").count(), 0);
    }
}
