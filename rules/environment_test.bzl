"""`sisyphus_environment_test`: `bazel test` that every config of an environment renders."""

load("//rules:providers.bzl", "SisyphusEnvironmentInfo")
load("//rules:toolchain.bzl", "TOOLCHAIN_TYPE", "toolchain_tools")
load("//rules/private:script.bzl", "RUNFILES_PREAMBLE")
load("//rules/private:util.bzl", "image_rewrite_sed", "package_relative_path", "runfiles_path", "shell_quote")

_DOC = """\
Checks that an environment deploys: every Deployment and CronJob config is evaluated for its
environment, namespace and each footprint cluster, every variable must be bound, ports and
quantities must be valid, and the rendered objects must pass the render stage's checks
(`sisyphus render` does all of it). The config images are the environment's local pushables,
built by Bazel: the test starts a private registry on 127.0.0.1 (Debian's `docker-registry`,
which must be installed), pushes their config image layouts there, points the folder's
`image:` values at them and renders. A Deployment or CronJob whose config image maps to no
pushable (through `pushables`) is not checked (the test never reaches a remote registry): it is
named in a `note: not checked: file:line: ...` line and left out of the render.
Problems are reported with `file:line:column` (config and folder files). `sisyphus_environment`
creates one as `<name>_test`.

Example:

    sisyphus_environment_test(name = "production_test", environment = ":production")
"""

_ATTRS = {
    "environment": attr.label(
        doc = "The `sisyphus_plan` (what `sisyphus_environment` creates as `<name>`).",
        providers = [SisyphusEnvironmentInfo],
        mandatory = True,
    ),
    "_skip_unmapped": attr.label(
        default = Label("//rules/private:skip_unmapped.awk"),
        allow_single_file = True,
    ),
}

_REGISTRY = """\
registry_pid=""
cleanup() { if [[ -n "$registry_pid" ]]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
registry_bin="$(command -v docker-registry || true)"
if [[ -z "$registry_bin" ]]; then
  echo "error: \\`docker-registry\\` is not installed; the test pushes the config images to a private registry" >&2
  echo "hint: apt-get install -y docker-registry" >&2
  exit 1
fi
port=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  try=$(( 20000 + (RANDOM * 7 + attempt) % 40000 ))
  mkdir -p "$work/registry"
  printf 'version: 0.1\\nlog:\\n  level: warn\\nstorage:\\n  filesystem:\\n    rootdirectory: %s\\nhttp:\\n  addr: 127.0.0.1:%s\\n' "$work/registry/storage" "$try" > "$work/registry/config.yml"
  "$registry_bin" serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$try/v2/" 2>/dev/null; then port="$try"; break; fi
    kill -0 "$registry_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -n "$port" ]]; then break; fi
  cleanup; registry_pid=""
done
if [[ -z "$port" ]]; then
  echo "error: the private registry did not start; its log:" >&2
  cat "$work/registry/log" >&2
  exit 1
fi
"""

def _impl(ctx):
    env = ctx.attr.environment[SisyphusEnvironmentInfo]
    tools = toolchain_tools(ctx)
    sisyphus = tools.sisyphus
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    sed_file = ctx.actions.declare_file(ctx.label.name + ".sed")
    sed = []
    content = RUNFILES_PREAMBLE
    content += "sisyphus=\"$(rf {})\"\n".format(shell_quote(runfiles_path(ctx, sisyphus)))
    content += 'work="${TEST_TMPDIR:-$(mktemp -d)}/sisyphus-environment-test"\nrm -rf "$work"\nfolder="$work/folder"\nmkdir -p "$folder"\n'
    for f in env.srcs:
        rel = package_relative_path(ctx, f)
        if rel == None:
            rel = f.short_path
        content += 'mkdir -p "$folder/$(dirname {rel})" && cp "$(rf {src})" "$folder/"{rel}\n'.format(
            rel = shell_quote(rel),
            src = shell_quote(runfiles_path(ctx, f)),
        )
    content += _REGISTRY
    layouts = []
    for i, pair in enumerate(env.pushables):
        info, repository = pair
        layouts.append(info.config_image)
        ref = "127.0.0.1:@PORT@/pushable{}:test".format(i)
        content += '"$sisyphus" image push --quiet --layout "$(rf {})" --tag "127.0.0.1:$port/pushable{}:test" > /dev/null\n'.format(
            shell_quote(runfiles_path(ctx, info.config_image)),
            i,
        )
        sed.extend(image_rewrite_sed(repository, ref, False))
    ctx.actions.write(sed_file, "".join([e + "\n" for e in sed]))
    content += "sed \"s/@PORT@/$port/g\" \"$(rf {})\" > \"$work/rewrite.sed\"\n".format(shell_quote(runfiles_path(ctx, sed_file)))
    content += 'find "$folder" -type f \\( -name "*.yaml" -o -name "*.yml" \\) -exec sed -i -f "$work/rewrite.sed" {} +\n'
    content += 'skip="$(rf {})"\n'.format(shell_quote(runfiles_path(ctx, ctx.file._skip_unmapped)))
    content += """\
while IFS= read -r -d '' file; do
  rel="${{file#"$folder"/}}"
  awk -v local="127.0.0.1:$port/" -v rel="{folder}/$rel" -f "$skip" "$file" > "$file.checked"
  mv "$file.checked" "$file"
done < <(find "$folder" -type f \\( -name "*.yaml" -o -name "*.yml" \\) -print0)
""".format(folder = env.folder)
    render = '"$sisyphus" render --monitor-directory "$folder" --format json'
    for c in env.clusters:
        render += " --cluster " + shell_quote(c)
    content += 'status=0\nXDG_CACHE_HOME="$work/cache" ' + render + ' > "$work/objects.json" 2> "$work/stderr" || status=$?\n'
    content += 'sed -E -e "s|^error: ([^ :]+:[0-9]+:[0-9]+: )|error: {f}/\\1|" -e "s|$folder|{f}|g" "$work/stderr" >&2\n'.format(f = env.folder)
    content += """\
if [[ "$status" != 0 ]]; then
  echo "FAILED: {label}: the environment does not render (see above)" >&2
  exit "$status"
fi
echo "ok: every config of {label} renders ($(grep -o '"kind"' "$work/objects.json" | wc -l) objects)"
""".format(label = str(ctx.attr.environment.label))
    ctx.actions.write(script, content, is_executable = True)
    runfiles = ctx.runfiles(files = [sisyphus, sed_file, ctx.file._skip_unmapped] + env.srcs + layouts).merge(tools.sisyphus_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

sisyphus_environment_test = rule(
    doc = _DOC,
    implementation = _impl,
    attrs = _ATTRS,
    toolchains = [TOOLCHAIN_TYPE],
    test = True,
)
