//! Apply progress on stderr: one bar per cluster on a terminal (indicatif), otherwise one line
//! when a cluster starts, one per failure, and one when it ends.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use sisyphus_apply::Event;

/// A bar of `total` steps for `cluster` in `bars`, drawn with `template`.
fn cluster_bar(bars: &MultiProgress, cluster: &str, total: usize, template: &str) -> ProgressBar {
    let bar = bars.add(ProgressBar::new(total as u64));
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(cluster.to_owned());
    bar
}

/// Progress of one push.
pub struct Progress {
    bars: Option<MultiProgress>,
    clusters: Mutex<BTreeMap<String, (ProgressBar, usize, usize)>>,
    enabled: bool,
}

impl Progress {
    /// Progress output; `enabled: false` shows nothing.
    pub fn new(enabled: bool) -> Progress {
        let terminal = enabled && std::io::stderr().is_terminal();
        Progress {
            bars: terminal.then(MultiProgress::new),
            clusters: Mutex::new(BTreeMap::new()),
            enabled,
        }
    }

    /// Show one event.
    pub fn event(&self, event: Event<'_>) {
        if !self.enabled {
            return;
        }
        let Ok(mut clusters) = self.clusters.lock() else {
            return;
        };
        match event {
            Event::Start { cluster, total } => {
                let bar = match &self.bars {
                    Some(bars) => cluster_bar(
                        bars,
                        cluster,
                        total,
                        "{prefix:>24} [{bar:30}] {pos}/{len} {msg}",
                    ),
                    None => {
                        let _ = crate::printer::status(&format!(
                            "applying {total} change(s) to cluster `{cluster}`"
                        ));
                        ProgressBar::hidden()
                    }
                };
                clusters.insert(cluster.to_owned(), (bar, 0, 0));
            }
            Event::Done { key, .. } => {
                if let Some((bar, done, _)) = clusters.get_mut(&key.cluster) {
                    *done += 1;
                    bar.inc(1);
                }
            }
            Event::Failed { key } => {
                if let Some((bar, _, failed)) = clusters.get_mut(&key.cluster) {
                    *failed += 1;
                    bar.inc(1);
                    bar.set_message(format!("{failed} failed"));
                    if self.bars.is_none() {
                        let _ = crate::printer::status(&format!("failed: {key}"));
                    }
                }
            }
            Event::Finish { cluster } => {
                if let Some((bar, done, failed)) = clusters.get(cluster) {
                    bar.finish();
                    if self.bars.is_none() {
                        let _ = crate::printer::status(&format!(
                            "cluster `{cluster}`: {done} done, {failed} failed"
                        ));
                    }
                }
            }
        }
    }

    /// Clear the bars.
    pub fn finish(&self) {
        if let Some(bars) = &self.bars {
            let _ = bars.clear();
        }
    }
}

/// Rollout wait progress on stderr: one bar per cluster on a terminal (objects ready of
/// objects waited for, with the newest state change as its message), otherwise one line per
/// state change of an object.
pub struct WaitProgress {
    bars: Option<MultiProgress>,
    clusters: Mutex<BTreeMap<String, ProgressBar>>,
    enabled: bool,
}

impl WaitProgress {
    /// Wait progress; `enabled: false` shows nothing.
    pub fn new(enabled: bool) -> WaitProgress {
        let terminal = enabled && std::io::stderr().is_terminal();
        WaitProgress {
            bars: terminal.then(MultiProgress::new),
            clusters: Mutex::new(BTreeMap::new()),
            enabled,
        }
    }

    /// Show one event.
    pub fn event(&self, event: sisyphus_apply::WaitEvent<'_>) {
        use sisyphus_apply::{Readiness, WaitEvent};
        if !self.enabled {
            return;
        }
        let Ok(mut clusters) = self.clusters.lock() else {
            return;
        };
        match event {
            WaitEvent::Start { cluster, total } => {
                let bar = match &self.bars {
                    Some(bars) => cluster_bar(
                        bars,
                        cluster,
                        total,
                        "{prefix:>24} [{bar:30}] {pos}/{len} ready {wide_msg}",
                    ),
                    None => {
                        let _ = crate::printer::status(&format!(
                            "waiting for {total} object(s) in cluster `{cluster}`"
                        ));
                        ProgressBar::hidden()
                    }
                };
                clusters.insert(cluster.to_owned(), bar);
            }
            WaitEvent::Changed { key, readiness } => {
                let Some(bar) = clusters.get(&key.cluster) else {
                    return;
                };
                let line = match readiness {
                    Readiness::Ready => format!("{key}: ready"),
                    Readiness::Waiting(why) => format!("{key}: {why}"),
                    Readiness::Failed(why) => format!("{key}: failed: {why}"),
                };
                if readiness.is_final() {
                    bar.inc(1);
                }
                if self.bars.is_some() {
                    bar.set_message(line);
                } else {
                    let _ = crate::printer::status(&line);
                }
            }
            WaitEvent::Finish { cluster } => {
                if let Some(bar) = clusters.get(cluster) {
                    bar.finish();
                }
            }
        }
    }

    /// Clear the bars.
    pub fn finish(&self) {
        if let Some(bars) = &self.bars {
            let _ = bars.clear();
        }
    }
}
