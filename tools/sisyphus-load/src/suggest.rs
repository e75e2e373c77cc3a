//! "Did you mean" suggestions for misspelt field names, kinds and cluster names: case is
//! ignored and a third of the length in edits (at least one) is still a likely typo.

pub(crate) use sisyphus_core::suggest::one_of;

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    sisyphus_core::suggest::closest(
        word,
        candidates,
        |s| s.to_ascii_lowercase(),
        |len| (len / 3).max(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("replica", ["replicas", "name"]), Some("replicas"));
        assert_eq!(
            closest("Deploymnet", ["Deployment", "CronJob"]),
            Some("Deployment")
        );
        assert_eq!(closest("schedul", ["schedule", "env"]), Some("schedule"));
        assert_eq!(closest("zzz", ["replicas", "name"]), None);
    }
}
