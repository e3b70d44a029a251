package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The README's first command must work on a machine with no AWS setup.
func TestQuickstartOnTheEmbeddedEndpoint(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, "/cwzap/quickstart", "test", 300, true); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"embedded endpoint",
		"301 events in /cwzap/quickstart/test",
		"written 301, delivered 301, fallback 0, dropped 0",
		"slow order", // the console core shows warnings
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\tINFO\t") {
		t.Errorf("the console printed INFO entries; it should show WARN and above only")
	}
	// The last event printed is the JSON message, embedded as JSON.
	lines := strings.Split(strings.TrimSpace(text), "\n")
	last := strings.TrimSpace(lines[len(lines)-2])
	var ev struct {
		Message struct {
			Event  string
			Orders int
		}
	}
	if err := json.Unmarshal([]byte(last), &ev); err != nil || ev.Message.Event != "batch-done" || ev.Message.Orders != 300 {
		t.Errorf("last event %q: want the embedded JSON message (err %v)", last, err)
	}
}
