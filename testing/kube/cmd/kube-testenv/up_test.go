package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A start-up failure before kube-apiserver exists (here: its log path is a directory) ends
// with exit code 1 and a shutdown, not a nil-pointer panic.
func TestUpFailsCleanlyWhenTheAPIServerCannotStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "apiserver.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code := runUp([]string{"--name", "rv", "--dir", dir, "--timeout", "60s"}); code != 1 {
		t.Fatalf("runUp returned %d, want 1", code)
	}
}

// The tail of a child's log holds only what it wrote, not an earlier attempt's lines.
func TestChildTailSkipsEarlierAttempts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "apiserver.log")
	first := "attempt 1\nlisten tcp 127.0.0.1:1: bind: address already in use\n"
	if err := os.WriteFile(path, []byte(first+"attempt 2\nserving\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &child{log: path, logStart: int64(len(first))}
	got := c.tail(50)
	if strings.Contains(got, "address already in use") || !strings.Contains(got, "  attempt 2\n  serving\n") {
		t.Fatalf("tail = %q", got)
	}
	if all := tailFile(path, 50); !strings.Contains(all, "address already in use") {
		t.Fatalf("tailFile = %q", all)
	}
}

// --kwok and --kwok-config go together, and --nodes is bounded; bad flags exit 2 before
// anything starts.
func TestUpRejectsBadKwokFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--kwok", "/bin/true"},
		{"--kwok-config", "stages.yaml"},
		{"--kwok", "/bin/true", "--kwok-config", "stages.yaml", "--nodes", "0"},
	} {
		full := append([]string{"--name", "rv", "--dir", filepath.Join(dir, "c")}, args...)
		if code := runUp(full); code != 2 {
			t.Errorf("runUp(%q) = %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "c")); !os.IsNotExist(err) {
		t.Errorf("the cluster directory was created: %v", err)
	}
}
