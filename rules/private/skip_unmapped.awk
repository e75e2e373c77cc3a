# Used by the test `sisyphus_environment_test` generates (rules/environment_test.bzl).
# Blank out (as comments, keeping line numbers) each Sisyphus Deployment or CronJob document
# whose config image is not one of the local pushables (prefix `local`); note each on stderr.
function flush(   i, n) {
  n = split(doc, lines, "\n")
  if (sisyphus && workload && image != "" && index(image, local) != 1) {
    printf "note: not checked: %s:%d: %s `%s` (its config image `%s` maps to no local pushable)\n", rel, imageline, kind, name, image > "/dev/stderr"
    for (i = 1; i < n; i++) print "#"
  } else {
    printf "%s", doc
  }
  doc = ""; sisyphus = 0; workload = 0; image = ""; imageline = 0; name = ""; kind = ""
}
/^---/ { flush(); print; next }
{
  doc = doc $0 "\n"
  if ($0 ~ /^apiVersion:[ \t]*["']?sisyphus\//) sisyphus = 1
  if ($0 ~ /^kind:[ \t]*["']?(Deployment|CronJob)["']?[ \t]*(#.*)?$/) { workload = 1; kind = $2; gsub(/["']/, "", kind) }
  if (name == "" && $0 ~ /^  name:[ \t]*/) { name = $0; sub(/^  name:[ \t]*/, "", name); sub(/[ \t]*#.*$/, "", name); gsub(/["']/, "", name) }
  if (image == "" && $0 ~ /^[ \t]+image:[ \t]*/) { image = $0; imageline = FNR; sub(/^[ \t]+image:[ \t]*["']?/, "", image); sub(/["']?[ \t]*(#.*)?$/, "", image) }
}
END { flush() }
