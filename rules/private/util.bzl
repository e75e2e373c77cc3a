"""Helpers shared by the rule files (private)."""

def runfiles_path(ctx, file):
    """The path of `file` under a runfiles directory, for the generated scripts.

    Args:
      ctx: the rule context.
      file: a File in the target's runfiles.

    Returns:
      `<workspace>/<path>` for main-repository files, `<repository>/<path>` for external ones.
    """
    if file.short_path.startswith("../"):
        return file.short_path[3:]
    return ctx.workspace_name + "/" + file.short_path

def repo_relative_path(file):
    """The path of a source or generated file relative to its repository's root.

    Args:
      file: a File.

    Returns:
      The path without `../<repository>/`.
    """
    path = file.short_path
    if path.startswith("../"):
        path = path[3:]
        path = path[path.index("/") + 1:]
    return path

def package_relative_path(ctx, file):
    """The path of `file` relative to the target's package, or None when it is outside it.

    Args:
      ctx: the rule context.
      file: a File.

    Returns:
      The package-relative path, or None.
    """
    path = repo_relative_path(file)
    package = ctx.label.package
    if not package:
        return path
    if path.startswith(package + "/"):
        return path[len(package) + 1:]
    return None

def expand_make_variables(ctx, attribute, value):
    """Replaces each `$(NAME)` in `value` with the make variable NAME (`--define NAME=...`).

    Args:
      ctx: the rule context.
      attribute: the attribute's name, for the error.
      value: the string.

    Returns:
      The expanded string.
    """
    out = ""
    rest = value
    for _ in range(len(value)):
        start = rest.find("$(")
        if start < 0:
            break
        end = rest.find(")", start)
        if end < 0:
            fail("{} attribute `{}`: expected `$(NAME)`, got an unclosed `$(` in `{}`".format(ctx.label, attribute, value))
        name = rest[start + 2:end]
        if name not in ctx.var:
            fail("{} attribute `{}`: expected the make variable `{}` to be defined (e.g. `--define {}=...`), got no such variable".format(ctx.label, attribute, name, name))
        out += rest[:start] + ctx.var[name]
        rest = rest[end + 1:]
    return out + rest

def shell_quote(s):
    """Quotes `s` for a POSIX shell.

    Args:
      s: a string.

    Returns:
      The string in single quotes.
    """
    return "'" + s.replace("'", "'\\''") + "'"

def _sed_escape(s):
    out = ""
    for c in s.elems():
        if c in "\\/|.*[]^$&":
            out += "\\" + c
        else:
            out += c
    return out

def image_rewrite_sed(from_repository, to_reference, keep_suffix):
    """sed expressions that point `image:` values naming `from_repository` elsewhere.

    Args:
      from_repository: the repository as the production folder writes it (no tag or digest).
      to_reference: the replacement repository (with `keep_suffix`) or whole reference.
      keep_suffix: keep the value's `:tag` / `@digest`; otherwise replace the whole reference.

    Returns:
      A list of `-e` expressions for sed (basic regular expressions).
    """
    f = _sed_escape(from_repository)
    t = _sed_escape(to_reference).replace("\\.", ".").replace("\\*", "*").replace("\\[", "[").replace("\\]", "]").replace("\\^", "^").replace("\\$", "$")
    head = "\\(image:[[:space:]]*[\"']\\{0,1\\}\\)"
    if keep_suffix:
        return [
            "s|" + head + f + "\\([:@\"' ]\\)|\\1" + t + "\\2|",
            "s|" + head + f + "$|\\1" + t + "|",
        ]
    return [
        "s|" + head + f + "[:@][^\"'[:space:]]*|\\1" + t + "|",
        "s|" + head + f + "\\([\"' ]\\)|\\1" + t + "\\2|",
        "s|" + head + f + "$|\\1" + t + "|",
    ]
