package main

import (
	"fmt"
	"io"
	"strings"
)

// writeTable writes the results as a Markdown table: each bug, its file,
// and the test that killed it, or what else became of it.
func writeTable(w io.Writer, results []result, list []mutant) {
	fmt.Fprintln(w, "| # | bug | file | killed by |")
	fmt.Fprintln(w, "| ---: | --- | --- | --- |")
	for i, m := range list {
		res := results[i]
		var outcome string
		switch res.verdict {
		case verdictNotRun:
			outcome = "not run"
		case verdictKilled:
			outcome = "`" + res.detail + "`"
		default:
			outcome = "**" + res.verdict.text(res.detail) + "**"
		}
		fmt.Fprintf(w, "| %d | %s | `%s` | %s |\n", i+1, cell(m.bug), m.file, cell(outcome))
	}
}

// cell makes s fit in a table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
