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
			`2023-11-14 22:13:20.000 INFO     [checkout] root.handler:42 order placed order=42 note="two words" function=checkout`},
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
