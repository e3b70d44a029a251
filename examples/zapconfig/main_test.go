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
// the configuration alone sends the three entries to the stream, in
// cwzap's layout.
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
		"3 events arrived in /cwzap/examples/zapconfig; the first:\n",
		`"level": "INFO",`,
		`"message": "job started",`,
		`"job": "nightly-report",`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}
