//! "Did you mean" suggestions: the candidate closest to a misspelt word, by edit distance.
//!
//! Each caller decides what counts as the same spelling (`normalize`) and how many edits are
//! still a likely typo (`max_edits`, from the longer word's length in characters).

/// The candidate closest to `word`, if it is within `max_edits(len)` edits once both are
/// normalized (`len`: the longer of the two, in characters).
pub fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    normalize: impl Fn(&str) -> String,
    max_edits: impl Fn(usize) -> usize,
) -> Option<&'a str> {
    let word = normalize(word);
    candidates
        .into_iter()
        .map(|c| {
            let n = normalize(c);
            let len = n.chars().count().max(word.chars().count());
            (distance(&word, &n), len, c)
        })
        .filter(|(d, len, _)| *d <= max_edits(*len))
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, _, c)| c)
}

/// A list of names for a message: `` `a`, `b` or `c` ``.
pub fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Levenshtein distance, in characters.
pub fn distance(a: &str, b: &str) -> usize {
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
    fn distances() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn closest_respects_normalization_and_budget() {
        let lower = |s: &str| s.to_ascii_lowercase();
        let third = |len: usize| (len / 3).max(1);
        assert_eq!(
            closest("Replica", ["replicas", "name"], lower, third),
            Some("replicas")
        );
        assert_eq!(closest("zzz", ["replicas", "name"], lower, third), None);
        assert_eq!(closest("x", [], lower, third), None);
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(one_of(&["a"]), "`a`");
    }
}
