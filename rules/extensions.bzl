"""The bzlmod extension: a thin wrapper over `repositories.bzl` (only MODULE.bazel loads this)."""

load(":repositories.bzl", "TOOLS_REPOSITORY", "sisyphus_tools")

_TOOLS_TAG = tag_class(
    doc = "Where the Sisyphus binaries come from (see `sisyphus_tools` in repositories.bzl).",
    attrs = {
        "cargo": attr.string(
            doc = "The cargo program used when no prebuilt directory is named.",
            default = "cargo",
        ),
        "prebuilt_dir": attr.string(
            doc = "An absolute directory holding `sisyphus` and `sisyphus-packer`; " +
                  "`SISYPHUS_TOOLS_DIR` overrides it.",
        ),
    },
)

def _impl(mctx):
    prebuilt_dir = ""
    cargo = "cargo"

    # The root module comes first: its tag wins.
    for mod in mctx.modules:
        if mod.tags.tools:
            prebuilt_dir = mod.tags.tools[0].prebuilt_dir
            cargo = mod.tags.tools[0].cargo
            break
    sisyphus_tools(name = TOOLS_REPOSITORY, prebuilt_dir = prebuilt_dir, cargo = cargo)

sisyphus = module_extension(
    doc = "Creates `@dev_april_sisyphus_tools` with the `sisyphus` and `sisyphus-packer` binaries.",
    implementation = _impl,
    tag_classes = {"tools": _TOOLS_TAG},
)
