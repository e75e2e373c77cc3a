//! Making user and registry text safe to show on a terminal (issue #11, item 16).
//!
//! A config image's `fail("\x1b]0;...\x07")`, a registry's error body or a YAML value can hold
//! escape sequences that retitle the terminal, ring its bell or hide the rest of a message.
//! [`escape_controls`] turns every control character into visible text; messages that quote
//! such content call it on the quoted part.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with each control character (C0 except `\n` and `\t`, DEL, C1, and the Unicode
/// bidirectional overrides) written as an escape: `\u{1b}` for ESC, `\r` for a carriage
/// return. Borrowed when there is nothing to escape.
///
/// ```
/// use sisyphus_core::text::escape_controls;
/// assert_eq!(escape_controls("a\x1b]0;x\x07b"), "a\\u{1b}]0;x\\u{7}b");
/// assert_eq!(escape_controls("line 1\nline 2"), "line 1\nline 2");
/// ```
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if c == '\r' {
            out.push_str("\\r");
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// [`escape_controls`] for a value quoted on one line (a name, a path, a YAML scalar): `\n` and
/// `\t` are escaped too.
///
/// ```
/// use sisyphus_core::text::escape_line;
/// assert_eq!(escape_line("echo\nimage: evil"), "echo\\nimage: evil");
/// ```
pub fn escape_line(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c == '\n' || c == '\t' || needs_escape(c))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push_str(&escape_controls(c.encode_utf8(&mut [0; 4]))),
        }
    }
    Cow::Owned(out)
}

/// Whether `c` is shown escaped by [`escape_controls`].
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters_and_keeps_the_rest() {
        assert!(matches!(
            escape_controls("plain `text` ü"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_controls("a\rb\u{7f}c\u{9b}d"),
            "a\\rb\\u{7f}c\\u{9b}d"
        );
        assert_eq!(escape_controls("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape_controls("tab\there"), "tab\there");
    }
}
