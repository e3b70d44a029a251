package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/cwzap/cwzap/examples/internal/awsenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs as documented on a machine with no AWS configuration:
// the console shows every entry, the stream gets INFO and above.
func TestRunsOnTheEmbeddedEndpoint(t *testing.T) {
	for _, k := range awsenv.Vars() {
		t.Setenv(k, "")
	}
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"using an in-process endpoint",
		"\tDEBUG\t", "only on stdout",
		"\tINFO\t", "order received",
		"\tWARN\t", "stock low",
		"written 2, delivered 2, fallback 0\n",
		"2 events arrived in cwzap-examples/tee\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}
