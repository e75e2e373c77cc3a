//! Kubernetes resource quantities (`16`, `500m`, `8Gi`, `1e3`).
//!
//! Configs may write values Kubernetes rejects (the product README writes `8Gb`). Local runs do
//! not care; wherever a value reaches a cluster (render, plan checks) it is checked here, and a
//! likely fix is suggested.

/// Why a value is not a Kubernetes quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{found}` is not a valid Kubernetes quantity{}", suggestion_text(.suggestion))]
pub struct QuantityError {
    /// The rejected text.
    pub found: String,
    /// A nearby valid spelling, when one is likely meant.
    pub suggestion: Option<String>,
}

fn suggestion_text(s: &Option<String>) -> String {
    match s {
        Some(s) => format!(" (did you mean {s}?)"),
        None => " (expected a number with an optional suffix: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent like 1e3)".to_owned(),
    }
}

/// Check that `s` follows the Kubernetes quantity grammar:
/// `<sign>? <digits>[.<digits>] <suffix>`, suffix one of `Ki Mi Gi Ti Pi Ei`, `n u m k M G T P E`,
/// an exponent `e<int>`/`E<int>`, or nothing.
///
/// # Errors
///
/// A [`QuantityError`] naming the value and, for the common mistakes (`8Gb`, `8GiB`, `8 Gi`,
/// `8gi`), the likely meant spelling.
pub fn check(s: &str) -> Result<(), QuantityError> {
    if is_quantity(s) {
        return Ok(());
    }
    Err(QuantityError {
        found: s.to_owned(),
        suggestion: suggest(s),
    })
}

fn is_quantity(s: &str) -> bool {
    let rest = s.strip_prefix(['+', '-']).unwrap_or(s);
    let number_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (number, suffix) = rest.split_at(number_len);
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    if digits == 0 || number.bytes().filter(|b| *b == b'.').count() > 1 {
        return false;
    }
    match suffix {
        "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "n" | "u" | "m" | "k" | "M" | "G" | "T"
        | "P" | "E" => true,
        _ => {
            let Some(exp) = suffix.strip_prefix(['e', 'E']) else {
                return false;
            };
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit())
        }
    }
}

fn suggest(s: &str) -> Option<String> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let split = compact
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(compact.len());
    let (number, unit) = compact.split_at(split);
    if number.is_empty() || !is_quantity(number) {
        return None;
    }
    let prefix = match unit.to_ascii_lowercase().trim_end_matches(['b', 'B']) {
        "k" => "k",
        "ki" => "Ki",
        "m" if unit.starts_with('M') => "M",
        "mi" => "Mi",
        "g" => "G",
        "gi" => "Gi",
        "t" => "T",
        "ti" => "Ti",
        "p" => "P",
        "pi" => "Pi",
        "e" => "E",
        "ei" => "Ei",
        _ => return None,
    };
    let candidate = format!("{number}{prefix}");
    if candidate == s {
        return None;
    }
    if prefix.ends_with('i') {
        Some(format!("`{candidate}`"))
    } else {
        Some(format!("`{number}{prefix}i` or `{candidate}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_quantities() {
        for ok in [
            "16",
            "0.5",
            ".5",
            "500m",
            "8Gi",
            "8G",
            "1e3",
            "1E-3",
            "+1",
            "-1k",
            "128974848",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_invalid_with_suggestions() {
        let err = check("8Gb").unwrap_err();
        assert_eq!(err.suggestion.as_deref(), Some("`8Gi` or `8G`"));
        assert_eq!(
            err.to_string(),
            "`8Gb` is not a valid Kubernetes quantity (did you mean `8Gi` or `8G`?)"
        );
        assert_eq!(
            check("16GiB").unwrap_err().suggestion.as_deref(),
            Some("`16Gi`")
        );
        assert_eq!(
            check("2 Gi").unwrap_err().suggestion.as_deref(),
            Some("`2Gi`")
        );
        assert_eq!(
            check("2gi").unwrap_err().suggestion.as_deref(),
            Some("`2Gi`")
        );
        assert_eq!(check("lots").unwrap_err().suggestion, None);
        for bad in ["", "Gi", "1..2", "1e", "1Gix", "1.2.3"] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
