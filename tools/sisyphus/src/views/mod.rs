//! Views: one value, printed as text or JSON. Commands pick a view; views never decide
//! anything. Every object a view shows has gone through `sisyphus_core::secret::masked`.

pub mod changes;
pub mod history;
pub mod objects;
pub mod problems;
pub mod progress;
pub mod skipped;
pub mod status;
