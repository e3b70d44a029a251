package cwzap_test

// Many writers, one stream: _mwWriters OS processes (this test binary, run
// again in writer mode) each log _mwEntries entries into ONE stream of a
// `cwzap serve` process; the stream is then read back through the SDK and
// every entry must be there exactly once. A counting proxy in front of
// serve sees every call the writers and the reader make.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
)

const (
	_mwWriterEnv = "CWZAP_MANYWRITERS_WRITER" // set in a writer process: its id
	_mwWriters   = 8
	_mwEntries   = 10_000
	_mwGroup     = "/app/fleet"
	_mwStream    = "application"
	_mwStats     = "manywriters-stats " // prefix of a writer's result line
)

func TestManyWritersOneStream(t *testing.T) {
	if id := os.Getenv(_mwWriterEnv); id != "" {
		manyWritersWriter(t, id)
		return
	}
	if testing.Short() {
		t.Skip("builds cmd/cwzap and runs 8 writer processes")
	}
	start := time.Now()
	proxy := newCallCounter(t, startServe(t, buildCwzap(t)))
	ready := time.Now()

	// The writers find the endpoint as an application would: through the
	// environment, read by config.LoadDefaultConfig; none of the caller's
	// AWS settings (profiles, CA bundle, credentials) reach them.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	none := filepath.Join(t.TempDir(), "none")
	env = append(env, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS="+proxy.URL, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none)
	stats := make([]cwzap.Stats, _mwWriters)
	var wg sync.WaitGroup
	for id := range _mwWriters {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestManyWritersOneStream$", "-test.count=1")
			cmd.Env = append(slices.Clip(env), _mwWriterEnv+"="+strconv.Itoa(id))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("writer %d: %v\n%s", id, err, out)
				return
			}
			if stats[id], err = parseWriterStats(out); err != nil {
				t.Errorf("writer %d: %v\n%s", id, err, out)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	wrote := time.Now()

	var batches, retries uint64
	for id, st := range stats {
		if st.Written != _mwEntries || st.Delivered != _mwEntries || st.Fallback != 0 || st.Dropped != 0 {
			t.Errorf("writer %d: %+v; want all %d written and delivered", id, st, _mwEntries)
		}
		batches += st.Batches
		retries += st.Retries
	}
	n := readBackOnce(t, proxy.URL)
	c := proxy.snapshot()
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	t.Logf("%d writers x %d entries: %d read back once each; build and serve %v, write %v, read back %v",
		_mwWriters, _mwEntries, n, ms(ready.Sub(start)), ms(wrote.Sub(ready)), ms(time.Since(wrote)))
	t.Logf("calls: %v; answers: %v; puts carrying a sequence token: %d; Syncer batches %d, retries %d",
		c.calls, c.codes, c.tokenPuts, batches, retries)

	// The happy path never asks for, nor sends, a sequence token.
	if c.tokenPuts != 0 {
		t.Errorf("%d puts carried a sequence token", c.tokenPuts)
	}
	if c.calls["DescribeLogStreams"] != 0 {
		t.Errorf("DescribeLogStreams called %d times", c.calls["DescribeLogStreams"])
	}
	for _, code := range []string{"InvalidSequenceTokenException", "DataAlreadyAcceptedException"} {
		if c.codes["PutLogEvents "+code] != 0 {
			t.Errorf("%d puts answered %s", c.codes["PutLogEvents "+code], code)
		}
	}
	if ok := c.codes["PutLogEvents 200"]; uint64(ok) != batches {
		t.Errorf("endpoint accepted %d puts, the writers count %d batches", ok, batches)
	}
	// One writer creates the group and one the stream; a writer that
	// tries the stream before the group exists tries it again after.
	for _, tt := range []struct {
		op  string
		max int
	}{{"CreateLogGroup", _mwWriters}, {"CreateLogStream", 2 * _mwWriters}} {
		if ok, got := c.codes[tt.op+" 200"], c.calls[tt.op]; ok != 1 || got > tt.max {
			t.Errorf("%s called %d times, %d succeeded; want 1 success in at most %d calls", tt.op, got, ok, tt.max)
		}
	}
}

// manyWritersWriter is the writer process: it logs _mwEntries entries,
// each carrying its writer id and sequence number, syncs, closes, and
// prints its Stats.
func manyWritersWriter(t *testing.T, id string) {
	writer, err := strconv.Atoi(id)
	if err != nil {
		t.Fatal(err)
	}
	// An HTTP client of our own, so its idle connections can be closed
	// before goleak looks.
	tr := &http.Transport{Proxy: nil}
	defer tr.CloseIdleConnections()
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := cwzap.NewSyncer(_mwGroup, _mwStream, cwzap.WithAWSConfig(cfg), cwzap.WithFallback(os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))
	for seq := range _mwEntries {
		logger.Info("entry", zap.Int("writer", writer), zap.Int("seq", seq))
	}
	// Eight writers on a loaded machine may take longer than a Sync's
	// deadline: wait for delivery itself, bounded only against a hang.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if err := ws.Flush(ctx); err != nil {
		t.Errorf("Flush: %v", err)
	}
	if err := logger.Sync(); err != nil {
		t.Error(err)
	}
	if err := ws.Close(); err != nil {
		t.Error(err)
	}
	b, err := json.Marshal(ws.Stats())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s%s\n", _mwStats, b)
}

func parseWriterStats(out []byte) (cwzap.Stats, error) {
	var st cwzap.Stats
	for line := range strings.SplitSeq(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, _mwStats); ok {
			return st, json.Unmarshal([]byte(rest), &st)
		}
	}
	return st, fmt.Errorf("no %q line", strings.TrimSpace(_mwStats))
}

// readBackOnce pages through the stream with GetLogEvents and fails t
// unless every (writer, seq) is there exactly once. It returns the count.
func readBackOnce(t *testing.T, url string) int {
	t.Helper()
	tr := &http.Transport{Proxy: nil}
	defer tr.CloseIdleConnections()
	client := cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:   &http.Client{Transport: tr},
	})
	var seen [_mwWriters][_mwEntries]uint8
	total, dups, bad := 0, 0, 0
	in := &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(_mwGroup), LogStreamName: aws.String(_mwStream), StartFromHead: aws.Bool(true),
	}
	for {
		out, err := client.GetLogEvents(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Events {
			w, seq, ok := parseEntry(aws.ToString(e.Message))
			if !ok {
				if bad++; bad <= 3 {
					t.Errorf("unexpected event %q", aws.ToString(e.Message))
				}
				continue
			}
			if seen[w][seq]++; seen[w][seq] > 1 {
				dups++
			}
			total++
		}
		// GetLogEvents gives the same token back at the end of the stream.
		if aws.ToString(out.NextForwardToken) == aws.ToString(in.NextToken) {
			break
		}
		in.NextToken = out.NextForwardToken
	}
	missing := 0
	for w := range seen {
		for s := range seen[w] {
			if seen[w][s] == 0 {
				if missing++; missing <= 3 {
					t.Errorf("writer %d entry %d missing", w, s)
				}
			}
		}
	}
	if dups != 0 || missing != 0 || bad != 0 {
		t.Errorf("read back %d events: %d duplicates, %d missing, %d unexpected", total, dups, missing, bad)
	}
	return total - dups
}

// parseEntry returns the writer and seq of a writer's event,
// {…,"message":"entry","writer":W,"seq":S}. It reads the layout's known
// tail rather than decoding JSON, which under -race would take longer than
// the rest of the reading.
func parseEntry(msg string) (writer, seq int, ok bool) {
	_, rest, ok := strings.Cut(msg, `,"message":"entry","writer":`)
	ws, rest, ok2 := strings.Cut(rest, `,"seq":`)
	ss, ok3 := strings.CutSuffix(rest, "}")
	if !ok || !ok2 || !ok3 {
		return 0, 0, false
	}
	w, err := strconv.Atoi(ws)
	s, err2 := strconv.Atoi(ss)
	if err != nil || err2 != nil || w < 0 || w >= _mwWriters || s < 0 || s >= _mwEntries {
		return 0, 0, false
	}
	return w, s, true
}

// buildCwzap builds cmd/cwzap into a temporary directory.
func buildCwzap(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go not found to build cmd/cwzap: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "cwzap")
	if out, err := exec.Command(goBin, "build", "-o", bin, "./cmd/cwzap").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/cwzap: %v\n%s", err, out)
	}
	return bin
}

// startServe runs `cwzap serve` on a free loopback port until the test
// ends, and returns its URL, which serve prints on its first line.
func startServe(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// serve stops on an interrupt, as from a terminal.
		_ = cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Errorf("cwzap serve: %v\n%s", err, stderr.Bytes())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "cwzap: CloudWatch Logs endpoint at ")
	if err != nil || !ok {
		t.Fatalf("cwzap serve printed %q (%v)\n%s", line, err, stderr.Bytes())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }() // the rest of its output
	return url
}

// callCounter is a proxy in front of serve that counts the calls by
// operation, their answers by operation and error code, and the puts whose
// body carries a sequence token.
type callCounter struct {
	*httptest.Server
	target string
	tr     *http.Transport

	mu        sync.Mutex // guards the counts
	calls     map[string]int
	codes     map[string]int // "Op 200" or "Op ErrorCode"
	tokenPuts int
}

func newCallCounter(t *testing.T, target string) *callCounter {
	t.Helper()
	c := &callCounter{target: target, tr: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
		calls: make(map[string]int), codes: make(map[string]int)}
	c.Server = httptest.NewServer(http.HandlerFunc(c.forward))
	t.Cleanup(func() {
		c.Close()
		c.tr.CloseIdleConnections()
	})
	return c
}

func (c *callCounter) forward(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	// In a JSON body a key is the only string followed by a colon.
	token := op == "PutLogEvents" && bytes.Contains(body, []byte(`"sequenceToken":`))
	req, err := http.NewRequestWithContext(r.Context(), r.Method, c.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := c.tr.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	code := strconv.Itoa(resp.StatusCode)
	if e := resp.Header.Get("X-Amzn-Errortype"); e != "" {
		code = e
	}
	c.mu.Lock()
	c.calls[op]++
	c.codes[op+" "+code]++
	if token {
		c.tokenPuts++
	}
	c.mu.Unlock()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

type callCounts struct {
	calls, codes map[string]int
	tokenPuts    int
}

func (c *callCounter) snapshot() callCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return callCounts{calls: maps.Clone(c.calls), codes: maps.Clone(c.codes), tokenPuts: c.tokenPuts}
}
