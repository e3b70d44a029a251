package cwzaplambda

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestAppendLambdaLine(t *testing.T) {
	tests := []struct {
		name, give, want string
	}{
		{"warning", `{"timestamp":"2026-12-04 15:04:05,123","level":"WARNING","message":"m"}` + "\n",
			`{"timestamp":"2026-12-04T15:04:05.123Z","level":"WARN","message":"m"}` + "\n"},
		{"critical", `{"timestamp":"2026-12-04 00:00:00,000","level":"CRITICAL","message":"m"}`,
			`{"timestamp":"2026-12-04T00:00:00.000Z","level":"FATAL","message":"m"}`},
		{"info keeps its name", `{"timestamp":"2026-12-04 15:04:05,000","level":"INFO","x":1}`,
			`{"timestamp":"2026-12-04T15:04:05.000Z","level":"INFO","x":1}`},
		{"custom time text", `{"timestamp":"1733324645.5","level":"ERROR"}`,
			`{"timestamp":"1733324645.5","level":"ERROR"}`},
		{"a text format line", "WARNING: handler: main.go:3: m\n", "WARNING: handler: main.go:3: m\n"},
		{"no level after the timestamp", `{"timestamp":"2026-12-04 15:04:05,000","message":"m"}`,
			`{"timestamp":"2026-12-04 15:04:05,000","message":"m"}`},
		{"cut short", `{"timestamp":"2026-12-04`, `{"timestamp":"2026-12-04`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendLambdaLine(nil, []byte(tt.give))); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLambdaLogLevel(t *testing.T) {
	tests := []struct {
		give string
		want zapcore.Level
	}{
		{"", zapcore.InfoLevel}, {"TRACE", zapcore.DebugLevel}, {"debug", zapcore.DebugLevel},
		{"INFO", zapcore.InfoLevel}, {"WARN", zapcore.WarnLevel}, {"ERROR", zapcore.ErrorLevel},
		{"FATAL", zapcore.FatalLevel}, {"verbose", zapcore.InfoLevel},
	}
	for _, tt := range tests {
		t.Setenv("AWS_LAMBDA_LOG_LEVEL", tt.give)
		if got := lambdaLogLevel(); got != tt.want {
			t.Errorf("AWS_LAMBDA_LOG_LEVEL=%q: level %v, want %v", tt.give, got, tt.want)
		}
	}
}

// Under the JSON log format, what falls back carries Lambda's level names
// and an RFC 3339 timestamp, one line per event, while the stream keeps
// cwzap's layout; under the text format the lines are the stream's.
func TestFallbackLinesFollowTheLogFormat(t *testing.T) {
	for _, format := range []string{"JSON", "Text"} {
		t.Run(format, func(t *testing.T) {
			t.Setenv("AWS_LAMBDA_LOG_FORMAT", format)
			srv := newTestServer(t, 0)
			var out bytes.Buffer
			ws, err := newSyncer("g", "s", &out, cwzap.WithClient(srv.Client()),
				cwzap.WithFlushInterval(time.Minute), cwzap.WithErrorHandler(func(error) {}),
				cwzap.WithSyncTimeout(200*time.Millisecond)) // the DPanic entry syncs
			if err != nil {
				t.Fatal(err)
			}
			logger := zap.New(cwzap.NewCore(ws, zap.DebugLevel))
			logger.Warn("delivered")
			ws.Sync()
			srv.SetFaults(cwlogstest.Faults{Outage: true})
			logger.Warn("w")
			logger.Error("e")
			logger.DPanic("c")
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			ws.CloseContext(ctx)
			srv.SetFaults(cwlogstest.Faults{}) // no put retries left behind

			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != 3 {
				t.Fatalf("%d fallback lines, want 3:\n%s", len(lines), out.String())
			}
			want := []string{"WARN", "ERROR", "FATAL"}
			if format != "JSON" {
				want = []string{"WARNING", "ERROR", "CRITICAL"}
			}
			for i, line := range lines {
				ts, _, _ := strings.Cut(strings.TrimPrefix(line, `{"timestamp":"`), `"`)
				_, rfcErr := time.Parse(time.RFC3339, ts)
				if format == "JSON" && rfcErr != nil {
					t.Errorf("line %s: timestamp %q is not RFC 3339", line, ts)
				}
				if format != "JSON" && rfcErr == nil {
					t.Errorf("line %s: timestamp rewritten under the text format", line)
				}
				if !strings.Contains(line, `"level":"`+want[i]+`"`) {
					t.Errorf("line %s: want level %s", line, want[i])
				}
			}
			if ev := srv.Events("g", "s"); len(ev) != 1 || !strings.Contains(ev[0].Message, `"level":"WARNING"`) {
				t.Errorf("stored %v, want the first entry in cwzap's layout", ev)
			}
		})
	}
}

// The default logger's level is AWS_LAMBDA_LOG_LEVEL.
func TestDefaultLoggerHonoursTheLambdaLogLevel(t *testing.T) {
	t.Setenv("AWS_LAMBDA_LOG_LEVEL", "WARN")
	ws := newTestSyncer(t, newTestServer(t, 0))
	l := defaultLogger(ws)
	if l.Core().Enabled(zap.InfoLevel) || !l.Core().Enabled(zap.WarnLevel) {
		t.Errorf("the default logger under WARN enables Info %v, Warn %v; want Warn and above only",
			l.Core().Enabled(zap.InfoLevel), l.Core().Enabled(zap.WarnLevel))
	}
}
