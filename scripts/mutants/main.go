// Command mutants checks that the tests guard the promises cwzap makes.
// It plants small bugs (mutants.go), one at a time, in a copy of the
// repository, never in the working tree; runs the whole test suite of the
// package each bug is in (go test -count=1 -failfast, without -race
// unless asked); and prints a Markdown table of each bug, its file and
// the test that failed, or SURVIVED when none did. A kill counts only if
// the killing test passes again once the bug is taken out, so that a
// flaky test does not hide a bug no test catches.
//
//	go run ./scripts/mutants                  # every mutant: about an hour on 2 cores
//	go run ./scripts/mutants -run pacer       # those whose file or bug matches
//	go run ./scripts/mutants -check           # only check that each original text is there once
//	go run ./scripts/mutants -check -compile  # and that each mutant compiles
//
// A mutant whose original text is not found exactly once in its file is
// stale: the code moved on and the list must follow it. A stale mutant, a
// mutant that does not compile, a suite that fails before any bug is
// planted, and a surviving mutant are errors: the command then exits 1.
// It needs git and go on PATH, and runs from anywhere inside the
// repository.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func main() {
	// Interrupted, it ends the running go test and removes its copy.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutants", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("run", "", "only the mutants whose file or bug matches this regular expression")
	check := fs.Bool("check", false, "only check that each mutant's original text is found exactly once; run no tests")
	compile := fs.Bool("compile", false, "with -check, also plant each mutant and compile its package's tests")
	timeout := fs.Duration("timeout", 10*time.Minute, "go test's -timeout for each run")
	race := fs.Bool("race", false, "run the tests with -race (slower)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var re *regexp.Regexp
	if *only != "" {
		var err error
		if re, err = regexp.Compile(*only); err != nil {
			fmt.Fprintf(stderr, "mutants: -run %q: %v\n", *only, err)
			return 2
		}
	}
	var list []mutant
	for _, m := range _mutants {
		if re == nil || re.MatchString(m.file) || re.MatchString(m.bug) {
			list = append(list, m)
		}
	}
	if len(list) == 0 {
		fmt.Fprintf(stderr, "mutants: no mutant matches -run %q\n", *only)
		return 2
	}

	root, err := repoRoot()
	if err != nil {
		fmt.Fprintf(stderr, "mutants: %v\n", err)
		return 1
	}
	files, err := trackedFiles(root)
	if err != nil {
		fmt.Fprintf(stderr, "mutants: %v\n", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "cwzap-mutants-")
	if err != nil {
		fmt.Fprintf(stderr, "mutants: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := copyTree(root, dir, files); err != nil {
		fmt.Fprintf(stderr, "mutants: copy the tree: %v\n", err)
		return 1
	}

	t := tree{dir: dir}
	results := make([]result, len(list))
	stale := 0
	for i, m := range list {
		if err := t.check(m); err != nil {
			results[i] = result{m: m, verdict: verdictStale, detail: err.Error()}
			stale++
		}
	}
	r := runner{ctx: ctx, timeout: *timeout, race: *race}
	if *check {
		bad := stale
		if *compile {
			r.compileOnly = true
			for i, m := range list {
				if results[i].verdict == verdictStale {
					continue
				}
				if results[i], err = r.mutate(t, m); err != nil {
					fmt.Fprintf(stderr, "mutants: %v\n", err)
					return 1
				}
				if ctx.Err() != nil {
					fmt.Fprintln(stderr, "mutants: interrupted")
					return 1
				}
				if results[i].verdict == verdictSurvived {
					results[i].verdict = verdictNotRun // compiled; its tests did not run
				} else {
					bad++
				}
			}
		}
		writeTable(stdout, results, list)
		fmt.Fprintf(stderr, "mutants: %d of %d stale or not compiling\n", bad, len(list))
		if bad > 0 {
			return 1
		}
		return 0
	}

	// A suite that fails without a bug would kill every mutant. One that
	// fails now and then is reported and let through: each kill is then
	// checked by running the killing test without the bug.
	for _, pkg := range packages(list) {
		for try := 1; ; try++ {
			fmt.Fprintf(stderr, "mutants: %s: the suite without a bug\n", pkg)
			res := r.test(t, pkg, "")
			if res.verdict == verdictSurvived {
				break
			}
			if ctx.Err() != nil {
				fmt.Fprintln(stderr, "mutants: interrupted")
				return 1
			}
			fmt.Fprintf(stderr, "mutants: %s fails before any bug is planted (%s)\n%s\n", pkg, res.detail, tail(res.output, 4000))
			if try == 3 {
				fmt.Fprintf(stderr, "mutants: %s failed %d times without a bug; fix that first\n", pkg, try)
				return 1
			}
		}
	}
	for i, m := range list {
		if results[i].verdict == verdictStale {
			continue
		}
		start := time.Now()
		if results[i], err = r.mutate(t, m); err != nil {
			fmt.Fprintf(stderr, "mutants: %v\n", err)
			return 1
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "mutants: interrupted")
			return 1
		}
		fmt.Fprintf(stderr, "mutants: [%d/%d] %s: %s: %s (%v)\n", i+1, len(list), m.file, m.bug,
			results[i].verdict.text(results[i].detail), time.Since(start).Round(time.Second))
	}
	writeTable(stdout, results, list)
	bad := 0
	for _, res := range results {
		if res.verdict != verdictKilled {
			bad++
		}
	}
	fmt.Fprintf(stderr, "mutants: %d mutants, %d killed, %d not\n", len(list), len(list)-bad, bad)
	if bad > 0 {
		return 1
	}
	return 0
}

// repoRoot returns the top of the git work tree the command runs in.
func repoRoot() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("find the repository: git rev-parse --show-toplevel: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// trackedFiles lists the files of the work tree as git sees them: tracked,
// and untracked but not ignored, so that the copy holds uncommitted work.
func trackedFiles(root string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("list the files: git ls-files: %w", err)
	}
	return strings.FieldsFunc(string(out), func(r rune) bool { return r == 0 }), nil
}

// tail returns the last n bytes of s, or s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// packages returns the packages the mutants' tests run in, each once, in
// the order of the list.
func packages(list []mutant) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range list {
		if p := m.pkgDir(); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
