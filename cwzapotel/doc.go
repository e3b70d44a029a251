// Package cwzapotel joins cwzap's log entries to OpenTelemetry traces.
//
// An entry carrying a context.Context field gets the "trace_id" and
// "span_id" of the span in that context, the keys and the lowercase hex
// that OpenTelemetry's "Trace Context in non-OTLP Log Formats" specifies,
// so that CloudWatch Logs Insights, X-Ray and other tools can go from a
// trace to its logs and back:
//
//	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel, cwzapotel.WithTraceContext()))
//
//	ctx, span := tracer.Start(ctx, "checkout")
//	defer span.End()
//	logger.Info("paid", zap.Any("ctx", ctx))
//	// {"timestamp":…,"message":"paid","trace_id":"4bf9…4736","span_id":"00f0…02b7"}
//
// The context field is found whatever its key, as OpenTelemetry's own zap
// bridge (go.opentelemetry.io/contrib/bridges/otelzap) finds it, so one
// zap.Any("ctx", ctx) serves a tee of both cores. A context given to With
// applies to every entry of that logger that carries none of its own. See
// cwzap.WithTraceContext for where the ids go in the layout and the text
// formats.
//
// The package is a module of its own, so that OpenTelemetry's modules
// stay out of cwzap's go.mod. It needs only go.opentelemetry.io/otel/trace:
// any tracer that puts a trace.SpanContext in the context works, the
// OpenTelemetry SDK's or another.
package cwzapotel
