package main

import (
	"strings"
	"testing"
)

func TestLineLayout(t *testing.T) {
	p := printer{}
	tests := []struct {
		give, want string
	}{
		{`{"timestamp":"x","level":"INFO","location":"root.handler:42","message":"order placed","order":42,"note":"two words","function":"checkout"}`,
			`2023-11-14 22:13:20.000 INFO     [checkout] root.handler:42 order placed order=42 note="two words"`},
		{`{"level":"INFO","message":"m","function_name":"CoolFn","func":"other"}`,
			`2023-11-14 22:13:20.000 INFO     [CoolFn] m func=other`},
		{`{"level":"ERROR","message":"line one\nline two"}`,
			`2023-11-14 22:13:20.000 ERROR    line one\nline two`},
		{"WARNING: fn: text event\nmain.f\n\ta.go:1\n", `2023-11-14 22:13:20.000 WARNING: fn: text event\nmain.f\n	a.go:1`},
		{`{"timestamp":"x","level":"ERROR","location":"billing.(*Svc).charge:7","message":{"code":3},"exception":"boom\nstack"}`,
			`2023-11-14 22:13:20.000 ERROR    [billing] billing.(*Svc).charge:7 {"code":3} exception="boom\nstack"`},
		{"plain text line\n", `2023-11-14 22:13:20.000 plain text line`},
		{`{"not":"layout"}`, `2023-11-14 22:13:20.000 not=layout`},
	}
	for _, tt := range tests {
		if got := p.line(event{ts: 1_700_000_000_000, msg: tt.give}); got != tt.want {
			t.Errorf("line(%s)\n got %q\nwant %q", tt.give, got, tt.want)
		}
	}
	colored := printer{color: true}.line(event{ts: 0, msg: `{"level":"ERROR","message":"m","function_name":"lambdaB"}`})
	if !strings.Contains(colored, "\x1b[31mERROR") || !strings.Contains(colored, "\x1b[1m[lambdaB]") {
		t.Errorf("colored line %q: want a red level and a bold function", colored)
	}
}

// On a terminal, multi-line messages and string fields follow the event as
// indented blocks; single-line values stay on the event's line.
func TestLineBlocksOnTerminal(t *testing.T) {
	p := printer{blocks: true}
	tests := []struct {
		give, want string
	}{
		{`{"level":"ERROR","location":"billing.charge:7","message":"payment failed\nfor order 7","exception":"boom\nmain.f\n\ta.go:1\n","order":7,"note":"a\nb"}`,
			"2023-11-14 22:13:20.000 ERROR    [billing] billing.charge:7 payment failed order=7\n" +
				"    for order 7\n" +
				"    exception:\n" +
				"        boom\n" +
				"        main.f\n" +
				"        \ta.go:1\n" +
				"    note:\n" +
				"        a\n" +
				"        b"},
		{`{"level":"INFO","message":"one line","exception":"ends in newline\n"}`,
			`2023-11-14 22:13:20.000 INFO     one line exception="ends in newline\n"`},
		{"ERROR: fn: text\r\nstack\n", "2023-11-14 22:13:20.000 ERROR: fn: text\n    stack"},
	}
	for _, tt := range tests {
		if got := p.line(event{ts: 1_700_000_000_000, msg: tt.give}); got != tt.want {
			t.Errorf("line(%q)\n got %q\nwant %q", tt.give, got, tt.want)
		}
	}
}
