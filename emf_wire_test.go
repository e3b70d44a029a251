package cwzap

import "testing"

// A text a caller writes says whether it is an EMF document by its
// "_aws" member; the batch keeps it in the event's slot, and a span has
// EMF when any of its events does.
func TestHasEMF(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{`{"a":1,"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"n":1}`, true},
		{`{"a":1}`, false},
		{`{"doc":"{\"_aws\":{\"Timestamp\":1}}"}`, false}, // the text of a document inside a string
		{`plain text "_aws": {`, true},                    // a false alarm costs the service a look, nothing more
	}
	for _, tt := range tests {
		b := newBatch(1<<10, 4)
		_, plain := appendEventObject(nil, 1, []byte(`{"x":0}`))
		b.add(&plain)
		_, ev := appendEventObject(nil, 2, []byte(tt.give))
		b.add(&ev)
		if got := b.hasEMF(0, 2); got != tt.want {
			t.Errorf("hasEMF(%s) = %v, want %v", tt.give, got, tt.want)
		}
		if b.hasEMF(0, 1) {
			t.Errorf("hasEMF of the first event alone is true")
		}
	}
}
