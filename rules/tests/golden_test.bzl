"""`golden_test`: a rule output diffed against a checked-in golden file (rules' own tests)."""

load("//rules/private:script.bzl", "RUNFILES_PREAMBLE")
load("//rules/private:util.bzl", "runfiles_path", "shell_quote")

_DOC = """\
Passes when the single file of `actual` equals `golden` byte for byte; otherwise prints the
unified diff and the command that updates the golden. Private to this repository's tests.

Example:

    golden_test(name = "push_script", actual = "//example/production:push", golden = "golden/push.sh")
"""

_ATTRS = {
    "actual": attr.label(
        doc = "The target whose (single) default output is checked.",
        mandatory = True,
    ),
    "golden": attr.label(
        doc = "The expected contents.",
        allow_single_file = True,
        mandatory = True,
    ),
}

def _impl(ctx):
    files = ctx.attr.actual[DefaultInfo].files.to_list()
    if len(files) != 1:
        fail("{} attribute `actual`: expected a target with one output, got {}".format(ctx.label, len(files)))
    actual = files[0]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    content = RUNFILES_PREAMBLE + """\
if ! diff -u "$(rf {golden})" "$(rf {actual})"; then
  echo "FAILED: {actual_path} differs from the golden {golden_path}" >&2
  echo "update it (after review): bazel build {label} && cp \\"\\$(bazel info bazel-bin)/{actual_bin}\\" {golden_path}" >&2
  exit 1
fi
""".format(
        golden = shell_quote(runfiles_path(ctx, ctx.file.golden)),
        actual = shell_quote(runfiles_path(ctx, actual)),
        actual_path = actual.short_path,
        actual_bin = actual.short_path,
        golden_path = ctx.file.golden.short_path,
        label = str(ctx.attr.actual.label),
    )
    ctx.actions.write(script, content, is_executable = True)
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [actual, ctx.file.golden]))]

golden_test = rule(
    doc = _DOC,
    implementation = _impl,
    attrs = _ATTRS,
    test = True,
)
