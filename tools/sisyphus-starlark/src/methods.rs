//! Size checks of the string, list and dict methods whose result can be much larger than their
//! receiver and arguments, and of `+=` and `-=` (issue #11, item 1). [`crate::rewrite`] routes
//! every `x.NAME` with `NAME` in [`GUARDED`] through `_sisyphus_method`, `T += y` through
//! `_sisyphus_augend` and `T -= y` through `_sisyphus_subtrahend`; `getattr` is checked the
//! same way. Each refuses before the result is built when it would pass [`MAX_STRING_BYTES`],
//! [`MAX_LIST_LEN`] or [`crate::guard::MAX_INT_BITS`]:
//!
//! - `str.join`, `str.replace`, `str.format`: the result's length, computed from the arguments;
//! - `str.split`, `str.rsplit`, `str.splitlines`: the number of pieces;
//! - `str.elems`, `str.codepoints`, `str.elem_ords`, `str.codepoint_ords`: one element per
//!   character;
//! - `list.extend`, `dict.update`, `+=`: the length after growing; `-=`: the bits of an int.
//!
//! Other methods produce at most about three times their receiver (`upper()` of some
//! characters) or one element more (`append`, `insert`, `setdefault`); the heap limit, checked
//! before every statement and operator, bounds them.

use starlark::environment::GlobalsBuilder;
use starlark::eval::Evaluator;
use starlark::values::dict::DictRef;
use starlark::values::list::ListRef;
use starlark::values::tuple::TupleRef;
use starlark::values::{Heap, Value};
use starlark_derive::starlark_module;
use starlark_syntax::dot_format_parser::{FormatConv, FormatParser, FormatToken};

use crate::guard::{
    MAX_LIST_LEN, MAX_STRING_BYTES, check_add, check_budget, check_sub, refuse, text_len,
    too_large_list, too_large_string,
};

/// The attribute names whose reads are rewritten (whatever the receiver turns out to be).
pub(crate) const GUARDED: [&str; 12] = [
    "join",
    "replace",
    "format",
    "split",
    "rsplit",
    "splitlines",
    "elems",
    "codepoints",
    "elem_ords",
    "codepoint_ords",
    "extend",
    "update",
];

/// Whether `recv.name` is a method checked here.
fn is_checked(recv: Value, name: &str) -> bool {
    match name {
        "join" | "replace" | "format" | "split" | "rsplit" | "splitlines" | "elems"
        | "codepoints" | "elem_ords" | "codepoint_ords" => recv.unpack_str().is_some(),
        "extend" => ListRef::from_value(recv).is_some(),
        "update" => DictRef::from_value(recv).is_some(),
        _ => false,
    }
}

/// Refuses a string result of `total` bytes over the limit.
fn string_within(method: &str, total: u128) -> anyhow::Result<()> {
    if total > MAX_STRING_BYTES as u128 {
        return Err(too_large_string(&format!(".{method}()"), total));
    }
    Ok(())
}

/// Refuses a list (or dict) result of `total` elements over the limit.
fn list_within(method: &str, total: u128) -> anyhow::Result<()> {
    if total > MAX_LIST_LEN as u128 {
        return Err(too_large_list(&format!(".{method}()"), total));
    }
    Ok(())
}

/// Calls `f` with each element of the iterable `v`, at most [`MAX_LIST_LEN`] + 1 of them, and
/// returns how many there were (`None` when `v` is not iterable: the method reports that).
fn each<'v>(v: Value<'v>, heap: Heap<'v>, mut f: impl FnMut(Value<'v>)) -> Option<usize> {
    let mut n = 0;
    let mut visit = |x: Value<'v>| {
        n += 1;
        f(x);
    };
    if let Some(l) = ListRef::from_value(v) {
        l.iter().take(MAX_LIST_LEN + 1).for_each(&mut visit);
    } else if let Some(t) = TupleRef::from_value(v) {
        t.iter().take(MAX_LIST_LEN + 1).for_each(&mut visit);
    } else {
        v.iterate(heap)
            .ok()?
            .take(MAX_LIST_LEN + 1)
            .for_each(&mut visit);
    }
    Some(n)
}

/// How many elements iterating `v` yields, counting at most [`MAX_LIST_LEN`] + 1.
fn count<'v>(v: Value<'v>, heap: Heap<'v>) -> u128 {
    if let Ok(n) = v.length() {
        return u128::try_from(n).unwrap_or(0);
    }
    each(v, heap, |_| {}).map_or(0, |n| n as u128)
}

/// The length of `str(v)` (`repr` false) or `repr(v)`, at most.
fn shown_len(v: Value, repr: bool) -> u128 {
    match v.unpack_str() {
        Some(s) if !repr => s.len() as u128,
        _ => text_len(v),
    }
}

/// Refuses `recv.name(args)` when its result would be over the limits.
fn check<'v>(
    recv: Value<'v>,
    name: &str,
    pos: &[Value<'v>],
    named: &[(&str, Value<'v>)],
    heap: Heap<'v>,
) -> anyhow::Result<()> {
    if let Some(this) = recv.unpack_str() {
        let this_len = this.len() as u128;
        match name {
            "join" => {
                let mut text: u128 = 0;
                let Some(n) = pos.first().and_then(|v| {
                    each(*v, heap, |x| {
                        text += x.unpack_str().map_or(0, |s| s.len() as u128);
                    })
                }) else {
                    return Ok(());
                };
                list_within(name, n as u128)?;
                let seps = this_len.saturating_mul(n.saturating_sub(1) as u128);
                string_within(name, text.saturating_add(seps))?;
            }
            "replace" => {
                let (Some(old), Some(new)) = (
                    pos.first().and_then(|v| v.unpack_str()),
                    pos.get(1).and_then(|v| v.unpack_str()),
                ) else {
                    return Ok(());
                };
                let limit = pos
                    .get(2)
                    .and_then(|v| v.unpack_i32())
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(usize::MAX);
                let found = this.matches(old).take(limit).count() as u128;
                let total = this_len.saturating_sub(found.saturating_mul(old.len() as u128))
                    + found.saturating_mul(new.len() as u128);
                string_within(name, total)?;
            }
            "format" => string_within(name, format_len(this, pos, named))?,
            // Iterables of one element per character: `list(s.elems())` of a 16 MiB string
            // would be 16,000,000 elements built in one native call.
            "elems" | "codepoints" | "elem_ords" | "codepoint_ords" => {
                list_within(name, this.chars().count() as u128)?;
            }
            "split" | "rsplit" => {
                let pieces = match pos.first().and_then(|v| v.unpack_str()) {
                    Some(sep) if !sep.is_empty() => this.matches(sep).count(),
                    _ => this.chars().filter(|c| c.is_whitespace()).count(),
                };
                list_within(name, pieces as u128 + 1)?;
            }
            "splitlines" => {
                let breaks = this
                    .chars()
                    .filter(|c| {
                        matches!(
                            c,
                            '\n' | '\r'
                                | '\x0b'
                                | '\x0c'
                                | '\x1c'
                                | '\x1d'
                                | '\x1e'
                                | '\u{85}'
                                | '\u{2028}'
                                | '\u{2029}'
                        )
                    })
                    .count();
                list_within(name, breaks as u128 + 1)?;
            }
            _ => {}
        }
    } else if let Some(list) = ListRef::from_value(recv) {
        if name == "extend"
            && let Some(other) = pos.first()
        {
            list_within(name, list.len() as u128 + count(*other, heap))?;
        }
    } else if let Some(dict) = DictRef::from_value(recv)
        && name == "update"
    {
        let added = pos.first().map_or(0, |v| count(*v, heap)) + named.len() as u128;
        list_within(name, dict.len() as u128 + added)?;
    }
    Ok(())
}

/// The length of `this.format(pos, named)` at most: its text plus each field as shown.
fn format_len<'v>(this: &str, pos: &[Value<'v>], named: &[(&str, Value<'v>)]) -> u128 {
    let mut parser = FormatParser::new(this);
    let mut total: u128 = 0;
    let mut next = 0usize;
    let widest = |repr: bool| {
        pos.iter()
            .copied()
            .chain(named.iter().map(|(_, v)| *v))
            .map(|v| shown_len(v, repr))
            .max()
            .unwrap_or(0)
    };
    // A malformed format string is reported by the method itself.
    while let Ok(Some(token)) = parser.next() {
        match token {
            FormatToken::Text(text) => total = total.saturating_add(text.len() as u128),
            FormatToken::Escape(_) => total = total.saturating_add(1),
            FormatToken::Capture { capture, conv, .. } => {
                let repr = conv == FormatConv::Repr;
                let arg = if capture.is_empty() {
                    next += 1;
                    pos.get(next - 1).copied()
                } else if let Ok(i) = capture.parse::<usize>() {
                    pos.get(i).copied()
                } else {
                    named.iter().find(|(n, _)| *n == capture).map(|(_, v)| *v)
                };
                let len = arg.map_or_else(|| widest(repr), |v| shown_len(v, repr));
                total = total.saturating_add(len);
            }
        }
    }
    total
}

/// A global function of the config globals, by name.
fn global<'v>(name: &str) -> anyhow::Result<Value<'v>> {
    crate::builtins::globals()
        .iter()
        .find_map(|(n, v)| (n == name).then(|| v.to_value()))
        .ok_or_else(|| anyhow::anyhow!("internal error: the builtin `{name}` is missing"))
}

/// `recv.name`: the real attribute, or for a checked method a `partial` of
/// `_sisyphus_call(recv, name, ...)`.
fn attribute<'v>(
    recv: Value<'v>,
    name: &str,
    eval: &mut Evaluator<'v, '_, '_>,
) -> starlark::Result<Value<'v>> {
    if !is_checked(recv, name) {
        return recv.get_attr_error(name, eval.heap());
    }
    let partial = global("partial").map_err(refuse)?;
    let call = global("_sisyphus_call").map_err(refuse)?;
    let name = eval.heap().alloc_str(name).to_value();
    eval.eval_function(partial, &[call, recv, name], &[])
}

#[starlark_module]
pub(crate) fn guarded_methods(builder: &mut GlobalsBuilder) {
    /// `recv.name` (every read of a name in `GUARDED` is rewritten to this).
    fn _sisyphus_method<'v>(
        #[starlark(require = pos)] recv: Value<'v>,
        #[starlark(require = pos)] name: &str,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        attribute(recv, name, eval)
    }

    /// `recv.name(*args, **kwargs)`, refusing results over the size limits before they are
    /// built.
    fn _sisyphus_call<'v>(
        #[starlark(require = pos)] recv: Value<'v>,
        #[starlark(require = pos)] name: &str,
        #[starlark(args)] args: Value<'v>,
        #[starlark(kwargs)] kwargs: DictRef<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        check_budget(eval)?;
        let pos: Vec<Value> = TupleRef::from_value(args)
            .map(|t| t.iter().collect())
            .unwrap_or_default();
        let named: Vec<(&str, Value)> = kwargs
            .iter()
            .filter_map(|(k, v)| k.unpack_str().map(|k| (k, v)))
            .collect();
        check(recv, name, &pos, &named, eval.heap()).map_err(refuse)?;
        let method = recv.get_attr_error(name, eval.heap())?;
        eval.eval_function(method, &pos, &named)
    }

    /// The right side of `target += value`, after refusing a result over the size limits.
    fn _sisyphus_augend<'v>(
        #[starlark(require = pos)] target: Value<'v>,
        #[starlark(require = pos)] value: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        check_budget(eval)?;
        check_add(target, value, "+=").map_err(refuse)?;
        Ok(value)
    }

    /// The right side of `target -= value`, after refusing an int over the size limit.
    fn _sisyphus_subtrahend<'v>(
        #[starlark(require = pos)] target: Value<'v>,
        #[starlark(require = pos)] value: Value<'v>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        check_budget(eval)?;
        check_sub(target, value, "-=").map_err(refuse)?;
        Ok(value)
    }

    /// `getattr(x, name, default)`, checked like `x.name`.
    fn getattr<'v>(
        #[starlark(require = pos)] a: Value<'v>,
        #[starlark(require = pos)] attr: &str,
        #[starlark(require = pos)] default: Option<Value<'v>>,
        eval: &mut Evaluator<'v, '_, '_>,
    ) -> starlark::Result<Value<'v>> {
        match default {
            Some(d) if !a.has_attr(attr, eval.heap()) => Ok(d),
            _ => attribute(a, attr, eval),
        }
    }
}
