package cwzapotel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"github.com/cwzap/cwzap/cwzapotel"
)

// fixedIDs gives every trace and span the same ids, so that the example's
// output is fixed; a real program keeps the SDK's random ones.
type fixedIDs struct{}

func (fixedIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	return _traceID, _spanID
}

func (fixedIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return _spanID }

// readmeTraces is the README's "Traces".
func readmeTraces(ws *cwzap.Syncer, tracer trace.Tracer) {
	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel, cwzapotel.WithTraceContext()))

	ctx, span := tracer.Start(context.Background(), "checkout")
	defer span.End()
	logger.Info("paid", zap.Any("ctx", ctx), zap.Int("items", 3))
	logger.Sync()
}

// An entry carrying the context of an OpenTelemetry span gets its ids.
func Example() {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	ws, err := cwzap.NewSyncer("/app/orders", "web-1", cwzap.WithClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()
	tp := sdktrace.NewTracerProvider(sdktrace.WithIDGenerator(fixedIDs{}))
	defer tp.Shutdown(context.Background())

	readmeTraces(ws, tp.Tracer("orders"))

	for _, e := range srv.Events("/app/orders", "web-1") {
		var doc struct {
			Message string `json:"message"`
			TraceID string `json:"trace_id"`
			SpanID  string `json:"span_id"`
			Items   int    `json:"items"`
		}
		if err := json.Unmarshal([]byte(e.Message), &doc); err != nil {
			log.Fatal(err)
		}
		fmt.Println(doc.Message, doc.TraceID, doc.SpanID, doc.Items)
	}
	// Output:
	// paid 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 3
}
