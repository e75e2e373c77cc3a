//go:build tools

// Package tools records the buildifier dependency so `go mod tidy` keeps it.
package tools

import _ "github.com/bazelbuild/buildtools/buildifier"
