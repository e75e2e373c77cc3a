//! Errors as text: one error and its causes in the house format, for messages that collect
//! several errors (every problem found before a push, say) and are printed later.

/// `message`, then one `  Caused by: cause` line per source.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    for cause in std::iter::successors(error.source(), |e| e.source()) {
        out.push_str("\n  Caused by: ");
        out.push_str(&cause.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_every_cause() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(super::chain(&e), "outer\n  Caused by: inner");
    }
}
