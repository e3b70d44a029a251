package cwzapotel_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"github.com/cwzap/cwzap/cwzapotel"
)

var (
	_traceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	_spanID  = trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

func TestTraceContext(t *testing.T) {
	valid := trace.NewSpanContext(trace.SpanContextConfig{TraceID: _traceID, SpanID: _spanID, TraceFlags: trace.FlagsSampled})
	tests := []struct {
		name      string
		give      context.Context
		wantTrace string
		wantSpan  string
	}{
		{"a span context", trace.ContextWithSpanContext(context.Background(), valid),
			"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"a remote span context", trace.ContextWithRemoteSpanContext(context.Background(), valid),
			"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"an unsampled span", trace.ContextWithSpanContext(context.Background(), valid.WithTraceFlags(0)),
			"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"no span", context.Background(), "", ""},
		{"a span context without a span id", trace.ContextWithSpanContext(context.Background(),
			trace.NewSpanContext(trace.SpanContextConfig{TraceID: _traceID})), "", ""},
		{"a span context without a trace id", trace.ContextWithSpanContext(context.Background(),
			trace.NewSpanContext(trace.SpanContextConfig{SpanID: _spanID})), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotTrace, gotSpan := cwzapotel.TraceContext(tt.give)
			if gotTrace != tt.wantTrace || gotSpan != tt.wantSpan {
				t.Errorf("TraceContext = %q, %q; want %q, %q", gotTrace, gotSpan, tt.wantTrace, tt.wantSpan)
			}
		})
	}
}

// A span of the OpenTelemetry SDK, its context logged through a Syncer
// and the real SDK client: the event CloudWatch stores carries the span's
// ids, read back from cwlogstest.
func TestTraceIDsReachCloudWatch(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	ws, err := cwzap.NewSyncer("/app/orders", "web-1", cwzap.WithClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())

	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel, cwzapotel.WithTraceContext()))
	ctx, span := tp.Tracer("orders").Start(context.Background(), "checkout")
	logger.Info("paid", zap.Any("ctx", ctx), zap.Int("items", 3))
	logger.With(zap.Any("request", ctx)).Info("shipped")
	logger.Info("no span", zap.Any("ctx", context.Background()))
	span.End()
	if err := logger.Sync(); err != nil {
		t.Fatal(err)
	}

	sc := span.SpanContext()
	hex := regexp.MustCompile(`^[0-9a-f]+$`)
	if !sc.IsValid() || !hex.MatchString(sc.TraceID().String()) {
		t.Fatalf("the SDK's span context %v", sc)
	}
	events := srv.Events("/app/orders", "web-1")
	if len(events) != 3 {
		t.Fatalf("CloudWatch holds %d events, want 3", len(events))
	}
	for i, e := range events[:2] {
		var doc map[string]any
		if err := json.Unmarshal([]byte(e.Message), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["trace_id"] != sc.TraceID().String() || doc["span_id"] != sc.SpanID().String() {
			t.Errorf("event %d = %s; want trace_id %s and span_id %s", i, e.Message, sc.TraceID(), sc.SpanID())
		}
		if _, ok := doc["ctx"]; ok || strings.Contains(e.Message, `"request"`) {
			t.Errorf("event %d = %s; the context field is written", i, e.Message)
		}
	}
	if m := events[2].Message; strings.Contains(m, "trace_id") || strings.Contains(m, "span_id") || strings.Contains(m, `"ctx"`) {
		t.Errorf("entry without a span = %s; want no ids and no context field", m)
	}
}
