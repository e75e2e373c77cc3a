"""`sisyphus_runner`: `bazel run` targets that diff or push an environment's plan."""

load("//rules:providers.bzl", "SisyphusEnvironmentInfo")
load("//rules:toolchain.bzl", "TOOLCHAIN_TYPE", "toolchain_tools")
load("//rules/private:script.bzl", "RUNFILES_PREAMBLE")
load("//rules/private:util.bzl", "runfiles_path", "shell_quote")

_DOC = """\
`bazel run` target that runs `sisyphus <command> --plan <the environment's plan file>`: resolve
the config image tags to digests, render, diff against the state database and, for `push`, ask
for consent and apply. It runs from the directory `bazel run` was started in
(`BUILD_WORKING_DIRECTORY`), so kubeconfig (`--kubeconfig`, `$KUBECONFIG`, `~/.kube/config`),
registry credentials and a relative SQLite database are found as the CLI finds them. The
environment's `database_url` and `clusters` become `--database-url` and `--cluster`; arguments
after `--` are passed through (`bazel run :push -- --yes`). `diff` exits 0 without changes, 2
with changes, 1 on error. `sisyphus_environment` creates `push` and `diff`.

Example:

    sisyphus_runner(name = "diff", command = "diff", environment = ":production")
"""

_ATTRS = {
    "command": attr.string(
        doc = "The `sisyphus` command: `push` or `diff`.",
        values = ["push", "diff"],
        mandatory = True,
    ),
    "environment": attr.label(
        doc = "The `sisyphus_plan` (what `sisyphus_environment` creates as `<name>`).",
        providers = [SisyphusEnvironmentInfo],
        mandatory = True,
    ),
}

def _impl(ctx):
    env = ctx.attr.environment[SisyphusEnvironmentInfo]
    tools = toolchain_tools(ctx)
    sisyphus = tools.sisyphus
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    content = RUNFILES_PREAMBLE
    content += "sisyphus=\"$(rf {})\"\n".format(shell_quote(runfiles_path(ctx, sisyphus)))
    content += "plan=\"$(rf {})\"\n".format(shell_quote(runfiles_path(ctx, env.plan)))
    content += 'cd "${BUILD_WORKING_DIRECTORY:-.}"\n'
    line = 'exec "$sisyphus" {} --plan "$plan"'.format(ctx.attr.command)
    if env.database_url:
        line += " --database-url " + shell_quote(env.database_url)
    for c in env.clusters:
        line += " --cluster " + shell_quote(c)
    content += line + ' "$@"\n'
    ctx.actions.write(script, content, is_executable = True)
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [sisyphus, env.plan]).merge(tools.sisyphus_runfiles))]

sisyphus_runner = rule(
    doc = _DOC,
    implementation = _impl,
    attrs = _ATTRS,
    toolchains = [TOOLCHAIN_TYPE],
    executable = True,
)
