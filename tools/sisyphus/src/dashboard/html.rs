//! HTML for the dashboard: escaping, links and the page around each view. Every text that
//! reaches a page goes through [`escape`] (or [`segment`] inside a URL).

use std::fmt::Write as _;

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, for element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` as one URL path segment or query value: every byte outside `A-Z a-z 0-9 - . _ ~`
/// percent-encoded.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `<a href="href">text</a>`, both escaped.
pub fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape(href), escape(text))
}

/// `<pre>text</pre>`, escaped.
pub fn pre(text: &str) -> String {
    format!("<pre>{}</pre>\n", escape(text))
}

/// A whole page: `title`, the navigation, then `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Sisyphus</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <nav><a href=\"/\">Sisyphus</a> · <a href=\"/resources\">resources</a> · \
         <a href=\"/?audit=true\">audit trail</a> · \
         <a href=\"/api/status\">status JSON</a> · <a href=\"/api/history\">history JSON</a></nav>\n\
         <h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(title),
    )
}

/// Plain and small: readable in any browser, no script.
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;max-width:80em}\
nav{margin-bottom:1em}table{border-collapse:collapse;margin:.5em 0 1.5em}\
td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}\
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}.failed,.interrupted{color:#b00}\
.succeeded{color:#070}.running{color:#a60}form{display:inline}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_url_segments() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(segment("web/echo name?"), "web%2Fecho%20name%3F");
        assert_eq!(segment("echo-1.2_x~"), "echo-1.2_x~");
        assert_eq!(
            link("/a?b=\"c\"", "<x>"),
            "<a href=\"/a?b=&quot;c&quot;\">&lt;x&gt;</a>"
        );
        let page = page("push <1>", "<p>body</p>");
        assert!(page.contains("<title>push &lt;1&gt; · Sisyphus</title>"));
        assert!(page.contains("<p>body</p>"));
    }
}
