//! Syntax checks for a CronJob's `schedule` and `timeZone`, close to what the API server accepts
//! (the robfig/cron standard parser, `time.LoadLocation`). Only the spelling is checked: no time
//! zone database ships with Sisyphus, so a well-formed name that does not exist (`Europe/Nowhere`)
//! is still refused at push. Touches nothing.

/// The `@` schedules the cron parser knows besides `@every <duration>`.
const SCHEDULE_MACROS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

/// One of the five fields: its name, bounds and the names it accepts for its values.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: DAYS,
    },
];

/// `Ok` for a schedule the cron parser accepts, else what is wrong (without the schedule itself).
pub(crate) fn check_schedule(schedule: &str) -> Result<(), String> {
    if let Some(duration) = schedule.strip_prefix("@every ") {
        return if is_duration(duration.trim()) {
            Ok(())
        } else {
            Err(format!(
                "expected a duration after `@every` (`1h`, `90s`, `1h30m`), found `{}`",
                duration.trim()
            ))
        };
    }
    if schedule.starts_with('@') {
        return if SCHEDULE_MACROS.contains(&schedule) {
            Ok(())
        } else {
            Err("expected one of `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly` or `@every <duration>`".into())
        };
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected five cron fields (minute hour day-of-month month day-of-week, `0 2 * * *`) or an `@` schedule (`@daily`, `@every 1h`), found {} field{}",
            fields.len(),
            if fields.len() == 1 { "" } else { "s" }
        ));
    }
    for (text, field) in fields.iter().zip(&FIELDS) {
        check_field(text, field).map_err(|e| format!("{} field `{text}`: {e}", field.name))?;
    }
    Ok(())
}

/// One field: a comma-separated list of `*`, `?`, `a`, `a-b`, each optionally `/step`.
fn check_field(text: &str, field: &Field) -> Result<(), String> {
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (part, None),
        };
        if let Some(step) = step
            && !step.parse::<u32>().is_ok_and(|s| s > 0)
        {
            return Err(format!(
                "expected a positive step after `/`, found `{step}`"
            ));
        }
        if range == "*" || range == "?" {
            continue;
        }
        let (start, end) = match range.split_once('-') {
            Some((a, b)) => (value(a, field)?, Some(value(b, field)?)),
            None => (value(range, field)?, None),
        };
        if let Some(end) = end
            && end < start
        {
            return Err(format!("range `{range}` ends before it starts"));
        }
    }
    Ok(())
}

/// A number within the field's bounds, or one of its names (`JAN`, `mon`).
fn value(text: &str, field: &Field) -> Result<u32, String> {
    if let Some(i) = field
        .names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
    {
        let i = u32::try_from(i).unwrap_or(0);
        return Ok(field.min + i);
    }
    match text.parse::<u32>() {
        Ok(v) if (field.min..=field.max).contains(&v) => Ok(v),
        _ => {
            let names = if field.names.is_empty() {
                String::new()
            } else {
                format!(
                    " or a name ({}-{})",
                    field.names[0],
                    field.names[field.names.len() - 1]
                )
            };
            Err(format!(
                "expected a number from {} to {}{names}, found `{text}`",
                field.min, field.max
            ))
        }
    }
}

/// A Go duration as `time.ParseDuration` reads it, positive: `1h`, `1h30m`, `1.5h`, `500ms`.
fn is_duration(text: &str) -> bool {
    const UNITS: &[&str] = &["ns", "us", "µs", "ms", "s", "m", "h"];
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        if !UNITS.contains(&&rest[..unit_len]) {
            return false;
        }
        rest = &rest[unit_len..];
    }
    true
}

/// The areas of IANA time zone names (`Europe/Paris`), current and backward-compatible ones.
const AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Brazil",
    "Canada",
    "Chile",
    "Etc",
    "Europe",
    "Indian",
    "Mexico",
    "Pacific",
    "US",
];

/// `Ok` for a name spelled like an IANA time zone: `UTC`, `EST5EDT`, `Europe/Paris`,
/// `America/Argentina/Buenos_Aires`, `Etc/GMT+5`.
pub(crate) fn check_time_zone(name: &str) -> Result<(), String> {
    let expected = "expected an IANA time zone name (`UTC`, `Europe/Paris`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`)";
    if name.eq_ignore_ascii_case("Local") {
        return Err(format!(
            "{expected}: `Local` (the controller's zone) is refused by Kubernetes"
        ));
    }
    let parts: Vec<&str> = name.split('/').collect();
    let well_formed = parts.iter().all(|p| {
        p.len() <= 14
            && p.starts_with(|c: char| c.is_ascii_uppercase())
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
    });
    let area_ok = match parts.as_slice() {
        [_] => true,
        [area, ..] if parts.len() <= 3 => AREAS.contains(area),
        _ => false,
    };
    if well_formed && area_ok {
        Ok(())
    } else if well_formed {
        Err(format!(
            "{expected}, found the unknown area `{}` (known: {})",
            parts[0],
            AREAS.join(", ")
        ))
    } else {
        Err(expected.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_the_cron_parser_accepts() {
        for s in [
            "0 2 * * *",
            "*/15 * * * *",
            "0 0-23/2 * * MON-FRI",
            "5,10,15 1 1 jan,Jul sun",
            "0 0 ? * 0",
            "30 4 1-31/2 1-12 6",
            "@daily",
            "@every 1h",
            "@every 1h30m",
            "@every 1.5h",
            "@every 500ms",
        ] {
            assert_eq!(check_schedule(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn schedules_the_api_server_refuses() {
        for s in [
            "a b c d e",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 7",
            "* * * * FOO",
            "5-1 * * * *",
            "*/0 * * * *",
            "* * * *",
            "CRON_TZ=UTC 0 2 * * *",
            "@every",
            "@every 1x",
            "@every h",
            "@fortnightly",
            "1,,2 * * * *",
        ] {
            assert!(check_schedule(s).is_err(), "{s} accepted");
        }
    }

    #[test]
    fn time_zones_are_checked_by_spelling() {
        for tz in [
            "UTC",
            "EST5EDT",
            "Europe/Paris",
            "America/Argentina/Buenos_Aires",
            "America/Port-au-Prince",
            "Etc/GMT+5",
            "US/Eastern",
        ] {
            assert_eq!(check_time_zone(tz), Ok(()), "{tz}");
        }
        for tz in [
            "Not/AZone",
            "Local",
            "utc",
            "Europe/",
            "Europe//Paris",
            "Europe/Paris Time",
            "../etc/passwd",
            "A/B/C/D",
        ] {
            assert!(check_time_zone(tz).is_err(), "{tz} accepted");
        }
    }
}
