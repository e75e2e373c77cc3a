"""`sisyphus_toolchain`: the `sisyphus` and `sisyphus-packer` binaries the rules run."""

SisyphusToolchainInfo = provider(
    doc = "The Sisyphus binaries, as the rules get them from the toolchain.",
    fields = {
        "packer": "File: `sisyphus-packer`, run by build actions.",
        "packer_runfiles": "runfiles of `packer` (empty for a prebuilt binary).",
        "sisyphus": "File: `sisyphus`, run by the `bazel run` and `bazel test` targets.",
        "sisyphus_runfiles": "runfiles of `sisyphus` (empty for a prebuilt binary).",
    },
)

def _absolute(label):
    # Bazel 4 takes toolchain types as strings and prints main-repository labels as
    # `//pkg:name`; `@//pkg:name` means the main repository from anywhere.
    s = str(label)
    return "@" + s if s.startswith("//") else s

TOOLCHAIN_TYPE = _absolute(Label("//rules:toolchain_type"))

_DOC = """\
Declares a Sisyphus toolchain: the binaries the rules run. The tools repository
(`@dev_april_sisyphus_tools`, see repositories.bzl) defines and registers one from cargo or a
prebuilt directory; register your own to use binaries your build makes (e.g. with rules_rust).

Example:

    sisyphus_toolchain(
        name = "my_tools",
        packer = "//third_party/sisyphus:sisyphus-packer",
        sisyphus = "//third_party/sisyphus:sisyphus",
    )

    toolchain(
        name = "my_toolchain",
        toolchain = ":my_tools",
        toolchain_type = "@dev_april_sisyphus//rules:toolchain_type",
    )
"""

_ATTRS = {
    "packer": attr.label(
        doc = "The `sisyphus-packer` binary.",
        allow_files = True,
        executable = True,
        cfg = "exec",
        mandatory = True,
    ),
    "sisyphus": attr.label(
        doc = "The `sisyphus` binary.",
        allow_files = True,
        executable = True,
        cfg = "exec",
        mandatory = True,
    ),
}

def _impl(ctx):
    return [platform_common.ToolchainInfo(
        sisyphus_info = SisyphusToolchainInfo(
            packer = ctx.executable.packer,
            packer_runfiles = ctx.attr.packer[DefaultInfo].default_runfiles,
            sisyphus = ctx.executable.sisyphus,
            sisyphus_runfiles = ctx.attr.sisyphus[DefaultInfo].default_runfiles,
        ),
    )]

sisyphus_toolchain = rule(
    doc = _DOC,
    implementation = _impl,
    attrs = _ATTRS,
)

def toolchain_tools(ctx):
    """The SisyphusToolchainInfo of the resolved toolchain.

    Args:
      ctx: the context of a rule with `toolchains = [TOOLCHAIN_TYPE]`.

    Returns:
      SisyphusToolchainInfo.
    """
    return ctx.toolchains[TOOLCHAIN_TYPE].sisyphus_info
