//! "Did you mean" for variable names: the bound-but-unused name closest to a used-but-unbound
//! one, when it is close enough to be a typo (`api_key` for `api-key`).

/// The candidate closest to `word`, if it is a likely typo of it: equal once `-`, `_`, `.` and
/// case are ignored, or within a quarter of the length in edits (at least one).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    sisyphus_core::suggest::closest(word, candidates, normalize, |len| (len / 4).max(1))
}

/// Lowercase, with `_` and `.` read as `-`.
fn normalize(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '_' | '.' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("api-key", ["api_key", "db"]), Some("api_key"));
        assert_eq!(closest("API.KEY", ["api-key"]), Some("api-key"));
        assert_eq!(
            closest("sentry-dsn", ["sentry-dns", "db"]),
            Some("sentry-dns")
        );
        assert_eq!(closest("api-key", ["api-token"]), None);
        assert_eq!(closest("db", ["ca"]), None);
        assert_eq!(closest("x", []), None);
    }
}
