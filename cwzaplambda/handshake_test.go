package cwzaplambda_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
)

// Under the emulator, at least 500 invocations with random durations,
// returned errors, panics and timeouts: every entry logged is stored once,
// or written to the fallback output (the function's standard output) once,
// and never both. The function is built with the race detector when the
// tests run with it.
func TestHandshakeUnderStress(t *testing.T) {
	const invocations = 500
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	// A 2 s timeout: after each panic, returned error or timeout the
	// emulator starts a new process, whose Init counts towards the next
	// invocation's time, and a loaded machine may need a second for it.
	f := start(t, config{mode: "wrap", timeout: 2, latency: 2 * time.Millisecond})
	// Each kind a fixed number of times, in random order.
	plan := make([]string, invocations)
	for i := range plan {
		switch {
		case i < 5:
			plan[i] = "timeout"
		case i < 10:
			plan[i] = "outage"
		case i < 40:
			plan[i] = "panic"
		case i < 90:
			plan[i] = "error"
		default:
			plan[i] = "ok"
		}
	}
	rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	want := map[string]int{} // entries logged, by tag
	kinds := map[string]int{}
	for k := range invocations {
		tag := fmt.Sprintf("s-%d", k)
		req := map[string]any{"tag": tag, "entries": rng.IntN(6), "sleepMs": rng.IntN(15)}
		kind, reply := plan[k], `"ok"`
		outage := false
		switch kind {
		case "outage":
			// Every put fails until the flush's deadline: the entries go
			// to the fallback output. The emulator answers the invoke once
			// the extension is done too, at the deadline, so it may call
			// the invocation timed out although the response went out.
			outage = true
		case "timeout":
			reply = "Task timed out"
			req["sleepMs"] = 2300 // past the 2 s timeout
		case "panic":
			reply = "panic requested"
			req["panic"] = true
		case "error":
			reply = "failure requested"
			req["fail"] = true
		}
		kinds[kind]++
		want[tag] = req["entries"].(int)
		body, _ := json.Marshal(req)
		f.srv.SetFaults(cwlogstest.Faults{Latency: 2 * time.Millisecond, Outage: outage})
		if got := f.invoke(string(body)); !strings.Contains(got, reply) && !(outage && strings.Contains(got, "Task timed out")) {
			t.Fatalf("invocation %d (%s) answered %s, want %s", k, kind, got, reply)
		}

	}
	f.shutdown()
	t.Logf("invocations by kind: %v", kinds)

	stored := map[string]map[int]int{}
	for _, ev := range f.srv.Events(_group, _stream) {
		countEntry(t, stored, ev.Message)
	}
	fell := map[string]map[int]int{}
	for line := range strings.SplitSeq(f.out.String(), "\n") {
		if strings.HasPrefix(line, `{"timestamp":`) && strings.Contains(line, `"tag":"s-`) {
			countEntry(t, fell, line)
		}
	}
	var nStored, nFell int
	for tag, n := range want {
		for i := range n {
			s, b := stored[tag][i], fell[tag][i]
			nStored += s
			nFell += b
			if s+b != 1 {
				t.Errorf("%s entry %d: stored %d times, in the fallback %d times; want once in all", tag, i, s, b)
			}
		}
	}
	t.Logf("entries: %d stored, %d in the fallback", nStored, nFell)
}

// countEntry counts one event of the stress test by its tag and index.
func countEntry(t *testing.T, seen map[string]map[int]int, msg string) {
	t.Helper()
	var e struct {
		Tag string `json:"tag"`
		I   *int   `json:"i"`
	}
	if err := json.Unmarshal([]byte(msg), &e); err != nil || e.I == nil {
		if !strings.Contains(msg, `"tag":"s-`) {
			return // not an entry of the stress test
		}
		t.Fatalf("entry %s does not decode: %v", msg, err)
	}
	if !strings.HasPrefix(e.Tag, "s-") {
		return
	}
	if seen[e.Tag] == nil {
		seen[e.Tag] = map[int]int{}
	}
	seen[e.Tag][*e.I]++
}
