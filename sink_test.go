package cwzap

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
)

func TestParseSinkURL(t *testing.T) {
	tests := []struct {
		give     string
		want     sinkConfig // but its options
		wantOpts []string   // the options, as written
	}{
		{"cloudwatch:///g/s", sinkConfig{group: "/g", stream: "s"}, nil},
		{"cloudwatch://g/s", sinkConfig{group: "g", stream: "s"}, nil},
		{"CloudWatch://g/s", sinkConfig{group: "g", stream: "s"}, nil},
		{"cloudwatch:///app/orders/s", sinkConfig{group: "/app/orders", stream: "s"}, nil},
		{"cloudwatch://app/orders/s", sinkConfig{group: "app/orders", stream: "s"}, nil},
		{"cloudwatch://App_Logs.v-2/s", sinkConfig{group: "App_Logs.v-2", stream: "s"}, nil},
		{"cloudwatch://g/[$LATEST]abc", sinkConfig{group: "g", stream: "[$LATEST]abc"}, nil},
		{"cloudwatch:///aws/lambda/app/s", sinkConfig{group: "/aws/lambda/app", stream: "s"}, nil},
		{"cloudwatch://aws/lambda/app/s", sinkConfig{group: "aws/lambda/app", stream: "s"}, nil},
		{"cloudwatch:///aws%2Flambda%2Fapp/s", sinkConfig{group: "/aws/lambda/app", stream: "s"}, nil},
		{"cloudwatch://g/2024%2F05%2F01%2F%5B$LATEST%5Dabc", sinkConfig{group: "g", stream: "2024/05/01/[$LATEST]abc"}, nil},
		{"cloudwatch:///g%23x/s", sinkConfig{group: "/g#x", stream: "s"}, nil},
		{
			"cloudwatch://g/s?region=eu-west-1&profile=dev&endpoint=http://127.0.0.1:4566&anonymous=true" +
				"&flush=2s&timeout=30s&retention=7&concurrency=8&create=false",
			sinkConfig{group: "g", stream: "s", region: "eu-west-1", profile: "dev", endpoint: "http://127.0.0.1:4566", anonymous: true},
			[]string{"concurrency=8", "create=false", "flush=2s", "retention=7", "timeout=30s"},
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
			if opts := optionsWritten(got.opts); !reflect.DeepEqual(opts, tt.wantOpts) {
				t.Errorf("options %q, want %q", opts, tt.wantOpts)
			}
			got.opts = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// optionsWritten names each option as the user wrote it.
func optionsWritten(opts []SyncerOption) []string {
	var out []string
	for _, opt := range opts {
		out = append(out, opt.(syncerSetting).at.String())
	}
	return out
}

// The URL's keys are the With… options they name: the same settings come
// out, and each remembers the key and value it was written as, for the
// messages about it.
func TestSinkKeysAreOptions(t *testing.T) {
	u, _ := url.Parse("cloudwatch://g/s?flush=2s&timeout=30s&synctimeout=3s&retention=7&concurrency=8&create=false&class=infrequent_access&protect=true")
	sc, err := parseSinkURL(u)
	if err != nil {
		t.Fatal(err)
	}
	fromURL := buildSyncerOptions(sc.opts)
	fromGo := buildSyncerOptions([]SyncerOption{
		WithFlushInterval(2 * time.Second), WithPutTimeout(30 * time.Second), WithSyncTimeout(3 * time.Second),
		WithRetention(7), WithConcurrency(8), WithCreateGroup(false),
		WithLogGroupClass("infrequent_access"), WithDeletionProtection(true),
	})
	tests := []struct{ give, wantURL, wantGo string }{
		{"WithFlushInterval", "flush=2s", "WithFlushInterval(2s)"},
		{"WithPutTimeout", "timeout=30s", "WithPutTimeout(30s)"},
		{"WithSyncTimeout", "synctimeout=3s", "WithSyncTimeout(3s)"},
		{"WithRetention", "retention=7", "WithRetention(7)"},
		{"WithConcurrency", "concurrency=8", "WithConcurrency(8)"},
		{"WithCreateGroup", "create=false", "WithCreateGroup(false)"},
		{"WithLogGroupClass", "class=infrequent_access", `WithLogGroupClass("infrequent_access")`},
		{"WithDeletionProtection", "protect=true", "WithDeletionProtection(true)"},
		{"WithBufferLimit", "WithBufferLimit", "WithBufferLimit"}, // not set: its name
	}
	for _, tt := range tests {
		if got := fromURL.written(tt.give); got != tt.wantURL {
			t.Errorf("from the URL, %s is written %q, want %q", tt.give, got, tt.wantURL)
		}
		if got := fromGo.written(tt.give); got != tt.wantGo {
			t.Errorf("from Go, %s is written %q, want %q", tt.give, got, tt.wantGo)
		}
	}
	fromURL.origins, fromGo.origins = nil, nil
	if !reflect.DeepEqual(fromURL, fromGo) {
		t.Errorf("the URL's settings\n%+v\ndiffer from the options'\n%+v", fromURL, fromGo)
	}
}

// The URL takes every value its option takes, and refuses what the option
// refuses, with the option's reason: it checks nothing itself.
func TestSinkTakesWhatTheOptionsTake(t *testing.T) {
	tests := []struct {
		giveKey    string
		giveValues []string
		option     func(text string) SyncerOption // the option of a parsed value
	}{
		{"flush", []string{"1ms", "500ms", "2s", "1h", "-1s"}, func(v string) SyncerOption { d, _ := time.ParseDuration(v); return WithFlushInterval(d) }},
		{"timeout", []string{"1ms", "30s", "2h", "0s"}, func(v string) SyncerOption { d, _ := time.ParseDuration(v); return WithPutTimeout(d) }},
		{"synctimeout", []string{"1ms", "2s", "1m", "-2s"}, func(v string) SyncerOption { d, _ := time.ParseDuration(v); return WithSyncTimeout(d) }},
		{"retention", []string{"1", "14", "3653", "0", "13", "4000"}, func(v string) SyncerOption { n, _ := strconv.Atoi(v); return WithRetention(int32(n)) }},
		{"concurrency", []string{"1", "64", "1000", "0", "-3"}, func(v string) SyncerOption { n, _ := strconv.Atoi(v); return WithConcurrency(n) }},
		{"class", []string{"standard", "STANDARD", "Infrequent_Access", "cold", ""}, func(v string) SyncerOption { return WithLogGroupClass(LogGroupClass(v)) }},
	}
	for _, tt := range tests {
		for _, v := range tt.giveValues {
			u := &url.URL{Scheme: "cloudwatch", Host: "g", Path: "/s", RawQuery: url.Values{tt.giveKey: {v}}.Encode()}
			_, got := parseSinkURL(u)
			o := buildSyncerOptions([]SyncerOption{written(tt.option(v), doorURL, tt.giveKey, v)})
			if want := o.err(); (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
				t.Errorf("%s=%s: the URL says %v, the option %v", tt.giveKey, v, got, want)
			}
		}
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
		{"cloudwatch:///g/s?colour=red", `cwzap: sink: colour=red: unknown key (want region, profile, endpoint,`},
		{"cloudwatch:///g/s?region=a&region=b", `cwzap: sink: query key "region" given 2 times`},
		{"cloudwatch:///g/s?flush=2", `cwzap: sink: flush=2: want a Go duration such as "2s"`},
		{"cloudwatch:///g/s?flush=-1s", `cwzap: sink: flush=-1s: want a positive duration such as "2s"; leave it out for the default`},
		{"cloudwatch:///g/s?flush=0s", `cwzap: sink: flush=0s: want a positive duration`},
		{"cloudwatch:///g/s?timeout=soon", `cwzap: sink: timeout=soon: want a Go duration`},
		{"cloudwatch:///g/s?timeout=-5m", `cwzap: sink: timeout=-5m: want a positive duration such as "30s"`},
		{"cloudwatch:///g/s?retention=week", `cwzap: sink: retention=week: want one of [1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653] days`},
		{"cloudwatch:///g/s?retention=0", `cwzap: sink: retention=0: want one of [1 3`},
		{"cloudwatch:///g/s?retention=13", `cwzap: sink: retention=13: want one of [1 3`},
		{"cloudwatch:///g/s?synctimeout=-1s", `cwzap: sink: synctimeout=-1s: want a positive duration`},
		{"cloudwatch:///g/s?concurrency=0", `cwzap: sink: concurrency=0: want a positive number of puts; leave it out for the default`},
		{"cloudwatch:///g/s?concurrency=many", `cwzap: sink: concurrency=many: want a positive integer`},
		{"cloudwatch:///g/s?create=maybe", `cwzap: sink: create=maybe: want true or false`},
		{"cloudwatch:///g/s?anonymous=yes", `cwzap: sink: anonymous=yes: want true or false`},
		{"cloudwatch:///g/s?class=standrad", `cwzap: sink: class=standrad: unknown log group class; want STANDARD or INFREQUENT_ACCESS`},
		{"cloudwatch:///g/s?endpoint=ftp://host", `cwzap: sink: endpoint=ftp://host: want an http or https URL`},
		{"cloudwatch:///g/s?endpoint=localhost:4566", `cwzap: sink: endpoint=localhost:4566: want an http or https URL`},
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
	if err == nil || !strings.Contains(err.Error(), `colour=red: unknown key`) {
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
