package main

import "testing"

func TestTailShowsMetrics(t *testing.T) {
	emf := `{"timestamp":"2026-12-04 10:00:00,000","level":"INFO","location":"root","message":"paid","route":"/pay",` +
		`"_aws":{"Timestamp":1764842400000,"CloudWatchMetrics":[{"Namespace":"shop","Dimensions":[["route"]],` +
		`"Metrics":[{"Name":"latency","Unit":"Milliseconds"},{"Name":"orders"}]}]},"latency":[12.5,7.25],"orders":1}`
	got := (printer{}).line(event{ts: 1764842400000, msg: emf})
	want := `2025-12-04 10:00:00.000 INFO     root paid route=/pay latency=[12.5,7.25] (Milliseconds) orders=1`
	if got != want {
		t.Errorf("line =\n %q\nwant\n %q", got, want)
	}
	// Not a valid EMF document: printed as it is, _aws included.
	plain := `{"level":"INFO","message":"m","_aws":{"x":1}}`
	p := printer{}
	if got := p.line(event{ts: 0, msg: plain}); got != `1970-01-01 00:00:00.000 INFO     m _aws={"x":1}` {
		t.Errorf("line = %q", got)
	}
}
