"""`sisyphus_image`: a plain one-layer OCI image layout from files (examples and tests)."""

load("//rules:toolchain.bzl", "TOOLCHAIN_TYPE", "toolchain_tools")

_DOC = """\
Builds a plain one-layer OCI image layout directory (`oci-layout`, `index.json`, `blobs/`) from
files, with `sisyphus-packer image`: byte-for-byte reproducible, no network. It stands in for
rules_oci's `oci_image` where that cannot run (Bazel 4, no downloads); `sisyphus_pushable`
takes either as `binary_image`. Outputs the layout directory `<name>` and `<name>.digest`.

Example:

    sisyphus_image(
        name = "image",
        files = {"echo.sh": "/app/echo"},
        entrypoint = ["/app/echo"],
    )
"""

_ATTRS = {
    "base": attr.label(
        doc = "An image layout directory (e.g. an `oci_image`) to put the layer on top of.",
        allow_single_file = True,
    ),
    "cmd": attr.string_list(
        doc = "The image's default command.",
    ),
    "entrypoint": attr.string_list(
        doc = "The image's entrypoint.",
    ),
    "env": attr.string_dict(
        doc = "Environment variables of the image config.",
    ),
    "files": attr.label_keyed_string_dict(
        doc = "Files to put in the layer: each label (one file) to its absolute path in the image. " +
              "Executable sources get mode 0755, others 0644.",
        allow_files = True,
        mandatory = True,
    ),
    "platform": attr.string(
        doc = "`os/architecture[/variant]`; default: the base's, else `linux/amd64`.",
    ),
    "workdir": attr.string(
        doc = "The working directory of the image config.",
    ),
}

def _impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    args = ctx.actions.args()
    args.add("image")
    args.add("--out", layout.path)
    args.add("--digest-file", digest.path)
    inputs = []
    for target, dest in ctx.attr.files.items():
        files = target.files.to_list()
        if len(files) != 1:
            fail("{} attribute `files`: expected one file for `{}`, got {}".format(ctx.label, target.label, len(files)))
        inputs.append(files[0])
        args.add("--file", dest + "=" + files[0].path)
    for e in ctx.attr.entrypoint:
        args.add("--entrypoint", e)
    for c in ctx.attr.cmd:
        args.add("--cmd", c)
    for k in sorted(ctx.attr.env.keys()):
        args.add("--env", k + "=" + ctx.attr.env[k])
    if ctx.attr.workdir:
        args.add("--workdir", ctx.attr.workdir)
    if ctx.attr.platform:
        args.add("--platform", ctx.attr.platform)
    if ctx.file.base:
        inputs.append(ctx.file.base)
        args.add("--base", ctx.file.base.path)
    ctx.actions.run(
        executable = toolchain_tools(ctx).packer,
        arguments = [args],
        inputs = inputs,
        outputs = [layout, digest],
        mnemonic = "SisyphusImage",
        execution_requirements = {"block-network": "1"},
        progress_message = "Building image layout %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([layout]), runfiles = ctx.runfiles(files = [layout]))]

sisyphus_image = rule(
    doc = _DOC,
    implementation = _impl,
    attrs = _ATTRS,
    toolchains = [TOOLCHAIN_TYPE],
)
