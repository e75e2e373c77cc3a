//! Source rewrites that route method calls, `+=` and `-=` through the size checks of
//! [`crate::methods`] (issue #11, item 1), and the map that locates errors in the original text.
//!
//! starlark-rust lets a host rewrite binary operators ([`crate::guard`]) but offers no way to
//! change any other node of a parsed module, so these are text edits on the source, computed
//! from its parsed AST and parsed again:
//!
//! - `x.NAME` for every `NAME` in [`crate::methods::GUARDED`] (called or not, any receiver)
//!   becomes `_sisyphus_method(x, "NAME")`; `x.join(l)` is then `_sisyphus_method(x, "join")(l)`;
//! - `T += y`, where `T` is a name, or a field or index of names and literals, becomes
//!   `T += _sisyphus_augend(T, (y))` (and `T -= y` likewise `_sisyphus_subtrahend`).
//!
//! Edits never add or remove a line. The rewritten text ends with a comment line holding the
//! edits (the *source map*), so a span of the rewritten module, which carries its text, is
//! mapped back to the original text by [`original_span`] without any other state.

use std::fmt::Write as _;

use starlark::codemap::{CodeMap, FileSpan, Pos, Span};
use starlark::syntax::ast::{
    AssignOp, AssignTargetP, AstExpr, AstLiteral, AstNoPayload, AstStmt, ExprP, Stmt,
};
use starlark::syntax::{AstModule, Dialect};
use starlark_syntax::lexer::{Lexer, Token};

use crate::methods::GUARDED;

/// How the source map comment starts (the last one in a text is ours).
const MAP_MARKER: &str = "\n#@sisyphus-source-map ";

/// One text edit: `remove` bytes at `at` (in the original) replaced by `insert`.
#[derive(Debug)]
struct Edit {
    at: usize,
    remove: usize,
    insert: String,
}

/// Why a config cannot be rewritten: a `.` or a method name the edits could not find.
#[derive(Debug)]
pub(crate) struct Unrewritable {
    /// The span (in the original) of the expression.
    pub(crate) span: Span,
}

/// The text of `ast` (parsed from `source`) with method calls and `+=` routed through the
/// checks, and the source map appended; `None` when nothing needs rewriting.
pub(crate) fn rewrite(
    path: &str,
    ast: &AstModule,
    source: &str,
) -> Result<Option<String>, Unrewritable> {
    let mut edits = Vec::new();
    let mut failed = None;
    let Some(tokens) = tokens(path, source) else {
        return Err(Unrewritable {
            span: ast.statement().span,
        });
    };
    // `+=` first: its prefix goes outside a method call's at the same place.
    walk_stmt(ast.statement(), source, &mut edits);
    ast.statement()
        .visit_expr(|e| walk_expr(e, &tokens, &mut edits, &mut failed));
    if let Some(span) = failed {
        return Err(Unrewritable { span });
    }
    if edits.is_empty() {
        return Ok(None);
    }
    // Stable: of edits at one place, the outer (collected first) comes first.
    edits.sort_by_key(|e| e.at);
    let mut out = String::with_capacity(source.len() + edits.len() * 24 + 64);
    let mut map = String::new();
    let mut last = 0;
    for e in &edits {
        let (Some(kept), Some(removed)) =
            (source.get(last..e.at), source.get(e.at..e.at + e.remove))
        else {
            return Err(Unrewritable {
                span: Span::new(Pos::new(to_u32(e.at)), Pos::new(to_u32(e.at))),
            });
        };
        out.push_str(kept);
        // new start, new length, original start, original text (`.` or a name: no `,` or `;`).
        let _ = write!(map, "{},{},{},{removed};", out.len(), e.insert.len(), e.at);
        out.push_str(&e.insert);
        last = e.at + e.remove;
    }
    out.push_str(source.get(last..).unwrap_or(""));
    out.push_str(MAP_MARKER);
    out.push_str(&map);
    out.push('\n');
    Ok(Some(out))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn walk_stmt(stmt: &AstStmt, source: &str, edits: &mut Vec<Edit>) {
    if let Stmt::AssignModify(target, op @ (AssignOp::Add | AssignOp::Subtract), rhs) = &stmt.node
        && pure_target(&target.node)
    {
        let check = if *op == AssignOp::Add {
            "_sisyphus_augend"
        } else {
            "_sisyphus_subtrahend"
        };
        let begin = rhs.span.begin().get() as usize;
        let end = rhs.span.end().get() as usize;
        let t = target.span;
        // A target written over several lines would add lines: left alone.
        if let Some(text) = source.get(t.begin().get() as usize..t.end().get() as usize)
            && !text.contains('\n')
        {
            edits.push(Edit {
                at: begin,
                remove: 0,
                insert: format!("{check}({text}, ("),
            });
            edits.push(Edit {
                at: end,
                remove: 0,
                insert: "))".to_owned(),
            });
        }
    }
    stmt.visit_stmt(|s| walk_stmt(s, source, edits));
}

fn walk_expr(
    expr: &AstExpr,
    tokens: &[(usize, Kind)],
    edits: &mut Vec<Edit>,
    failed: &mut Option<Span>,
) {
    if let ExprP::Dot(_, name) = &expr.node
        && GUARDED.contains(&name.node.as_str())
    {
        match receiver(tokens, name.span.begin().get() as usize) {
            Some((start, dot)) => {
                edits.push(Edit {
                    at: start,
                    remove: 0,
                    insert: "_sisyphus_method(".to_owned(),
                });
                edits.push(Edit {
                    at: dot,
                    remove: 1,
                    insert: ",".to_owned(),
                });
                edits.push(Edit {
                    at: name.span.begin().get() as usize,
                    remove: name.node.len(),
                    insert: format!("\"{}\")", name.node),
                });
            }
            None => {
                failed.get_or_insert(expr.span);
            }
        }
    }
    expr.visit_expr(|e| walk_expr(e, tokens, edits, failed));
}

/// What a token is, for finding where a receiver starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// A name or a literal.
    Atom,
    Open,
    Close,
    Dot,
    Other,
}

/// The tokens of `source` with their start offsets (comments, line breaks and indentation
/// left out); `None` when it does not lex (it parsed, so it does).
fn tokens(path: &str, source: &str) -> Option<Vec<(usize, Kind)>> {
    let codemap = CodeMap::new(path.to_owned(), source.to_owned());
    let mut out = Vec::new();
    for lexeme in Lexer::new(source, &Dialect::Standard, codemap) {
        let (begin, token, _) = lexeme.ok()?;
        let kind = match token {
            Token::Identifier(_)
            | Token::Int(_)
            | Token::Float(_)
            | Token::String(_)
            | Token::Bytes(_) => Kind::Atom,
            Token::OpeningRound | Token::OpeningSquare | Token::OpeningCurly => Kind::Open,
            Token::ClosingRound | Token::ClosingSquare | Token::ClosingCurly => Kind::Close,
            Token::Dot => Kind::Dot,
            Token::Comment(_) | Token::Newline | Token::Indent | Token::Dedent | Token::Tabs => {
                continue;
            }
            _ => Kind::Other,
        };
        out.push((begin, kind));
    }
    Some(out)
}

/// Where the receiver of the attribute named at `name_at` starts, and where its `.` is: the
/// start of the primary expression (a name, literal or bracketed atom, with its calls, indexes
/// and fields) that ends at the `.`.
fn receiver(tokens: &[(usize, Kind)], name_at: usize) -> Option<(usize, usize)> {
    let name = tokens.binary_search_by_key(&name_at, |t| t.0).ok()?;
    let dot = name.checked_sub(1)?;
    if tokens[dot].1 != Kind::Dot {
        return None;
    }
    // `j`: the first token of the part found so far.
    let mut j = dot;
    loop {
        let k = j.checked_sub(1)?;
        match tokens[k].1 {
            Kind::Close => {
                let open = matching_open(tokens, k)?;
                match open.checked_sub(1).map(|b| tokens[b].1) {
                    // A call or index of what comes before.
                    Some(Kind::Atom | Kind::Close) => j = open,
                    _ => return Some((tokens[open].0, tokens[dot].0)),
                }
            }
            Kind::Atom => match k.checked_sub(1).map(|b| tokens[b].1) {
                Some(Kind::Dot) => j = k - 1,
                _ => return Some((tokens[k].0, tokens[dot].0)),
            },
            Kind::Open | Kind::Dot | Kind::Other => return None,
        }
    }
}

/// The index of the bracket that opens the one closing at `close`.
fn matching_open(tokens: &[(usize, Kind)], close: usize) -> Option<usize> {
    let mut depth = 0usize;
    for i in (0..=close).rev() {
        match tokens[i].1 {
            Kind::Close => depth += 1,
            Kind::Open => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether evaluating `target` twice is the same as once: names, and fields and indexes of
/// names and literals.
fn pure_target(target: &AssignTargetP<AstNoPayload>) -> bool {
    match target {
        AssignTargetP::Identifier(_) => true,
        AssignTargetP::Dot(e, _) => pure_expr(e),
        AssignTargetP::Index(b) => pure_expr(&b.0) && pure_expr(&b.1),
        AssignTargetP::Tuple(_) => false,
    }
}

fn pure_expr(e: &AstExpr) -> bool {
    match &e.node {
        ExprP::Identifier(_) => true,
        ExprP::Literal(l) => matches!(l, AstLiteral::Int(_) | AstLiteral::String(_)),
        ExprP::Dot(x, _) => pure_expr(x),
        ExprP::Index(b) => pure_expr(&b.0) && pure_expr(&b.1),
        _ => false,
    }
}

/// One entry of a source map.
struct Entry {
    new_start: usize,
    new_len: usize,
    orig_start: usize,
    orig_text: String,
}

/// The source map at the end of `text` (the rewritten source) and the code before it.
fn split_map(text: &str) -> Option<(&str, Vec<Entry>)> {
    let at = text.rfind(MAP_MARKER)?;
    let code = text.get(..at)?;
    let map = text.get(at + MAP_MARKER.len()..)?.trim_end();
    let mut entries = Vec::new();
    // A file may end with a comment that looks like a map (only ours is last when we rewrote
    // it): anything out of order or out of range is no map.
    let (mut new_end, mut orig_end) = (0usize, 0usize);
    for item in map.split(';').filter(|s| !s.is_empty()) {
        let mut parts = item.splitn(4, ',');
        let mut num = || parts.next().and_then(|p| p.parse::<usize>().ok());
        let (new_start, new_len, orig_start) = (num()?, num()?, num()?);
        let orig_text = parts.next()?.to_owned();
        if new_start < new_end || orig_start < orig_end || new_start > code.len() {
            return None;
        }
        new_end = new_start.checked_add(new_len)?;
        orig_end = orig_start.checked_add(orig_text.len())?;
        entries.push(Entry {
            new_start,
            new_len,
            orig_start,
            orig_text,
        });
    }
    Some((code, entries))
}

/// The original text: the code with every edit undone.
fn original_text(code: &str, entries: &[Entry]) -> Option<String> {
    let mut out = String::with_capacity(code.len());
    let mut last = 0;
    for e in entries {
        out.push_str(code.get(last..e.new_start)?);
        out.push_str(&e.orig_text);
        last = e.new_start.checked_add(e.new_len)?;
    }
    out.push_str(code.get(last..)?);
    Some(out)
}

/// Maps an offset of the rewritten code to the original: an offset inside an edit goes to the
/// start of what it replaced (`end` false) or to its end (`end` true).
fn map_offset(entries: &[Entry], pos: usize, end: bool) -> usize {
    // Offsets of the end of the last edit passed, in the new and the original text.
    let (mut new_end, mut orig_end) = (0usize, 0usize);
    for e in entries {
        if pos < e.new_start || (end && pos == e.new_start) {
            break;
        }
        let (edit_new_end, edit_orig_end) = (
            e.new_start.saturating_add(e.new_len),
            e.orig_start.saturating_add(e.orig_text.len()),
        );
        if pos < edit_new_end || (end && pos == edit_new_end) {
            return if end { edit_orig_end } else { e.orig_start };
        }
        (new_end, orig_end) = (edit_new_end, edit_orig_end);
    }
    orig_end.saturating_add(pos.saturating_sub(new_end))
}

/// `span` in the original text of its file: itself when the file was not rewritten.
pub(crate) fn original_span(span: &FileSpan) -> FileSpan {
    let Some((code, entries)) = split_map(span.file.source()) else {
        return span.clone();
    };
    let Some(original) = original_text(code, &entries) else {
        return span.clone();
    };
    let clamp = |p: usize| to_u32(p.min(original.len()));
    let begin = clamp(map_offset(
        &entries,
        span.span.begin().get() as usize,
        false,
    ));
    let end = clamp(map_offset(&entries, span.span.end().get() as usize, true)).max(begin);
    let file = CodeMap::new(span.filename().to_owned(), original);
    FileSpan {
        file,
        span: Span::new(Pos::new(begin), Pos::new(end)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(source: &str) -> String {
        let ast = AstModule::parse("t.star", source.to_owned(), &Dialect::Standard).unwrap();
        rewrite("t.star", &ast, source)
            .unwrap()
            .unwrap_or_else(|| source.to_owned())
    }

    fn code(source: &str) -> String {
        let text = rewritten(source);
        text[..text.rfind(MAP_MARKER).unwrap_or(text.len())].to_owned()
    }

    #[test]
    fn method_calls_and_plus_assign_are_routed_through_the_checks() {
        assert_eq!(
            code("y = s.join(l).replace(a, b)\n"),
            "y = _sisyphus_method(_sisyphus_method(s,\"join\")(l),\"replace\")(a, b)\n"
        );
        assert_eq!(
            code("f = (a + b) . format\n"),
            "f = _sisyphus_method((a + b) , \"format\")\n"
        );
        assert_eq!(
            code("y = (a).b(c)[0].join(l)\n"),
            "y = _sisyphus_method((a).b(c)[0],\"join\")(l)\n"
        );
        assert_eq!(
            code("y = g((a).join, [1].extend)\n"),
            "y = g(_sisyphus_method((a),\"join\"), _sisyphus_method([1],\"extend\"))\n"
        );
        assert_eq!(
            code("y = \"(\".join(l)\n"),
            "y = _sisyphus_method(\"(\",\"join\")(l)\n"
        );
        assert_eq!(
            code("x += (a).b * 2\n"),
            "x += (_sisyphus_augend(x, (a).b * 2))\n"
        );
        assert_eq!(
            code("x += s.split()\n"),
            "x += _sisyphus_augend(x, (_sisyphus_method(s,\"split\")()))\n"
        );
        assert_eq!(code("d[k] += 1\n"), "d[k] += _sisyphus_augend(d[k], (1))\n");
        assert_eq!(code("n -= 1\n"), "n -= _sisyphus_subtrahend(n, (1))\n");
        // Evaluated twice it would run `f()` twice: left alone.
        assert_eq!(code("d[f()] += 1\n"), "d[f()] += 1\n");
        assert_eq!(code("y = s.upper()\n"), "y = s.upper()\n");
    }

    #[test]
    fn spans_map_back_to_the_original() {
        let source = "x = 1\ny = s.join(l) + undefined\n";
        let text = rewritten(source);
        let codemap = CodeMap::new("t.star".to_owned(), text.clone());
        let find = |needle: &str| {
            let at = text.find(needle).unwrap();
            FileSpan {
                file: codemap.clone(),
                span: Span::new(Pos::new(at as u32), Pos::new((at + needle.len()) as u32)),
            }
        };
        let span = original_span(&find("undefined"));
        assert_eq!(span.source_span(), "undefined");
        let call = original_span(&find("_sisyphus_method(s,\"join\")(l)"));
        assert_eq!(call.source_span(), "s.join(l)");
        assert_eq!(call.resolve_span().begin.line, 1);
        assert_eq!(call.resolve_span().begin.column, 4);
        assert_eq!(call.file.source(), source);
    }

    #[test]
    fn a_comment_that_looks_like_a_map_is_not_trusted() {
        for fake in [
            "18446744073709551615,18446744073709551615,0,.;",
            "5,1,0,.;2,1,0,.;",
            "0,1,18446744073709551615,abc;",
        ] {
            let text = format!("x = 1{MAP_MARKER}{fake}\n");
            let codemap = CodeMap::new("t.star".to_owned(), text);
            let span = FileSpan {
                file: codemap,
                span: Span::new(Pos::new(0), Pos::new(5)),
            };
            // No panic; some span of the file.
            let mapped = original_span(&span);
            assert_eq!(mapped.filename(), "t.star");
        }
    }
}
