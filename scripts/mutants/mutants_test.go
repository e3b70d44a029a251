package main

import (
	"strings"
	"testing"
)

// Each mutant is well formed: a one-line bug, a file, an original text
// that the bug changes; no two mutants are the same bug.
func TestMutantList(t *testing.T) {
	bugs := map[string]bool{}
	for i, m := range _mutants {
		if m.bug == "" || strings.Contains(m.bug, "\n") || m.file == "" || m.from == "" || m.from == m.to {
			t.Errorf("mutant %d (%q in %s) is not well formed: want a one-line bug, a file, and a text it changes", i+1, m.bug, m.file)
		}
		if bugs[m.bug] {
			t.Errorf("mutant %d: bug %q listed twice", i+1, m.bug)
		}
		bugs[m.bug] = true
	}
}
