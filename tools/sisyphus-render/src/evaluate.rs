//! Evaluate each distinct (config digest, context) once, spread over the available cores.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread;

use sisyphus_core::Digest;
use sisyphus_core::app::{Application, EvalContext};

use crate::input::Evaluate;

/// One evaluation's identity: the same config digest in the same context gives the same
/// application.
pub(crate) type EvalKey = (Digest, EvalContext);

/// The outcome of one evaluation, shared by every object that needs it.
pub(crate) type Evaluated = Result<Arc<Application>, Arc<sisyphus_starlark::Error>>;

/// Evaluate every job (deduplicated by key) and return the results by key.
pub(crate) fn evaluate_all(
    jobs: BTreeMap<EvalKey, Arc<dyn Evaluate>>,
) -> BTreeMap<EvalKey, Evaluated> {
    let jobs: Vec<(EvalKey, Arc<dyn Evaluate>)> = jobs.into_iter().collect();
    let threads = thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(jobs.len().div_ceil(16))
        .max(1);
    // Evaluations run on threads with the evaluator's large stack: otherwise each evaluation
    // would start a thread of its own to get one (see `sisyphus_starlark::with_eval_stack`).
    if threads == 1 {
        return sisyphus_starlark::with_eval_stack(|| jobs.into_iter().map(run).collect());
    }
    let chunk = jobs.len().div_ceil(threads);
    let mut out = BTreeMap::new();
    let mut rest = jobs;
    let mut chunks = Vec::new();
    while !rest.is_empty() {
        let tail = rest.split_off(chunk.min(rest.len()));
        chunks.push(rest);
        rest = tail;
    }
    thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    sisyphus_starlark::with_eval_stack(|| {
                        chunk.into_iter().map(run).collect::<Vec<_>>()
                    })
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(results) => out.extend(results),
                // A panic in the evaluator is a bug there; re-raise it rather than hide it.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    out
}

fn run((key, config): (EvalKey, Arc<dyn Evaluate>)) -> (EvalKey, Evaluated) {
    let result = config.evaluate(&key.1).map(Arc::new).map_err(Arc::new);
    (key, result)
}
