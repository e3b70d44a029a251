package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// A verdict is what became of one mutant.
type verdict int

const (
	verdictNotRun   verdict = iota // only checked (-check)
	verdictKilled                  // a test failed
	verdictSurvived                // every test passed: no test guards the promise
	verdictStale                   // its original text is not in its file exactly once
	verdictInvalid                 // it does not compile, or the tests could not run
)

func (v verdict) text(detail string) string {
	switch v {
	case verdictNotRun:
		return "not run"
	case verdictKilled:
		return "killed by " + detail
	case verdictSurvived:
		return "SURVIVED"
	case verdictStale:
		return "STALE: " + detail
	}
	return "INVALID: " + detail
}

// A result is one mutant's verdict; detail names the killing test, or
// says what went wrong.
type result struct {
	m       mutant
	verdict verdict
	detail  string
	test    string // the test that failed, as go test names it; "" when none did
	output  string // go test's, when it tells more than detail
}

// A runner runs go test in a tree.
type runner struct {
	ctx         context.Context // ends the go test it runs
	timeout     time.Duration
	race        bool
	compileOnly bool // build the tests, run none
}

// mutate plants m in t, runs its package's tests and takes m out again.
// An error means the tree could not be restored: nothing run in it after
// that is sound.
func (r runner) mutate(t tree, m mutant) (result, error) {
	undo, err := t.plant(m)
	if err != nil {
		return result{m: m, verdict: verdictStale, detail: err.Error()}, nil
	}
	res := r.test(t, m.pkgDir(), "")
	res.m = m
	if err := undo(); err != nil {
		return res, fmt.Errorf("take the bug out of %s: %w", m.file, err)
	}
	if res.verdict == verdictKilled && res.test != "" && !r.compileOnly {
		// A kill counts only if the test passes without the bug: a flaky
		// test would hide a mutant no test catches.
		if again := r.test(t, m.pkgDir(), res.test); again.verdict != verdictSurvived {
			res.verdict, res.detail = verdictInvalid, res.test+" fails without the bug too (flaky?)"
		}
	}
	return res, nil
}

// test runs the whole test suite of package dir (relative to the tree's
// root) from the module that holds it, or only the test named only (as
// go test names it, subtests after slashes). A suite that passes gives
// verdictSurvived.
func (r runner) test(t tree, dir, only string) result {
	mod, rel, err := moduleOf(t.dir, dir)
	if err != nil {
		return result{verdict: verdictInvalid, detail: err.Error()}
	}
	args := []string{"test", "-count=1", "-failfast", "-timeout", r.timeout.String()}
	if r.race {
		args = append(args, "-race")
	}
	switch {
	case r.compileOnly:
		args = append(args, "-run", "^$")
	case only != "":
		args = append(args, "-run", runPattern(only))
	}
	cmd := exec.CommandContext(r.ctx, "go", append(args, rel)...)
	inGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = mod
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if r.ctx.Err() != nil {
		endGroup(cmd)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return result{verdict: verdictInvalid, detail: fmt.Sprintf("go test: %v", err)}
	}
	return judge(err == nil, out.String())
}

// moduleOf returns the directory of the module holding package dir of the
// tree at root, and the package's path from there ("./sub").
func moduleOf(root, dir string) (mod, rel string, err error) {
	abs := filepath.Join(root, dir)
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			r, err := filepath.Rel(d, abs)
			if err != nil {
				return "", "", err
			}
			return d, "./" + filepath.ToSlash(r), nil
		}
		if d == root || d == filepath.Dir(d) {
			return "", "", fmt.Errorf("no go.mod holds %s", dir)
		}
	}
}

var (
	_failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)
	_timedOut = regexp.MustCompile(`panic: test timed out after \S+\s+running tests:\s+(\S+)`)
	_panic    = regexp.MustCompile(`(?m)^panic: .*$`)
)

// judge reads go test's output: passed is whether it exited 0.
func judge(passed bool, out string) result {
	switch {
	case passed:
		return result{verdict: verdictSurvived}
	case strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]"):
		return result{verdict: verdictInvalid, detail: "does not compile", output: out}
	}
	if m := _timedOut.FindStringSubmatch(out); m != nil {
		return result{verdict: verdictKilled, detail: m[1] + " (timed out)", test: m[1], output: out}
	}
	if name := failedTest(out); name != "" {
		return result{verdict: verdictKilled, detail: name, test: name, output: out}
	}
	if strings.Contains(out, "goleak") {
		return result{verdict: verdictKilled, detail: "TestMain (goleak: a goroutine outlived the tests)", output: out}
	}
	if p := _panic.FindString(out); p != "" {
		return result{verdict: verdictKilled, detail: p, output: out}
	}
	return result{verdict: verdictInvalid, detail: "go test failed, naming no test", output: out}
}

// runPattern returns go test's -run pattern for exactly the test name,
// subtests after slashes.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// failedTest returns the first failed test, down to the subtest that
// failed: go test prints a parent's FAIL line before its subtests'.
func failedTest(out string) string {
	name := ""
	for _, m := range _failLine.FindAllStringSubmatch(out, -1) {
		switch {
		case name == "":
			name = m[1]
		case strings.HasPrefix(m[1], name+"/"):
			name = m[1]
		default:
			return name
		}
	}
	return name
}
