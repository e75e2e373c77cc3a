//! Problems of a stage (load, resolve, render, diff): every one of them, then a count naming the
//! directory their locations are relative to and what was not done. A [`Problems`] is an error
//! value: [`crate::run`] prints it this way and exits 1.

use std::fmt;

/// Every problem a stage found, already rendered in the house format.
#[derive(Debug)]
pub struct Problems {
    /// Each problem's text (`error: ...`, with causes and hints), in order.
    pub errors: Vec<String>,
    /// The closing line, e.g. ``2 error(s) in `prod` (locations are relative to it); no objects printed``.
    pub footer: String,
}

impl Problems {
    /// The problems of a run over `dir`, after which `outcome` ("no objects printed").
    pub fn new(errors: Vec<String>, dir: &str, outcome: &str) -> Problems {
        let footer = format!(
            "{} error(s) in `{dir}` (locations are relative to it); {outcome}",
            errors.len()
        );
        Problems { errors, footer }
    }

    /// [`Problems::new`] of one `error: ...` entry per message (cluster, apply and rollout
    /// failures, which carry no location of their own).
    pub fn of_messages<T: std::fmt::Display>(
        messages: impl IntoIterator<Item = T>,
        dir: &str,
        outcome: &str,
    ) -> Problems {
        let errors = messages
            .into_iter()
            .map(|m| format!("error: {m}\n"))
            .collect();
        Problems::new(errors, dir, outcome)
    }

    /// Everything as printed on stderr.
    pub fn text(&self) -> String {
        let mut out = self.errors.concat().trim_end().to_owned();
        out.push_str("\n\n");
        out.push_str(&self.footer);
        out.push('\n');
        out
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.footer)
    }
}

impl std::error::Error for Problems {}
