"""Public API of the Sisyphus Bazel rules. Definitions outside this file are private.

- `sisyphus_pushable`: a config image built next to its binary image, and `<name>_push`;
- `sisyphus_environment`: a production folder's plan, `push`, `diff` and `<name>_test`;
- `sisyphus_image`: a plain one-layer image from files (examples and tests);
- the rules the macros create, for direct use: `sisyphus_push`, `sisyphus_plan`,
  `sisyphus_runner`, `sisyphus_environment_test`;
- `sisyphus_toolchain`, to register binaries of your own (the tools repository registers one);
- the providers `SisyphusPushableInfo`, `SisyphusEnvironmentInfo` and `SisyphusToolchainInfo`.
"""

load("//rules:environment.bzl", _sisyphus_environment = "sisyphus_environment")
load("//rules:environment_test.bzl", _sisyphus_environment_test = "sisyphus_environment_test")
load("//rules:image.bzl", _sisyphus_image = "sisyphus_image")
load("//rules:plan.bzl", _sisyphus_plan = "sisyphus_plan")
load("//rules:providers.bzl", _SisyphusEnvironmentInfo = "SisyphusEnvironmentInfo", _SisyphusPushableInfo = "SisyphusPushableInfo")
load("//rules:push.bzl", _sisyphus_push = "sisyphus_push")
load("//rules:pushable.bzl", _sisyphus_pushable = "sisyphus_pushable")
load("//rules:runner.bzl", _sisyphus_runner = "sisyphus_runner")
load("//rules:toolchain.bzl", _SisyphusToolchainInfo = "SisyphusToolchainInfo", _sisyphus_toolchain = "sisyphus_toolchain")

sisyphus_environment = _sisyphus_environment
sisyphus_environment_test = _sisyphus_environment_test
sisyphus_image = _sisyphus_image
sisyphus_plan = _sisyphus_plan
sisyphus_push = _sisyphus_push
sisyphus_pushable = _sisyphus_pushable
sisyphus_runner = _sisyphus_runner
sisyphus_toolchain = _sisyphus_toolchain
SisyphusEnvironmentInfo = _SisyphusEnvironmentInfo
SisyphusPushableInfo = _SisyphusPushableInfo
SisyphusToolchainInfo = _SisyphusToolchainInfo
