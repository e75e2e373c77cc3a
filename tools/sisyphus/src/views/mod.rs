//! Views: one value, printed as text or JSON. Commands pick a view; views never decide
//! anything. Every object a view shows has gone through `sisyphus_core::secret::masked`.

pub mod changes;
pub mod history;
pub mod objects;
pub mod pinned;
pub mod problems;
pub mod progress;
pub mod skipped;
pub mod status;

/// A section after the change set: a blank line, then `title` (yellow and bold with `color`).
pub fn section(title: &str, color: bool) -> String {
    let head = if color {
        console::Style::new().yellow().bold()
    } else {
        console::Style::new()
    };
    format!("\n{}\n", head.apply_to(title))
}
