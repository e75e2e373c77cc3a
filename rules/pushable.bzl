"""`sisyphus_pushable`: a config image built next to its binary image, and `<name>_push`."""

load("//rules:providers.bzl", "SisyphusPushableInfo")
load("//rules:push.bzl", "sisyphus_push")
load("//rules:toolchain.bzl", "TOOLCHAIN_TYPE", "toolchain_tools")
load("//rules/private:util.bzl", "expand_make_variables", "repo_relative_path")

_DOC = """\
Builds the config image layout directory `<name>` (and `<name>.digest`) with
`sisyphus-packer config-image`, hermetically: the binary image's digest is read from its layout
at build time. The config root is the repository root: each Starlark file sits at its path in
the repository, and `config_entrypoint` is relative to this package (in the image's index.json
it becomes `<package>/<config_entrypoint>`). The same inputs give the same digest as
`sisyphus image build --config-root <dir with those files> --entrypoint <package>/<entrypoint>`.

`binary_repository` and `config_repository` may use make variables, `$(NAME)`, set with
`--define NAME=value` (the example uses one to pick its registry).

The macro also creates `<name>_push` (see `sisyphus_push`): `bazel run :<name>_push` pushes the
binary image, then the config image, tags both with `remote_tags` and prints each pushed
reference with its digest.

Example:

    sisyphus_pushable(
        name = "sisyphus",
        binary_image = ":image",  # an oci_image, or a sisyphus_image
        binary_repository = "us-docker.pkg.dev/acme/containers/echo",
        config_entrypoint = "frontend.star",
        remote_tags = ["latest"],
    )
"""

_ATTRS = {
    "binary_image": attr.label(
        doc = "The binary image: an OCI image layout directory (rules_oci's `oci_image`, or `sisyphus_image`).",
        allow_single_file = True,
        mandatory = True,
    ),
    "binary_repository": attr.string(
        doc = "Where the binary image is pushed: `registry/repository`, no tag or digest.",
        mandatory = True,
    ),
    "config_deps": attr.label_list(
        doc = "More Starlark files, from other packages, that the config `load()`s.",
        allow_files = [".star"],
    ),
    "config_entrypoint": attr.string(
        doc = "The Starlark file with `main(ctx)`, relative to this package.",
        mandatory = True,
    ),
    "config_repository": attr.string(
        doc = "Where the config image is pushed; default `<binary_repository>_config`.",
    ),
    "config_srcs": attr.label_list(
        doc = "The config's Starlark files in this package (the macro's default: every `.star` file here).",
        allow_files = [".star"],
    ),
    "remote_tags": attr.string_list(
        doc = "Tags both images get when pushed; empty: pushed by digest only.",
    ),
}

def _impl(ctx):
    binary_repository = expand_make_variables(ctx, "binary_repository", ctx.attr.binary_repository)
    if ctx.attr.config_repository:
        config_repository = expand_make_variables(ctx, "config_repository", ctx.attr.config_repository)
    else:
        config_repository = binary_repository + "_config"
    for repository in [binary_repository, config_repository]:
        if ":" in repository.split("/")[-1] or "@" in repository:
            fail("{}: expected a repository without tag or digest, got `{}` (tags go in `remote_tags`)".format(ctx.label, repository))
    package = ctx.label.package
    entrypoint = (package + "/" if package else "") + ctx.attr.config_entrypoint
    files = {}
    for f in ctx.files.config_srcs + ctx.files.config_deps:
        files[repo_relative_path(f)] = f
    if entrypoint not in files:
        fail("{} attribute `config_entrypoint`: expected one of the config files ({}), got `{}`".format(ctx.label, ", ".join(sorted(files.keys())), ctx.attr.config_entrypoint))

    argfile = ctx.actions.declare_file(ctx.label.name + ".files")
    ctx.actions.write(argfile, "".join([p + "=" + files[p].path + "\n" for p in sorted(files.keys())]))
    layout = ctx.actions.declare_directory(ctx.label.name)
    digest = ctx.actions.declare_file(ctx.label.name + ".digest")
    args = ctx.actions.args()
    args.add("config-image")
    args.add("--out", layout.path)
    args.add("--digest-file", digest.path)
    args.add("--binary-image", ctx.file.binary_image.path)
    args.add("--binary-repository", binary_repository)
    args.add("--entrypoint", entrypoint)
    args.add("--files-from", argfile.path)
    ctx.actions.run(
        executable = toolchain_tools(ctx).packer,
        arguments = [args],
        inputs = [argfile, ctx.file.binary_image] + files.values(),
        outputs = [layout, digest],
        mnemonic = "SisyphusConfigImage",
        execution_requirements = {"block-network": "1"},
        progress_message = "Building config image %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset([layout, digest])),
        SisyphusPushableInfo(
            binary_image = ctx.file.binary_image,
            binary_repository = binary_repository,
            config_digest = digest,
            config_image = layout,
            config_repository = config_repository,
            remote_tags = ctx.attr.remote_tags,
        ),
    ]

sisyphus_pushable_rule = rule(
    doc = _DOC,
    implementation = _impl,
    attrs = _ATTRS,
    toolchains = [TOOLCHAIN_TYPE],
)

def sisyphus_pushable(name, config_srcs = None, **kwargs):
    """A config image paired with a binary image, and `<name>_push` to push both.

    Args:
      name: the target name; the runner is `<name>_push`.
      config_srcs: the config's Starlark files in this package; default every `.star` file here.
      **kwargs: the other attributes of the rule (see `sisyphus_pushable_rule`).
    """
    if config_srcs == None:
        config_srcs = native.glob(["**/*.star"])
    sisyphus_pushable_rule(name = name, config_srcs = config_srcs, **kwargs)
    sisyphus_push(
        name = name + "_push",
        pushable = ":" + name,
        tags = kwargs.get("tags"),
        visibility = kwargs.get("visibility"),
    )
