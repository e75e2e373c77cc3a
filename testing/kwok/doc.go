// Package kwok holds the KWOK stages the test clusters run (stages.yaml) and their tests.
// The kwok binary itself is sigs.k8s.io/kwok/cmd/kwok, built unchanged by build.sh as the
// `tool` of this module.
package kwok
