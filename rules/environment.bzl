"""`sisyphus_environment`: a production folder's plan, its `push` and `diff` runners and a test."""

load("//rules:environment_test.bzl", "sisyphus_environment_test")
load("//rules:plan.bzl", "sisyphus_plan")
load("//rules:runner.bzl", "sisyphus_runner")

def sisyphus_environment(name, srcs = None, clusters = None, pushables = None, database_url = "", **kwargs):
    """A production folder (this package) as a checked plan, with runners and a test.

    Creates:

    - `<name>`: the plan file, built by `sisyphus-packer plan` in the sandbox (`sisyphus_plan`);
      a bad folder fails `bazel build` with `file:line:column`;
    - `push`: `bazel run :push [-- --yes ...]` resolves, diffs against the state database, asks
      for consent and applies (`sisyphus_runner`);
    - `diff`: `bazel run :diff` shows the change set (exit 0 none, 2 changes, 1 error);
    - `<name>_test`: `bazel test :<name>_test` renders every config (`sisyphus_environment_test`).

    Example (example/production/BUILD.bazel):

        sisyphus_environment(
            name = "production",
            pushables = {
                "//example/echo:sisyphus": "us-docker.pkg.dev/acme/containers/echo_config",
            },
        )

    Args:
      name: the plan target's name.
      srcs: the folder's files; default every file in this package except BUILD files.
      clusters: limit the runners and the test to these clusters (kubeconfig contexts).
      pushables: local `sisyphus_pushable` labels, each to the repository the YAML names it by.
      database_url: the state database for the runners; empty: the CLI's default (SQLite).
      **kwargs: common attributes (`tags`, `visibility`, ...) for every target; `size` (default
        `small`) goes to the test only.
    """
    size = kwargs.pop("size", "small")  # only the test takes it
    if srcs == None:
        srcs = native.glob(["**"], exclude = ["BUILD", "BUILD.bazel", "**/BUILD", "**/BUILD.bazel"])
    sisyphus_plan(
        name = name,
        srcs = srcs,
        clusters = clusters or [],
        pushables = pushables or {},
        database_url = database_url,
        **kwargs
    )
    sisyphus_runner(name = "push", command = "push", environment = ":" + name, **kwargs)
    sisyphus_runner(name = "diff", command = "diff", environment = ":" + name, **kwargs)
    sisyphus_environment_test(name = name + "_test", environment = ":" + name, size = size, **kwargs)
