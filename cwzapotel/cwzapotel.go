package cwzapotel

import (
	"context"
	"encoding/hex"

	"github.com/cwzap/cwzap"
	"go.opentelemetry.io/otel/trace"
)

// TraceContext returns the trace and span ids of the span context in ctx
// (trace.SpanContextFromContext) as lowercase hex, 32 and 16 characters,
// the form OpenTelemetry specifies for log formats other than OTLP; both
// are empty when ctx holds no valid span context. It is the hook of
// cwzap.WithTraceContext, safe for concurrent use, and allocates one
// string per call, which both ids share.
func TraceContext(ctx context.Context) (traceID, spanID string) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return "", ""
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	var b [2*len(tid) + 2*len(sid)]byte
	hex.Encode(b[:2*len(tid)], tid[:])
	hex.Encode(b[2*len(tid):], sid[:])
	s := string(b[:])
	return s[:2*len(tid)], s[2*len(tid):]
}

// WithTraceContext is cwzap.WithTraceContext(TraceContext): an entry
// carrying a context.Context field (zap.Any("ctx", ctx), any key) gets
// the "trace_id" and "span_id" of the OpenTelemetry span in that context.
func WithTraceContext() cwzap.CoreOption {
	return cwzap.WithTraceContext(TraceContext)
}
