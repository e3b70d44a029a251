package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The -run pattern of a test names it alone, at every level.
func TestRunPattern(t *testing.T) {
	if got, want := runPattern("TestA/sub_(x)/y.z"), `^TestA$/^sub_\(x\)$/^y\.z$`; got != want {
		t.Errorf("runPattern = %s, want %s", got, want)
	}
}

// judge names the test that failed, down to the subtest, and tells a
// mutant that does not compile from one a test killed.
func TestJudge(t *testing.T) {
	tests := []struct {
		name        string
		givePassed  bool
		giveOut     string
		wantVerdict verdict
		wantDetail  string
		wantTest    string
	}{
		{"passed", true, "ok  \texample.com/m\t0.1s\n", verdictSurvived, "", ""},
		{"subtest", false, "--- FAIL: TestA (0.00s)\n    --- FAIL: TestA/one (0.00s)\n        --- FAIL: TestA/one/deep (0.00s)\n    --- FAIL: TestA/two (0.00s)\nFAIL\n",
			verdictKilled, "TestA/one/deep", "TestA/one/deep"},
		{"two tests", false, "--- FAIL: TestB (0.00s)\n--- FAIL: TestC (0.00s)\nFAIL\n", verdictKilled, "TestB", "TestB"},
		{"timed out", false, "panic: test timed out after 1m0s\n\trunning tests:\n\t\tTestSlow (1m0s)\n\ngoroutine 1 [running]:\n",
			verdictKilled, "TestSlow (timed out)", "TestSlow"},
		{"goleak", false, "goleak: Errors on successful test run: found unexpected goroutines:\nFAIL\texample.com/m\n",
			verdictKilled, "TestMain (goleak: a goroutine outlived the tests)", ""},
		{"does not compile", false, "# example.com/m\n./m.go:3:9: undefined: z\nFAIL\texample.com/m [build failed]\n",
			verdictInvalid, "does not compile", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judge(tt.givePassed, tt.giveOut)
			if got.verdict != tt.wantVerdict || got.detail != tt.wantDetail || got.test != tt.wantTest {
				t.Errorf("judge = %d %q %q, want %d %q %q", got.verdict, got.detail, got.test, tt.wantVerdict, tt.wantDetail, tt.wantTest)
			}
		})
	}
}

// In a module of its own, a bug a test guards is killed by that test, one
// no test sees survives, one that does not compile is invalid, a kill by a
// test that fails without the bug too does not count, and the file is
// the same afterwards.
func TestMutate(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("go is not on PATH: %v", err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":          "module example.com/m\n\ngo 1.22\n",
		"m.go":            "package m\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n",
		"m_test.go":       "package m\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal(Add(2, 3))\n\t}\n}\n",
		"sub/sub.go":      "package sub\n\nconst N = 1\n",
		"sub/x_test.go":   "package sub\n\nimport \"testing\"\n\nfunc TestN(t *testing.T) {\n\tif N != 1 {\n\t\tt.Fatal(N)\n\t}\n}\n",
		"flaky/f.go":      "package flaky\n\nconst N = 1\n",
		"flaky/f_test.go": "package flaky\n\nimport \"testing\"\n\nfunc TestAlways(t *testing.T) {\n\tt.Run(\"a (b)\", func(t *testing.T) { t.Fatal(\"fails with or without a bug\") })\n}\n",
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runner{ctx: context.Background(), timeout: time.Minute}
	tests := []struct {
		give        mutant
		wantVerdict verdict
		wantDetail  string
	}{
		{mutant{bug: "subtracts", file: "m.go", from: "a + b", to: "a - b"}, verdictKilled, "TestAdd"},
		{mutant{bug: "a comment", file: "m.go", from: "// Add adds.", to: "// Add sums."}, verdictSurvived, ""},
		{mutant{bug: "undefined", file: "m.go", from: "a + b", to: "a + z"}, verdictInvalid, "does not compile"},
		{mutant{bug: "in a package below", file: "sub/sub.go", from: "N = 1", to: "N = 2"}, verdictKilled, "TestN"},
		{mutant{bug: "flaky", file: "flaky/f.go", from: "N = 1", to: "N = 2"}, verdictInvalid, "TestAlways/a_(b) fails without the bug too (flaky?)"},
	}
	for _, tt := range tests {
		t.Run(tt.give.bug, func(t *testing.T) {
			got, err := r.mutate(tree{dir: dir}, tt.give)
			if err != nil {
				t.Fatal(err)
			}
			if got.verdict != tt.wantVerdict || got.detail != tt.wantDetail {
				t.Errorf("mutate = %d %q, want %d %q\n%s", got.verdict, got.detail, tt.wantVerdict, tt.wantDetail, got.output)
			}
			data, _ := os.ReadFile(filepath.Join(dir, tt.give.file))
			if string(data) != files[tt.give.file] {
				t.Errorf("%s after the run:\n%s\nwant it unchanged", tt.give.file, data)
			}
		})
	}
}
