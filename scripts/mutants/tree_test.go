package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mutant's original text must be in its file exactly once; planting it
// changes that one place, and undo puts the file back byte for byte.
func TestPlant(t *testing.T) {
	dir := t.TempDir()
	const text = "package p\n\nfunc f() int { x := 1; y := 1; return x + y }\n"
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tr := tree{dir: dir}
	tests := []struct {
		name      string
		giveFrom  string
		wantStale string // in the error; "" for none
	}{
		{"once", "return x + y", ""},
		{"missing", "return x * y", "no longer holds"},
		{"twice", ":= 1", "2 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mutant{bug: "b", file: "p.go", from: tt.giveFrom, to: "return 0"}
			err := tr.check(m)
			undo, perr := tr.plant(m)
			if tt.wantStale != "" {
				if err == nil || perr == nil || !strings.Contains(err.Error(), tt.wantStale) || !strings.HasPrefix(err.Error(), "stale: ") {
					t.Fatalf("check = %v, plant = %v; want both stale: %s", err, perr, tt.wantStale)
				}
				return
			}
			if err != nil || perr != nil {
				t.Fatalf("check = %v, plant = %v; want neither", err, perr)
			}
			got, _ := os.ReadFile(filepath.Join(dir, "p.go"))
			if want := strings.Replace(text, tt.giveFrom, "return 0", 1); string(got) != want {
				t.Fatalf("planted:\n%s\nwant:\n%s", got, want)
			}
			if err := undo(); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "p.go")); string(got) != text {
				t.Fatalf("after undo:\n%s\nwant:\n%s", got, text)
			}
		})
	}
}

// copyTree copies the listed files with their modes, into directories it
// makes, and leaves out a listed file that is gone.
func TestCopyTree(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]os.FileMode{"top.go": 0o644, "a/b/run.sh": 0o755}
	for name, mode := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(name), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyTree(src, dst, []string{"top.go", "a/b/run.sh", "deleted.go"}); err != nil {
		t.Fatal(err)
	}
	for name, mode := range files {
		info, err := os.Stat(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(filepath.Join(dst, name))
		if string(data) != name || info.Mode().Perm() != mode {
			t.Errorf("%s: copied %q with mode %v, want %q with %v", name, data, info.Mode().Perm(), name, mode)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "deleted.go")); !os.IsNotExist(err) {
		t.Errorf("deleted.go: %v, want it left out", err)
	}
}
