package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The records arrive at the endpoint, through the real SDK client, as
// events in the cwzap layout with slog's attributes and groups as fields.
func TestSlogThroughZapslogIntoCloudWatch(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	if err := run(srv); err != nil {
		t.Fatal(err)
	}
	events := srv.Events(group, stream)
	if len(events) != 2 {
		t.Fatalf("got %d events, want 2 (the DEBUG record is below the threshold)", len(events))
	}
	tests := []struct {
		wantLevel, wantMessage string
		wantFields             map[string]any
	}{
		{"INFO", "order received", map[string]any{"order": "A-1", "items": 3.0}},
		{"WARNING", "stock low", map[string]any{"request": "r-1", "item": map[string]any{"sku": "X-9", "left": 2.0}}},
	}
	for i, tt := range tests {
		var got map[string]any
		if err := json.Unmarshal([]byte(events[i].Message), &got); err != nil {
			t.Fatalf("event %d is not JSON: %v: %s", i, err, events[i].Message)
		}
		if got["level"] != tt.wantLevel || got["message"] != tt.wantMessage {
			t.Errorf("event %d: level %v, message %v; want %s, %s", i, got["level"], got["message"], tt.wantLevel, tt.wantMessage)
		}
		for k, want := range tt.wantFields {
			if g, _ := json.Marshal(got[k]); string(g) != mustJSON(t, want) {
				t.Errorf("event %d: field %s = %s, want %s", i, k, g, mustJSON(t, want))
			}
		}
		// zapslog passes the record's caller: the location names run.
		if loc, _ := got["location"].(string); !strings.HasPrefix(loc, "root.run:") {
			t.Errorf("event %d: location %q, want root.run:<line>", i, loc)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
