"""Providers shared by the Sisyphus rules."""

SisyphusPushableInfo = provider(
    doc = "A binary image paired with its config image, and where `_push` puts them.",
    fields = {
        "binary_image": "File: the binary image's OCI layout directory.",
        "binary_repository": "string: the binary image's repository (make variables expanded).",
        "config_digest": "File: the config image's digest (`sha256:...` and a newline).",
        "config_image": "File: the config image's OCI layout directory.",
        "config_repository": "string: the config image's repository (make variables expanded).",
        "remote_tags": "list of strings: the tags both images get.",
    },
)

SisyphusEnvironmentInfo = provider(
    doc = "A production folder loaded into a plan file at build time.",
    fields = {
        "clusters": "list of strings: the clusters (kubeconfig contexts) the runner is limited to; empty means all.",
        "database_url": "string: the state database URL the runner uses; empty means the CLI's default.",
        "folder": "string: the production folder's path in the workspace (the package).",
        "plan": "File: the plan file (`sisyphus.plan.v1.Plan`).",
        "pushables": "list of (SisyphusPushableInfo, string): each pushable and the config image repository the folder names it by.",
        "srcs": "list of File: the production folder's files.",
    },
)
