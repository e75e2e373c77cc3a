//! Config path rules: `//` is the config root, other paths are relative to the loading file,
//! nothing may leave the root, and only `.star` files are loaded.

/// Resolves `target` (as written in `load()` in file `from`, or as an entrypoint when `from` is
/// `None`) to a normalized config-root-relative path.
pub(crate) fn resolve(from: Option<&str>, target: &str) -> Result<String, String> {
    if !target.ends_with(".star") {
        return Err("expected a path to a `.star` file".to_owned());
    }
    let (base, rel) = if let Some(rest) = target.strip_prefix("//") {
        ("", rest)
    } else if target.starts_with('/') {
        return Err(
            "expected a path relative to this file or to the config root (`//dir/file.star`), \
             found an absolute path"
                .to_owned(),
        );
    } else {
        (
            from.and_then(|f| f.rsplit_once('/'))
                .map_or("", |(dir, _)| dir),
            target,
        )
    };
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("expected a path inside the config root, found one that \
                                leaves it through `..`"
                        .to_owned());
                }
            }
            s if s.contains('\\') => {
                return Err("expected `/` as the path separator, found `\\`".to_owned());
            }
            s => parts.push(s),
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn resolves_relative_root_and_parent_paths() {
        assert_eq!(
            resolve(Some("a/b/c.star"), "d.star").as_deref(),
            Ok("a/b/d.star")
        );
        assert_eq!(
            resolve(Some("a/b/c.star"), "../d.star").as_deref(),
            Ok("a/d.star")
        );
        assert_eq!(
            resolve(Some("a/b/c.star"), "//x/d.star").as_deref(),
            Ok("x/d.star")
        );
        assert_eq!(
            resolve(Some("c.star"), "./lib/d.star").as_deref(),
            Ok("lib/d.star")
        );
        assert_eq!(
            resolve(None, "echo/frontend.star").as_deref(),
            Ok("echo/frontend.star")
        );
    }

    #[test]
    fn refuses_escapes_absolute_and_non_star() {
        assert!(resolve(Some("c.star"), "../d.star").is_err());
        assert!(resolve(Some("a/c.star"), "//../d.star").is_err());
        assert!(resolve(Some("c.star"), "/etc/d.star").is_err());
        assert!(resolve(Some("c.star"), "d.bzl").is_err());
    }
}
