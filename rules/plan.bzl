"""`sisyphus_plan`: a production folder loaded into a plan file by a build action."""

load("//rules:providers.bzl", "SisyphusEnvironmentInfo", "SisyphusPushableInfo")
load("//rules:toolchain.bzl", "TOOLCHAIN_TYPE", "toolchain_tools")
load("//rules/private:util.bzl", "image_rewrite_sed", "package_relative_path", "shell_quote")

_DOC = """\
Runs `sisyphus-packer plan` on the production folder (this package: one subfolder per namespace,
plus `global/` and `clusters.yaml`) in the sandbox, without network, and outputs the plan file
`<name>.binpb`. Any load or validation problem fails the build, each listed as
`error: <folder>/<file>:line:column: message`.

`pushables` maps each local `sisyphus_pushable` to the config image repository the folder's
YAML names it by. Where the two differ (the example's YAML names
`us-docker.pkg.dev/acme/containers/echo_config`, its pushable pushes to a local registry),
`image:` values naming the YAML's repository are pointed at the pushable's `config_repository`
(tag or digest kept) before loading, so the plan deploys what `<pushable>_push` pushed. An empty
string means the pushable's own `config_repository`, no rewrite.

`sisyphus_environment` creates one as `<name>`.

Example:

    sisyphus_plan(
        name = "production",
        srcs = glob(["**"], exclude = ["BUILD.bazel"]),
    )
"""

_ATTRS = {
    "clusters": attr.string_list(
        doc = "The clusters (kubeconfig context names) the runners and the test are limited to; empty: every cluster the folder uses.",
    ),
    "database_url": attr.string(
        doc = "The state database URL for the runners (`--database-url`); empty: the CLI's default (SQLite).",
    ),
    "pushables": attr.label_keyed_string_dict(
        doc = "Local `sisyphus_pushable`s, each to the config image repository (no tag) the folder's YAML names it by; `\"\"`: its own `config_repository`.",
        providers = [SisyphusPushableInfo],
    ),
    "srcs": attr.label_list(
        doc = "The production folder's files, all in this package.",
        allow_files = True,
        mandatory = True,
    ),
}

def pushable_mappings(ctx):
    """The (SisyphusPushableInfo, YAML repository) pairs of the `pushables` attribute.

    Args:
      ctx: the rule context.

    Returns:
      A list of (SisyphusPushableInfo, string), the string never empty.
    """
    pairs = []
    for target, repository in ctx.attr.pushables.items():
        info = target[SisyphusPushableInfo]
        if not repository:
            repository = info.config_repository
        if ":" in repository.split("/")[-1] or "@" in repository:
            fail("{} attribute `pushables`: expected a repository without tag or digest for `{}`, got `{}`".format(ctx.label, target.label, repository))
        pairs.append((info, repository))
    return pairs

def folder_copy_script(ctx, copy_dir_var):
    """Shell lines that copy `srcs` into the directory `$<copy_dir_var>` (package-relative).

    Args:
      ctx: the rule context.
      copy_dir_var: the shell variable holding the destination.

    Returns:
      (script text, list of File).
    """
    lines = []
    for f in ctx.files.srcs:
        rel = package_relative_path(ctx, f)
        if rel == None:
            fail("{} attribute `srcs`: expected files in package `{}`, got `{}`".format(ctx.label, ctx.label.package, f.short_path))
        lines.append('mkdir -p "${{{v}}}/$(dirname {rel})" && cp {src} "${{{v}}}/"{rel}'.format(
            v = copy_dir_var,
            rel = shell_quote(rel),
            src = shell_quote(f.path),
        ))
    return "\n".join(lines) + "\n", ctx.files.srcs

def rewrite_script(copy_dir_var, rewrites):
    """Shell lines that apply sed expressions to every YAML file under `$<copy_dir_var>`.

    Args:
      copy_dir_var: the shell variable holding the directory.
      rewrites: a list of sed expressions.

    Returns:
      The script text (empty without rewrites).
    """
    if not rewrites:
        return ""
    exprs = " ".join(["-e " + shell_quote(e) for e in rewrites])
    return 'find "${{{v}}}" -type f \\( -name "*.yaml" -o -name "*.yml" \\) -exec sed -i {e} {{}} +\n'.format(v = copy_dir_var, e = exprs)

def _impl(ctx):
    plan = ctx.actions.declare_file(ctx.label.name + ".binpb")
    folder = ctx.label.package or "."
    rewrites = []
    for info, repository in pushable_mappings(ctx):
        if repository != info.config_repository:
            rewrites.extend(image_rewrite_sed(repository, info.config_repository, True))
    copy, inputs = folder_copy_script(ctx, "copy")
    script = "set -euo pipefail\n"
    script += 'copy="{}.folder/{}"\nrm -rf "${{copy%/*}}"\nmkdir -p "$copy"\n'.format(plan.path, folder)
    script += copy
    script += rewrite_script("copy", rewrites)
    script += 'status=0\n{packer} plan --monitor-directory "$copy" -o {plan} 2> "$copy.stderr" || status=$?\n'.format(
        packer = shell_quote(toolchain_tools(ctx).packer.path),
        plan = shell_quote(plan.path),
    )

    # Problems are printed relative to the folder; name it as the user knows it.
    script += 'sed -E -e "s|^error: ([^ :]+:[0-9]+:[0-9]+: )|error: {folder}/\\1|" -e "s|$copy|{folder}|g" "$copy.stderr" >&2\n'.format(folder = folder)
    script += 'rm -rf "${copy%/*}"\nexit "$status"\n'
    ctx.actions.run_shell(
        command = script,
        inputs = inputs,
        tools = [toolchain_tools(ctx).packer],
        outputs = [plan],
        mnemonic = "SisyphusPlan",
        progress_message = "Loading production folder %s" % ctx.label,
        execution_requirements = {"block-network": "1"},
    )
    return [
        DefaultInfo(files = depset([plan])),
        SisyphusEnvironmentInfo(
            clusters = ctx.attr.clusters,
            database_url = ctx.attr.database_url,
            folder = folder,
            plan = plan,
            pushables = pushable_mappings(ctx),
            srcs = ctx.files.srcs,
        ),
    ]

sisyphus_plan = rule(
    doc = _DOC,
    implementation = _impl,
    attrs = _ATTRS,
    toolchains = [TOOLCHAIN_TYPE],
)
