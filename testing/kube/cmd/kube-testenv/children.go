package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a component process (a re-executed kube-testenv subcommand, or kwok) with its log
// file.
type child struct {
	name string
	log  string
	// logStart is the size of the log when this child started: the log is appended to across
	// attempts, and only this child's part of it counts.
	logStart int64
	cmd      *exec.Cmd
	// done is closed when the process has exited; err is its wait error.
	done chan struct{}
	err  error
}

// startChild runs `<program> <args...>` (this binary re-executed, or kwok), appending stdout
// and stderr to logPath. The child gets SIGKILL when this process dies (Pdeathsig), so no orphans remain
// even if `up` itself is killed with SIGKILL.
func startChild(program, name, logPath string, args []string) (*child, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s log %s: %w", name, logPath, err)
	}
	defer log.Close()
	info, err := log.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s log %s: %w", name, logPath, err)
	}
	cmd := exec.Command(program, args...)
	cmd.Stdin = nil
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, log: logPath, logStart: info.Size(), cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// exited reports whether the child has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// firstExit returns a channel that receives each of children as it exits, the first first.
func firstExit(children []*child) <-chan *child {
	exited := make(chan *child, len(children))
	for _, c := range children {
		go func() {
			<-c.done
			exited <- c
		}()
	}
	return exited
}

// stop sends SIGTERM, waits up to grace, then SIGKILLs and waits.
func (c *child) stop(grace time.Duration) {
	if c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// tail returns the last n lines this child wrote to its log.
func (c *child) tail(n int) string {
	return tailFileFrom(c.log, c.logStart, n)
}

// tailFile returns the last n lines of the file at path, indented, or a note when unreadable.
func tailFile(path string, n int) string {
	return tailFileFrom(path, 0, n)
}

// tailFileFrom is tailFile for the part of the file after byte offset from.
func tailFileFrom(path string, from int64, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("  (cannot read %s: %v)\n", path, err)
	}
	if from > 0 && from <= int64(len(data)) {
		data = data[from:]
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString("  ")
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}
