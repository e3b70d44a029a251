package cwzap

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
)

func TestParseSinkURL(t *testing.T) {
	no := false
	tests := []struct {
		give string
		want sinkConfig
	}{
		{"cloudwatch:///g/s", sinkConfig{group: "/g", stream: "s"}},
		{"cloudwatch://g/s", sinkConfig{group: "g", stream: "s"}},
		{"CloudWatch://g/s", sinkConfig{group: "g", stream: "s"}},
		{"cloudwatch:///app/orders/s", sinkConfig{group: "/app/orders", stream: "s"}},
		{"cloudwatch://app/orders/s", sinkConfig{group: "app/orders", stream: "s"}},
		{"cloudwatch://App_Logs.v-2/s", sinkConfig{group: "App_Logs.v-2", stream: "s"}},
		{"cloudwatch://g/[$LATEST]abc", sinkConfig{group: "g", stream: "[$LATEST]abc"}},
		{"cloudwatch:///aws/lambda/app/s", sinkConfig{group: "/aws/lambda/app", stream: "s"}},
		{"cloudwatch://aws/lambda/app/s", sinkConfig{group: "aws/lambda/app", stream: "s"}},
		{"cloudwatch:///aws%2Flambda%2Fapp/s", sinkConfig{group: "/aws/lambda/app", stream: "s"}},
		{"cloudwatch://g/2024%2F05%2F01%2F%5B$LATEST%5Dabc", sinkConfig{group: "g", stream: "2024/05/01/[$LATEST]abc"}},
		{"cloudwatch:///g%23x/s", sinkConfig{group: "/g#x", stream: "s"}},
		{
			"cloudwatch://g/s?region=eu-west-1&profile=dev&endpoint=http://127.0.0.1:4566&anonymous=true" +
				"&flush=2s&timeout=30s&retention=7&concurrency=8&create=false",
			sinkConfig{
				group: "g", stream: "s", region: "eu-west-1", profile: "dev", endpoint: "http://127.0.0.1:4566",
				anonymous: true, flush: 2 * time.Second, timeout: 30 * time.Second, retention: 7, concurrency: 8, create: &no,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			u, err := url.Parse(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseSinkURL(u)
			if err != nil {
				t.Fatalf("parseSinkURL: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseSinkURLErrors(t *testing.T) {
	tests := []struct {
		give    string
		wantErr string
	}{
		{"cloudwatch:g/s", `cwzap: sink: want cloudwatch://GROUP/STREAM`},
		{"cloudwatch:///s", `cwzap: sink: no log group`},
		{"cloudwatch://g", `cwzap: sink: want cloudwatch://GROUP/STREAM`},
		{"cloudwatch:///g/", `cwzap: sink: no log stream`},
		{"cloudwatch://user@g/s", `cwzap: sink: user information not allowed`},
		{"cloudwatch:///g#x/s", `cwzap: sink: fragment not allowed: write '#' in names as %23`},
		{"cloudwatch://g:80/s", `cwzap: sink: group "g:80": ':' not allowed`},
		{"cloudwatch:///g/s?colour=red", `cwzap: sink: query key "colour": unknown key`},
		{"cloudwatch:///g/s?region=a&region=b", `cwzap: sink: query key "region" given 2 times`},
		{"cloudwatch:///g/s?flush=2", `cwzap: sink: query key "flush": want a positive duration such as "2s", got "2"`},
		{"cloudwatch:///g/s?flush=-1s", `cwzap: sink: query key "flush": want a positive duration`},
		{"cloudwatch:///g/s?timeout=soon", `cwzap: sink: query key "timeout": want a positive duration`},
		{"cloudwatch:///g/s?retention=week", `cwzap: sink: query key "retention": want one of [1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653] days, got "week"`},
		{"cloudwatch:///g/s?retention=0", `cwzap: sink: query key "retention": want one of [1 3`},
		{"cloudwatch:///g/s?retention=13", `cwzap: sink: query key "retention": want one of [1 3`},
		{"cloudwatch:///g/s?synctimeout=-1s", `cwzap: sink: query key "synctimeout": want a positive duration`},
		{"cloudwatch:///g/s?concurrency=0", `cwzap: sink: query key "concurrency": want a positive integer, got "0"`},
		{"cloudwatch:///g/s?create=maybe", `cwzap: sink: query key "create": want true or false, got "maybe"`},
		{"cloudwatch:///g/s?anonymous=yes", `cwzap: sink: query key "anonymous": want true or false, got "yes"`},
		{"cloudwatch:///g/s?endpoint=ftp://host", `cwzap: sink: query key "endpoint": want an http or https URL, got "ftp://host"`},
		{"cloudwatch:///g/s?endpoint=localhost:4566", `cwzap: sink: query key "endpoint": want an http or https URL`},
		{"cloudwatch:///g/s?a=%zz", `cwzap: sink: query:`},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			u, err := url.Parse(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseSinkURL(u)
			if err == nil {
				t.Fatalf("parseSinkURL = %+v, want error %q", got, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to start with %q", err, tt.wantErr)
			}
		})
	}
}

func TestSinkErrorsThroughZap(t *testing.T) {
	_, err := zap.Config{
		Level:            zap.NewAtomicLevelAt(zap.InfoLevel),
		Encoding:         "cwzap",
		OutputPaths:      []string{"cloudwatch:///g/s?colour=red"},
		ErrorOutputPaths: []string{"stderr"},
	}.Build()
	if err == nil || !strings.Contains(err.Error(), `query key "colour": unknown key`) {
		t.Errorf("Build error = %v, want one naming the query key", err)
	}
}

// sinkURL points a sink at srv, unsigned, with an hour's flush interval so
// only Sync delivers.
func sinkURL(srv *cwlogstest.Server, group, stream string) string {
	segs := strings.Split(group, "/")
	for i := range segs {
		segs[i] = url.PathEscape(segs[i])
	}
	return "cloudwatch://" + strings.Join(segs, "/") + "/" + url.PathEscape(stream) +
		"?endpoint=" + url.QueryEscape(srv.URL) + "&region=us-east-1&anonymous=true&flush=1h"
}

func TestSinkThroughZapConfig(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)

	l, err := zap.Config{
		Level:            zap.NewAtomicLevelAt(zap.InfoLevel),
		Encoding:         "cwzap",
		OutputPaths:      []string{sinkURL(srv, "/aws/lambda/app", "s")},
		ErrorOutputPaths: []string{"stderr"},
	}.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	l.Info("through zap.Config", zap.Int("n", 7))
	if n := len(srv.Events("/aws/lambda/app", "s")); n != 0 {
		t.Errorf("before Sync the stream has %d events, want 0", n)
	}
	if err := l.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	events := srv.Events("/aws/lambda/app", "s")
	if len(events) != 1 {
		t.Fatalf("after Sync the stream has %d events, want 1", len(events))
	}
	m := decodeLayout(t, events[0].Message)
	if m["message"] != "through zap.Config" || m["n"] != 7.0 {
		t.Errorf("event = %v", m)
	}
	if loc, _ := m["location"].(string); !strings.Contains(loc, "TestSinkThroughZapConfig") {
		t.Errorf("location = %q, want the caller", loc)
	}
}

func TestSinkThroughZapOpen(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)

	ws, closeSinks, err := zap.Open(sinkURL(srv, "g", "s"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := ws.Write([]byte("plain line\n")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	closeSinks() // Syncer.Close: delivers, then refuses writes
	events := srv.Events("g", "s")
	if len(events) != 1 || events[0].Message != "plain line" {
		t.Fatalf("events = %+v, want one \"plain line\" (trailing newline trimmed)", events)
	}
}

// noCredentials leaves the default configuration without credentials, and
// without the EC2 metadata service, for one test.
func noCredentials(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// An endpoint without anonymous=true needs credentials; without them Build
// fails at once and says what to add, rather than Sync failing later.
func TestSinkEndpointWithoutCredentials(t *testing.T) {
	noCredentials(t)
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	cfg := zap.Config{
		Level:            zap.NewAtomicLevelAt(zap.InfoLevel),
		Encoding:         "cwzap",
		OutputPaths:      []string{"cloudwatch://g/s?region=us-east-1&endpoint=" + url.QueryEscape(srv.URL)},
		ErrorOutputPaths: []string{"stderr"},
	}
	_, err := cfg.Build()
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials; add anonymous=true") {
		t.Fatalf("Build error = %v, want one naming anonymous=true", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("the error is more than one line: %q", err)
	}

	// With static credentials the same URL builds and delivers, signed.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	l, err := cfg.Build()
	if err != nil {
		t.Fatalf("Build with credentials: %v", err)
	}
	l.Info("signed")
	if err := l.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := len(srv.Events("g", "s")); n != 1 {
		t.Errorf("the stream has %d events, want 1", n)
	}
}

// A group written after three slashes keeps its leading '/', as AWS's
// own groups have it; one after two slashes has none.
func TestSinkLeadingSlashGroup(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	q := "?region=us-east-1&anonymous=true&endpoint=" + url.QueryEscape(srv.URL)
	for _, tt := range []struct{ give, wantGroup string }{
		{"cloudwatch:///aws/lambda/app/s" + q, "/aws/lambda/app"},
		{"cloudwatch://app/s" + q, "app"},
	} {
		ws, closeSink, err := zap.Open(tt.give)
		if err != nil {
			t.Fatalf("Open(%s): %v", tt.give, err)
		}
		if _, err := ws.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		closeSink()
		if n := len(srv.Events(tt.wantGroup, "s")); n != 1 {
			t.Errorf("%s: group %q has %d events, want 1", tt.give, tt.wantGroup, n)
		}
	}
}

// A local endpoint needs no region, in the sink as in the cwzap command;
// without an endpoint the region is still required.
func TestSinkLocalEndpointNeedsNoRegion(t *testing.T) {
	noCredentials(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	cfg := zap.Config{
		Level:            zap.NewAtomicLevelAt(zap.InfoLevel),
		Encoding:         "cwzap",
		OutputPaths:      []string{"cloudwatch://g/s?anonymous=true&endpoint=" + url.QueryEscape(srv.URL)},
		ErrorOutputPaths: []string{"stderr"},
	}
	l, err := cfg.Build()
	if err != nil {
		t.Fatalf("Build without a region: %v", err)
	}
	l.Info("no region")
	if err := l.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := len(srv.Events("g", "s")); n != 1 {
		t.Errorf("the stream has %d events, want 1", n)
	}
	cfg.OutputPaths = []string{"cloudwatch://g/s?anonymous=true"}
	if _, err := cfg.Build(); err == nil || !strings.Contains(err.Error(), "no AWS region: add region=") {
		t.Errorf("Build without region or endpoint: %v, want the no-region error", err)
	}
}

// The SDK's "falling back to IMDSv1" warning, printed when something other
// than EC2 answers the metadata address, does not reach stderr when the
// sink loads the configuration; the sink's own error says what is wrong.
func TestSinkQuietsIMDSv1Warning(t *testing.T) {
	noCredentials(t)
	imds := httptest.NewServer(http.NotFoundHandler()) // as another cloud's metadata service answers
	t.Cleanup(imds.Close)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)

	stderr := captureStderr(t)
	_, _, err := zap.Open("cloudwatch://g/s?region=eu-west-1&endpoint=" + url.QueryEscape(srv.URL))
	got := stderr()
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials; add anonymous=true") {
		t.Errorf("Open = %v, want the missing credentials named", err)
	}
	if strings.Contains(got, "IMDSv1") {
		t.Errorf("stderr holds the SDK's IMDS warning: %q", got)
	}
}

// captureStderr redirects os.Stderr until the returned function is called,
// which returns what was written. The test must not be parallel.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	done := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	restored := false
	restore := func() string {
		if restored {
			return ""
		}
		restored = true
		os.Stderr = saved
		w.Close()
		return <-done
	}
	t.Cleanup(func() { restore() })
	return restore
}
