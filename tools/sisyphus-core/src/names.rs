//! Validators for Kubernetes names and the variable → host env var naming rule.

/// Whether `s` is a DNS-1123 label: at most 63 characters of lowercase alphanumerics or `-`,
/// starting and ending with an alphanumeric (namespace names, container names, ...).
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Whether `s` is a DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels
/// (most object names).
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// Whether `s` is a valid container env var name for Kubernetes: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
pub fn is_env_var_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b"-._".contains(&b) => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
}

/// Whether `s` is a valid port name (IANA_SVC_NAME): 1–15 lowercase alphanumerics or `-`, at least
/// one letter, no leading, trailing or doubled `-`.
pub fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// The host environment variable a local run reads for a variable: upper snake case
/// (`secret-token` → `SECRET_TOKEN`, `google.credentials` → `GOOGLE_CREDENTIALS`).
pub fn host_env_var(variable: &str) -> String {
    variable
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The host environment variable that overrides a port in local runs: `PORT_<NAME>`
/// (`http` → `PORT_HTTP`, `admin-http` → `PORT_ADMIN_HTTP`).
pub fn port_env_var(port: &str) -> String {
    format!("PORT_{}", host_env_var(port))
}

/// Whether `key` is a valid label or annotation key: an optional DNS-1123 subdomain prefix and
/// `/`, then a name of at most 63 characters of alphanumerics, `-`, `_` or `.`, starting and
/// ending with an alphanumeric.
pub fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if prefix.is_some_and(|p| !is_dns1123_subdomain(p)) {
        return false;
    }
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && name
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        && name
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphanumeric)
}

/// Whether `value` is a valid label value: empty, or at most 63 characters of alphanumerics,
/// `-`, `_` or `.`, starting and ending with an alphanumeric.
pub fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && value
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphanumeric)
            && value
                .as_bytes()
                .last()
                .is_some_and(u8::is_ascii_alphanumeric))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert!(is_dns1123_label("echo"));
        assert!(is_dns1123_label("a-1"));
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
        assert!(is_dns1123_subdomain("a.b-c.d"));
        assert!(!is_dns1123_subdomain("a..b"));
    }

    #[test]
    fn env_var_names() {
        assert!(is_env_var_name("HTTP_PORT"));
        assert!(is_env_var_name("a.b-c"));
        assert!(!is_env_var_name("1ABC"));
        assert!(!is_env_var_name("A B"));
        assert!(!is_env_var_name(""));
    }

    #[test]
    fn port_names() {
        assert!(is_port_name("http"));
        assert!(is_port_name("admin-http2"));
        for bad in ["", "HTTP", "123", "a--b", "-a", "sixteen-chars-xx"] {
            assert!(!is_port_name(bad), "{bad}");
        }
    }

    #[test]
    fn host_env_vars() {
        assert_eq!(host_env_var("secret-token"), "SECRET_TOKEN");
        assert_eq!(host_env_var("google-credentials"), "GOOGLE_CREDENTIALS");
        assert_eq!(port_env_var("admin-http"), "PORT_ADMIN_HTTP");
    }

    #[test]
    fn qualified_names() {
        assert!(is_qualified_name("app.kubernetes.io/name"));
        assert!(is_qualified_name("team"));
        assert!(!is_qualified_name("Bad Key"));
        assert!(!is_qualified_name("/x"));
        assert!(is_label_value(""));
        assert!(!is_label_value("-x"));
    }
}
