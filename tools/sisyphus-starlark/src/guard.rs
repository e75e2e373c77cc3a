//! Bounds on single operations, and checks of the time and heap limits between operations
//! (issue #11, item 1).
//!
//! starlark-rust counts a step per function call and loop iteration and checks its limits every
//! 1,000 steps, so a few heavy operations (squaring a big int, `"x" * 100000000`) got past all
//! of them. Here:
//!
//! - every config's `+`, `-`, `*`, `%` and `<<` are rewritten (at parse time, keeping their spans)
//!   into calls of the builtins in [`guarded_operators`], which check the size of the result
//!   before it is computed ([`MAX_STRING_BYTES`], [`MAX_LIST_LEN`], [`MAX_INT_BITS`]) and the
//!   time and heap limits before every operation;
//! - `*=`, `%=` and `<<=` are refused at parse time (they would bypass the rewrite);
//! - a [`Checkpoint`] runs before every statement and checks the time and heap limits;
//! - `str()`, `repr()`, `json.encode()` and `int()` check the size of what they produce;
//! - methods that can grow a value, `+=` and `-=` are checked by [`crate::methods`].
//!
//! Touches no I/O; the deadline of the running evaluation lives in a thread local.

use std::cell::Cell;
use std::collections::HashMap;
use std::time::Instant;

use anyhow::bail;
use num_bigint::BigInt;
use starlark::codemap::{FileSpan, FileSpanRef};
use starlark::environment::GlobalsBuilder;
use starlark::eval::{BeforeStmtFunc, BeforeStmtFuncDyn, Evaluator};
use starlark::syntax::AstModule;
use starlark::syntax::ast::{AssignOp, AstStmt, Stmt};
use starlark::values::dict::DictRef;
use starlark::values::list::ListRef;
use starlark::values::structs::StructRef;
use starlark::values::tuple::TupleRef;
use starlark::values::{UnpackValue, Value, ValueIdentity};
use starlark_derive::starlark_module;

/// Longest string (in bytes) one operation may produce.
pub(crate) const MAX_STRING_BYTES: usize = 16 << 20;
/// Most elements one operation may put in a list or tuple. A million: a native call that
/// walks that many (`list(enumerate(l))`, `sorted(l)`) stays well inside the time and heap
/// limits, which at ten million it did not (8 s and 508 MB for `list(enumerate(...))`).
pub(crate) const MAX_LIST_LEN: usize = 1_000_000;
/// Most bits an int may have. Ints live outside the Starlark heap, so its limit does not see
/// them: 2,000,000 steps of 1024-bit results stay within about 300 MB.
pub(crate) const MAX_INT_BITS: u64 = 1024;
/// Longest digit string `int()` and `json.decode()` accept (a 1024-bit int has 309 digits).
pub(crate) const MAX_INT_DIGITS: usize = 320;

/// The words every size-limit error starts with (see [`crate::error`]).
pub(crate) const TOO_LARGE: &str = "result too large";

/// The words of a breached step limit (see [`crate::error`]).
pub(crate) const STEP_LIMIT: &str = "evaluation step limit passed";

/// The words of a breached heap limit (see [`crate::error`]).
pub(crate) const HEAP_LIMIT: &str = "evaluation heap limit passed";

/// The words of a breached deadline (see [`crate::error`]).
pub(crate) const TIME_LIMIT: &str = "evaluation deadline passed";

thread_local! {
    /// When the evaluation running on this thread must stop.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// The statement before which a [`Checkpoint`] found a limit breached (its error has no
    /// span of its own).
    static BREACH_AT: std::cell::RefCell<Option<FileSpan>> = const { std::cell::RefCell::new(None) };
}

/// Where the last breach a [`Checkpoint`] found happened, taken (once).
pub(crate) fn take_breach_span() -> Option<FileSpan> {
    BREACH_AT.with(|b| b.borrow_mut().take())
}

/// Starts the clock of an evaluation on this thread: it must end by `deadline`.
pub(crate) fn set_deadline(deadline: Instant) {
    DEADLINE.set(Some(deadline));
    BREACH_AT.with(|b| *b.borrow_mut() = None);
}

/// Whether the evaluation on this thread is past its deadline.
pub(crate) fn past_deadline() -> bool {
    DEADLINE.get().is_some_and(|d| Instant::now() > d)
}

/// Checks the time and heap limits of `eval`.
pub(crate) fn check_budget(eval: &mut Evaluator) -> starlark::Result<()> {
    if past_deadline() {
        return Err(starlark::Error::new_other(anyhow::anyhow!("{TIME_LIMIT}")));
    }
    if eval.get_total_tick_count() > crate::error::MAX_TICKS {
        return Err(starlark::Error::new_other(anyhow::anyhow!("{STEP_LIMIT}")));
    }
    if eval.heap().peak_allocated_bytes() > crate::error::MAX_HEAP_BYTES {
        return Err(starlark::Error::new_other(anyhow::anyhow!("{HEAP_LIMIT}")));
    }
    Ok(())
}

/// Runs before every statement: checks the time and heap limits.
struct Checkpoint;

impl<'e> BeforeStmtFuncDyn<'e> for Checkpoint {
    fn call<'v>(
        &mut self,
        span: FileSpanRef,
        _continued: bool,
        eval: &mut Evaluator<'v, '_, 'e>,
    ) -> starlark::Result<()> {
        let result = check_budget(eval);
        if result.is_err() {
            BREACH_AT.with(|b| *b.borrow_mut() = Some(span.to_file_span()));
        }
        result
    }
}

/// Installs the per-statement [`Checkpoint`] on `eval` (before anything is compiled with it).
pub(crate) fn install_checkpoint(eval: &mut Evaluator) {
    eval.before_stmt_for_dap(BeforeStmtFunc::from_dyn(Box::new(Checkpoint)));
}

/// How the names of the builtins the operators are rewritten to start.
pub(crate) const OPERATOR_PREFIX: &str = "_sisyphus_";

/// The builtins the operators are rewritten to, by operator.
const OPERATORS: [(&str, &str); 5] = [
    ("+", "_sisyphus_add"),
    ("-", "_sisyphus_sub"),
    ("*", "_sisyphus_mul"),
    ("%", "_sisyphus_percent"),
    ("<<", "_sisyphus_left_shift"),
];

/// Finds an augmented assignment that would bypass the operator checks: `(line, column,
/// operator)`, 1-based, of the first.
pub(crate) fn find_unguarded(ast: &AstModule) -> Option<(usize, usize, &'static str)> {
    let mut found = None;
    unguarded_in(ast.statement(), &mut |span| {
        if found.is_none() {
            found = Some(span);
        }
    });
    let (span, op) = found?;
    let resolved = ast.file_span(span).resolve_span();
    Some((resolved.begin.line + 1, resolved.begin.column + 1, op))
}

/// Rewrites the guarded operators of `ast` into builtin calls.
pub(crate) fn replace_operators(ast: &mut AstModule) {
    let replace: HashMap<String, String> = OPERATORS
        .iter()
        .map(|(op, f)| ((*op).to_owned(), (*f).to_owned()))
        .collect();
    ast.replace_binary_operators(&replace);
}

/// Calls `found` with the span of every `*=`, `%=` and `<<=` in `stmt`.
fn unguarded_in(stmt: &AstStmt, found: &mut dyn FnMut((starlark::codemap::Span, &'static str))) {
    if let Stmt::AssignModify(_, op, _) = &stmt.node {
        let op = match op {
            AssignOp::Multiply => Some("*="),
            AssignOp::Percent => Some("%="),
            AssignOp::LeftShift => Some("<<="),
            _ => None,
        };
        if let Some(op) = op {
            found((stmt.span, op));
        }
    }
    stmt.visit_stmt(|s| unguarded_in(s, found));
}

/// Bits of an int value (`None` when `v` is not an int).
fn int_bits(v: Value) -> Option<u64> {
    if v.get_type() != "int" {
        return None;
    }
    BigInt::unpack_value(v).ok().flatten().map(|i| i.bits())
}

/// An int value as `i128`, saturating (`None` when `v` is not an int).
fn int_value(v: Value) -> Option<i128> {
    if v.get_type() != "int" {
        return None;
    }
    let i = BigInt::unpack_value(v).ok().flatten()?;
    Some(
        i128::try_from(&i).unwrap_or(if i.sign() == num_bigint::Sign::Minus {
            i128::MIN
        } else {
            i128::MAX
        }),
    )
}

/// `repr(v)` for a message, at most 40 characters (ints are capped, so this is cheap).
pub(crate) fn short_repr(v: Value) -> String {
    let text = if text_len(v) > 4096 {
        format!("a value of type `{}`", v.get_type())
    } else {
        v.to_repr()
    };
    if text.chars().count() > 40 {
        let head: String = text.chars().take(37).collect();
        format!("{head}...")
    } else {
        text
    }
}

/// Length of a list or tuple value.
fn seq_len(v: Value) -> Option<usize> {
    if let Some(l) = ListRef::from_value(v) {
        return Some(l.len());
    }
    TupleRef::from_value(v).map(|t| t.len())
}

pub(crate) fn too_large_string(op: &str, found: u128) -> anyhow::Error {
    anyhow::anyhow!(
        "{TOO_LARGE}: `{op}` would build a string of {found} bytes, expected at most \
         {MAX_STRING_BYTES} ({} MiB)",
        MAX_STRING_BYTES >> 20
    )
}

pub(crate) fn too_large_list(op: &str, found: u128) -> anyhow::Error {
    anyhow::anyhow!(
        "{TOO_LARGE}: `{op}` would build a list or tuple of {found} elements, expected at most \
         {MAX_LIST_LEN}"
    )
}

fn too_large_int(op: &str, found: u128) -> anyhow::Error {
    anyhow::anyhow!(
        "{TOO_LARGE}: `{op}` would build an int of about {found} bits, expected at most \
         {MAX_INT_BITS}"
    )
}

/// Refuses `a * b` when the result would be too large.
fn check_mul<'v>(a: Value<'v>, b: Value<'v>) -> anyhow::Result<()> {
    for (x, n) in [(a, b), (b, a)] {
        let Some(n) = int_value(n) else { continue };
        let times = u128::try_from(n.max(0)).unwrap_or(0);
        if let Some(s) = x.unpack_str() {
            let total = (s.len() as u128).saturating_mul(times);
            if total > MAX_STRING_BYTES as u128 {
                return Err(too_large_string("*", total));
            }
        } else if let Some(len) = seq_len(x) {
            let total = (len as u128).saturating_mul(times);
            if total > MAX_LIST_LEN as u128 {
                return Err(too_large_list("*", total));
            }
        }
    }
    if let (Some(x), Some(y)) = (int_bits(a), int_bits(b)) {
        let bits = u128::from(x) + u128::from(y);
        if bits > u128::from(MAX_INT_BITS) {
            return Err(too_large_int("*", bits));
        }
    }
    Ok(())
}

/// Refuses `a + b` (`op` is how it was written: `+`, `+=`) when the result would be too large.
pub(crate) fn check_add<'v>(a: Value<'v>, b: Value<'v>, op: &str) -> anyhow::Result<()> {
    if let (Some(x), Some(y)) = (a.unpack_str(), b.unpack_str()) {
        let total = x.len() as u128 + y.len() as u128;
        if total > MAX_STRING_BYTES as u128 {
            return Err(too_large_string(op, total));
        }
    } else if let (Some(x), Some(y)) = (seq_len(a), seq_len(b)) {
        let total = x as u128 + y as u128;
        if total > MAX_LIST_LEN as u128 {
            return Err(too_large_list(op, total));
        }
    } else if let (Some(x), Some(y)) = (int_bits(a), int_bits(b)) {
        let bits = u128::from(x.max(y)) + 1;
        if bits > u128::from(MAX_INT_BITS) {
            return Err(too_large_int(op, bits));
        }
    }
    Ok(())
}

/// Refuses `a - b` (`op`: `-`, `-=`) when the result would be an int too large (each `-` can
/// add a bit).
pub(crate) fn check_sub<'v>(a: Value<'v>, b: Value<'v>, op: &str) -> anyhow::Result<()> {
    if let (Some(x), Some(y)) = (int_bits(a), int_bits(b)) {
        let bits = u128::from(x.max(y)) + 1;
        if bits > u128::from(MAX_INT_BITS) {
            return Err(too_large_int(op, bits));
        }
    }
    Ok(())
}

/// Refuses `a << b` when the result would be too large.
fn check_left_shift<'v>(a: Value<'v>, b: Value<'v>) -> anyhow::Result<()> {
    if let (Some(x), Some(n)) = (int_bits(a), int_value(b))
        && x > 0
    {
        let bits = u128::from(x).saturating_add(u128::try_from(n.max(0)).unwrap_or(0));
        if bits > u128::from(MAX_INT_BITS) {
            return Err(too_large_int("<<", bits));
        }
    }
    Ok(())
}

/// Refuses `a % b` (string formatting) when the result could be too large.
fn check_percent<'v>(a: Value<'v>, b: Value<'v>) -> anyhow::Result<()> {
    let Some(format) = a.unpack_str() else {
        return Ok(());
    };
    let args = if let Some(t) = TupleRef::from_value(b) {
        t.iter().map(text_len).fold(0u128, u128::saturating_add)
    } else if let Some(d) = DictRef::from_value(b) {
        // `%(key)s` may name one value any number of times.
        let widest = d.values().map(text_len).max().unwrap_or(0);
        (format.matches('%').count() as u128).saturating_mul(widest)
    } else {
        text_len(b)
    };
    let total = (format.len() as u128).saturating_add(args);
    if total > MAX_STRING_BYTES as u128 {
        return Err(too_large_string("%", total));
    }
    Ok(())
}

/// An upper bound (roughly) of the length of `repr(v)` and `str(v)`, computed without building
/// it: a value shared many times is counted each time it would be printed, a cycle once.
pub(crate) fn text_len(v: Value) -> u128 {
    let mut memo: HashMap<ValueIdentity, u128> = HashMap::new();
    let mut on_path: Vec<ValueIdentity> = Vec::new();
    text_len_in(v, &mut memo, &mut on_path, 0)
}

/// [`text_len`] with its memo; `depth` bounds the recursion (deeper values are refused by
/// the depth check before printing anyway).
fn text_len_in<'v>(
    v: Value<'v>,
    memo: &mut HashMap<ValueIdentity<'v>, u128>,
    on_path: &mut Vec<ValueIdentity<'v>>,
    depth: usize,
) -> u128 {
    if let Some(s) = v.unpack_str() {
        // Quotes and escapes: at most 4 bytes per byte.
        return (s.len() as u128).saturating_mul(4) + 2;
    }
    if let Some(bits) = int_bits(v) {
        return u128::from(bits) / 3 + 2;
    }
    let kids: Vec<Value<'v>> = if let Some(list) = ListRef::from_value(v) {
        list.iter().collect()
    } else if let Some(tuple) = TupleRef::from_value(v) {
        tuple.iter().collect()
    } else if let Some(dict) = DictRef::from_value(v) {
        dict.iter().flat_map(|(k, v)| [k, v]).collect()
    } else if let Some(st) = StructRef::from_value(v) {
        st.iter().map(|(_, v)| v).collect()
    } else {
        // Scalars and other values print in a few dozen bytes.
        return 64;
    };
    let id = v.identity();
    if let Some(n) = memo.get(&id) {
        return *n;
    }
    if on_path.contains(&id) || depth > crate::sandbox::MAX_VALUE_DEPTH {
        return 8;
    }
    on_path.push(id);
    let mut total: u128 = 2;
    for kid in kids {
        // Separators, names and punctuation: generously 64 bytes per element.
        total = total
            .saturating_add(text_len_in(kid, memo, on_path, depth + 1))
            .saturating_add(64);
    }
    on_path.pop();
    memo.insert(id, total);
    total
}

/// Refuses to print `v` (`str()`, `repr()`, `json.encode()`) when the text would be too long.
pub(crate) fn check_text(v: Value, what: &str) -> anyhow::Result<()> {
    let len = text_len(v);
    if len > MAX_STRING_BYTES as u128 {
        bail!(
            "{TOO_LARGE}: `{what}` would build a string of about {len} bytes, expected at most \
             {MAX_STRING_BYTES} ({} MiB)",
            MAX_STRING_BYTES >> 20
        );
    }
    Ok(())
}

/// Refuses a string with a run of more digits than an int within [`MAX_INT_BITS`] has
/// (`int()` and `json.decode()` of such a string take time quadratic in its length).
/// `letters` counts letters as digits too (`int()` takes bases up to 36).
pub(crate) fn check_digits(s: &str, what: &str, letters: bool) -> anyhow::Result<()> {
    let mut run = 0usize;
    for b in s.bytes() {
        if b.is_ascii_digit() || (letters && b.is_ascii_alphabetic()) {
            run += 1;
            if run > MAX_INT_DIGITS {
                bail!(
                    "{TOO_LARGE}: `{what}` was given a number of more than {MAX_INT_DIGITS} \
                     digits, expected at most {MAX_INT_DIGITS} (ints have at most \
                     {MAX_INT_BITS} bits)"
                );
            }
        } else {
            run = 0;
        }
    }
    Ok(())
}

/// Turns a check failure into a Starlark error.
pub(crate) fn refuse(e: anyhow::Error) -> starlark::Error {
    starlark::Error::new_other(e)
}

#[starlark_module]
pub(crate) fn guarded_operators(builder: &mut GlobalsBuilder) {
    /// `a + b`, refusing results over the size limits.
    fn _sisyphus_add<'v>(
        #[starlark(require = pos)] a: Value<'v>,
        #[starlark(require = pos)] b: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        check_budget(eval)?;
        check_add(a, b, "+").map_err(refuse)?;
        a.add(b, eval.heap())
    }

    /// `a - b`, refusing ints over the size limit.
    fn _sisyphus_sub<'v>(
        #[starlark(require = pos)] a: Value<'v>,
        #[starlark(require = pos)] b: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        check_budget(eval)?;
        check_sub(a, b, "-").map_err(refuse)?;
        a.sub(b, eval.heap())
    }

    /// `a * b`, refusing results over the size limits before they are built.
    fn _sisyphus_mul<'v>(
        #[starlark(require = pos)] a: Value<'v>,
        #[starlark(require = pos)] b: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        check_budget(eval)?;
        check_mul(a, b).map_err(refuse)?;
        a.mul(b, eval.heap())
    }

    /// `a % b`, refusing formatted strings over the size limit before they are built.
    fn _sisyphus_percent<'v>(
        #[starlark(require = pos)] a: Value<'v>,
        #[starlark(require = pos)] b: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        check_budget(eval)?;
        check_percent(a, b).map_err(refuse)?;
        a.percent(b, eval.heap())
    }

    /// `a << b`, refusing ints over the size limit before they are built.
    fn _sisyphus_left_shift<'v>(
        #[starlark(require = pos)] a: Value<'v>,
        #[starlark(require = pos)] b: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        check_budget(eval)?;
        check_left_shift(a, b).map_err(refuse)?;
        a.left_shift(b, eval.heap())
    }
}
