"""`sisyphus_push`: the runner that pushes a pushable's binary and config images."""

load("//rules:providers.bzl", "SisyphusPushableInfo")
load("//rules:toolchain.bzl", "TOOLCHAIN_TYPE", "toolchain_tools")
load("//rules/private:script.bzl", "RUNFILES_PREAMBLE")
load("//rules/private:util.bzl", "runfiles_path", "shell_quote")

_DOC = """\
`bazel run` target that pushes a `sisyphus_pushable`'s binary image, then its config image
(which names the binary by digest), with `sisyphus image push`, tagging both with the
pushable's `remote_tags` (no tags: by digest only). Prints `repository@sha256:...` for each
pushed repository. It runs from the directory `bazel run` was started in and finds registry
credentials the way the CLI does (`docker login` / `podman login` files). Arguments after `--`
are passed to both pushes, e.g. `-- --insecure-registry registry.lan:5000`.
`sisyphus_pushable` creates one as `<name>_push`.

Example:

    sisyphus_push(name = "push_echo", pushable = ":sisyphus")
"""

_ATTRS = {
    "pushable": attr.label(
        doc = "The `sisyphus_pushable` to push.",
        providers = [SisyphusPushableInfo],
        mandatory = True,
    ),
}

def _refs(repository, tags):
    if not tags:
        return [repository]
    return [repository + ":" + t for t in tags]

def _push_line(ctx, layout, repository, tags):
    line = '"$sisyphus" image push --layout "$(rf {})"'.format(shell_quote(runfiles_path(ctx, layout)))
    for ref in _refs(repository, tags):
        line += " --tag " + shell_quote(ref)
    return line + ' "$@"\n'

def _impl(ctx):
    info = ctx.attr.pushable[SisyphusPushableInfo]
    tools = toolchain_tools(ctx)
    sisyphus = tools.sisyphus
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    content = RUNFILES_PREAMBLE
    content += "sisyphus=\"$(rf {})\"\n".format(shell_quote(runfiles_path(ctx, sisyphus)))
    content += 'cd "${BUILD_WORKING_DIRECTORY:-.}"\n'
    content += "echo 'pushing the binary image' >&2\n"
    content += _push_line(ctx, info.binary_image, info.binary_repository, info.remote_tags)
    content += "echo 'pushing the config image' >&2\n"
    content += _push_line(ctx, info.config_image, info.config_repository, info.remote_tags)
    ctx.actions.write(script, content, is_executable = True)
    runfiles = ctx.runfiles(files = [sisyphus, info.binary_image, info.config_image]).merge(tools.sisyphus_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

sisyphus_push = rule(
    doc = _DOC,
    implementation = _impl,
    attrs = _ATTRS,
    toolchains = [TOOLCHAIN_TYPE],
    executable = True,
)
