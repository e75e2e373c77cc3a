//! What keeps one bad config from taking the process down, beyond starlark's own limits and the
//! per-operation checks of [`crate::guard`]:
//!
//! - evaluation runs on a thread with an [`EVAL_STACK_SIZE`] stack ([`with_eval_stack`]), so
//!   native recursion over nested values (`str`, `json.encode`, freezing a module, `==`) has
//!   room;
//! - values nested deeper than [`MAX_VALUE_DEPTH`] are refused before the recursive
//!   operations we control: `str()`, `repr()`, `json.encode()` and freezing a module;
//! - `range()` is capped at [`MAX_RANGE_LEN`] elements, so `list(range(400000000))` is an error
//!   instead of a 45 GB allocation;
//! - a panic inside the interpreter (bumpalo's "out of memory" on a huge string) becomes an
//!   [`Error::Limit`] ([`guarded`]).
//!
//! Touches no I/O; spawns (and joins) at most one thread per call.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use starlark::values::dict::DictRef;
use starlark::values::list::ListRef;
use starlark::values::structs::StructRef;
use starlark::values::tuple::TupleRef;
use starlark::values::{Value, ValueIdentity};

use crate::Error;
use crate::error::Fallback;

/// Stack size of the threads that evaluate configs: 512 MiB of address space, committed only
/// as it is used. Evaluation run elsewhere (through [`crate::Config::load`] or
/// [`crate::Config::evaluate`]) moves to such a thread by itself; callers that evaluate many
/// times should wrap their whole loop (each worker thread's body) in [`with_eval_stack`] so
/// that happens once per worker instead of once per call.
pub const EVAL_STACK_SIZE: usize = 512 << 20;

/// Deepest nesting of lists, tuples, dicts and structs `str()`, `repr()`, `json.encode()` and
/// module freezing accept.
pub(crate) const MAX_VALUE_DEPTH: usize = 1000;

/// The words that mark a depth error as a limit (see [`crate::error`]).
pub(crate) const NESTED_TOO_DEEPLY: &str = "value nested too deeply";

/// How the error of a too long `range()` starts.
pub(crate) const RANGE_TOO_LONG: &str = "`range()`: expected at most";

/// Most elements a `range()` may have (as many as a list, [`crate::guard::MAX_LIST_LEN`]).
pub(crate) const MAX_RANGE_LEN: i64 = 1_000_000;

thread_local! {
    /// Whether this thread was started by [`with_eval_stack`].
    static ON_EVAL_STACK: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` on a thread with an [`EVAL_STACK_SIZE`] stack and returns its result: directly
/// when the current thread already is one, else on a new thread that is joined before this
/// returns. Config evaluation called inside `f` then runs without spawning threads of its own.
///
/// If the thread cannot be spawned, `f` runs on the current thread.
///
/// # Panics
///
/// When `f` panics (the panic is resumed on the calling thread).
pub fn with_eval_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if ON_EVAL_STACK.get() {
        return f();
    }
    let slot = Mutex::new(Some(f));
    let take = || {
        slot.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    };
    let spawned = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("starlark-eval".to_owned())
            .stack_size(EVAL_STACK_SIZE)
            .spawn_scoped(scope, || {
                ON_EVAL_STACK.set(true);
                take().map(|f| f())
            })
            .ok()?;
        Some(match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    });
    match spawned.flatten() {
        Some(result) => result,
        // Spawning failed: the closure is still in the slot.
        None => match take() {
            Some(f) => f(),
            None => unreachable_closure(),
        },
    }
}

/// The closure ran on the spawned thread but produced no result: impossible, since a thread
/// that took it either returned its result or panicked (and the panic was resumed).
#[cold]
fn unreachable_closure() -> ! {
    panic!("invariant broken: the evaluation closure was taken but returned nothing")
}

/// Runs `f` on an evaluation stack and turns a panic inside it into an [`Error::Limit`] at
/// `fallback`.
pub(crate) fn guarded<T: Send>(
    fallback: &Fallback,
    f: impl FnOnce() -> Result<T, Error> + Send,
) -> Result<T, Error> {
    with_eval_stack(|| match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(Error::Limit(Box::new(fallback.diagnostic(format!(
                "evaluation stopped inside the Starlark interpreter ({reason}): expected a \
                 config within the limits, found one whose single operation needs too much \
                 (such as a string of gigabytes)"
            )))))
        }
    })
}

/// The lists, tuples, dicts (keys and values) and structs directly inside `v`.
fn children<'v>(v: Value<'v>) -> Vec<Value<'v>> {
    if let Some(list) = ListRef::from_value(v) {
        return list.iter().collect();
    }
    if let Some(tuple) = TupleRef::from_value(v) {
        return tuple.iter().collect();
    }
    if let Some(dict) = DictRef::from_value(v) {
        return dict.iter().flat_map(|(k, v)| [k, v]).collect();
    }
    if let Some(st) = StructRef::from_value(v) {
        return st.iter().map(|(_, v)| v).collect();
    }
    Vec::new()
}

/// Whether `v` nests containers more than `max` levels deep, without recursing (a value that
/// contains itself counts once, as `repr` prints it once).
pub(crate) fn too_deep<'v>(v: Value<'v>, max: usize) -> bool {
    // Height of each finished container; containers on the current path (cycles) are skipped.
    let mut height: HashMap<ValueIdentity<'v>, usize> = HashMap::new();
    let mut on_path: HashSet<ValueIdentity<'v>> = HashSet::new();
    let mut stack: Vec<Frame<'v>> = vec![Frame::new(v)];
    on_path.insert(v.identity());
    while let Some(frame) = stack.last_mut() {
        let Some(&kid) = frame.kids.get(frame.next) else {
            let h = frame.tallest + usize::from(!frame.kids.is_empty());
            let finished = frame.value.identity();
            stack.pop();
            on_path.remove(&finished);
            height.insert(finished, h);
            if let Some(parent) = stack.last_mut() {
                parent.tallest = parent.tallest.max(h);
            }
            continue;
        };
        frame.next += 1;
        if let Some(h) = height.get(&kid.identity()) {
            frame.tallest = frame.tallest.max(*h);
        } else if !on_path.contains(&kid.identity()) {
            if stack.len() > max {
                return true;
            }
            on_path.insert(kid.identity());
            stack.push(Frame::new(kid));
        }
    }
    height.get(&v.identity()).is_some_and(|h| *h > max)
}

/// A container being walked by [`too_deep`].
struct Frame<'v> {
    value: Value<'v>,
    kids: Vec<Value<'v>>,
    /// Index of the next child to visit.
    next: usize,
    /// Height of the tallest child visited so far.
    tallest: usize,
}

impl<'v> Frame<'v> {
    fn new(value: Value<'v>) -> Self {
        Frame {
            value,
            kids: children(value),
            next: 0,
            tallest: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_eval_stack_runs_once_per_thread_and_returns_the_result() {
        let outer = std::thread::current().id();
        let (inner, nested) = with_eval_stack(|| {
            let inner = std::thread::current().id();
            // Already on an evaluation stack: no second thread.
            let nested = with_eval_stack(|| std::thread::current().id());
            (inner, nested)
        });
        assert_ne!(outer, inner);
        assert_eq!(inner, nested);
    }

    #[test]
    fn a_panic_becomes_a_limit_error() {
        let fallback = crate::loader::file_start("main.star", "def main(ctx):\n");
        let result: Result<(), Error> = guarded(&fallback, || panic!("out of memory"));
        let error = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            error.starts_with(
                "main.star:1:1: evaluation stopped inside the Starlark interpreter (out of memory)"
            ),
            "{error}"
        );
    }
}
