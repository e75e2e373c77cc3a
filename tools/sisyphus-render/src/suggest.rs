//! "Did you mean" for variable names: the bound-but-unused name closest to a used-but-unbound
//! one, when it is close enough to be a typo (`api_key` for `api-key`).

/// The candidate closest to `word`, if it is a likely typo of it: equal once `-`, `_`, `.` and
/// case are ignored, or within a quarter of the length in edits (at least one).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = normalize(word);
    candidates
        .into_iter()
        .map(|c| (distance(&word, &normalize(c)), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(word.chars().count()) / 4).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
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

/// Levenshtein distance (characters).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
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
