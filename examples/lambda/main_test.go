package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap/cwlogstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Both functions, configured only through the environment as on Lambda,
// write into one application stream, and each invocation's entries are
// delivered by the time its handler returns (outside Lambda, Wrap syncs
// before returning).
func TestFunctionsShareOneStream(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	local(t, srv)
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	clock := &fixedClock{now: time.Now()}
	intake := newHandler("app-order-intake", intake, zap.WithClock(clock))
	billing := newHandler("app-order-billing", billing, zap.WithClock(clock))
	stream := "orders-" + clock.now.UTC().Format("2006-01-02")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})

	if got, err := intake(ctx, Order{ID: "A-1", Amount: 42}); err != nil || got != "accepted" {
		t.Fatalf("intake = %q, %v", got, err)
	}
	if n := len(srv.Events("/app/orders", stream)); n != 2 {
		t.Fatalf("after intake returned the stream holds %d events, want 2", n)
	}
	if _, err := billing(ctx, Order{ID: "A-1", Amount: 20_000}); err == nil {
		t.Fatal("billing accepted an amount over the limit")
	}
	events := srv.Events("/app/orders", stream)
	if len(events) != 4 {
		t.Fatalf("after billing returned the stream holds %d events, want 4", len(events))
	}
	functions := map[string]bool{}
	for _, e := range events {
		var v struct {
			Function, Order, Level, Exception string
			Request                           string `json:"function_request_id"`
		}
		if err := json.Unmarshal([]byte(e.Message), &v); err != nil {
			t.Fatalf("event %s is not JSON: %v", e.Message, err)
		}
		if v.Order != "A-1" || v.Request != "req-1" {
			t.Errorf("event %s lacks the order or request id", e.Message)
		}
		functions[v.Function] = true
		if v.Level == "ERROR" && !strings.Contains(v.Exception, "over the limit") {
			t.Errorf("error event %s lacks the exception", e.Message)
		}
	}
	if !functions["app-order-intake"] || !functions["app-order-billing"] {
		t.Errorf("functions in the stream: %v, want both", functions)
	}
}

// local points the default AWS configuration at srv, as the environment
// of a function would point it at CloudWatch.
func local(t *testing.T, srv *cwlogstest.Server) {
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// fixedClock is a zapcore.Clock whose time the test sets.
type fixedClock struct{ now time.Time }

func (c *fixedClock) Now() time.Time                         { return c.now }
func (c *fixedClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

// A warm instance that lives past midnight UTC rolls over: the entries of
// one invocation before midnight and one after land in two streams.
func TestWarmInstanceRollsOverAtMidnight(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	local(t, srv)
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	midnight := time.Now().UTC().Truncate(24 * time.Hour)
	clock := &fixedClock{now: midnight.Add(-time.Millisecond)}
	h := newHandler("app-order-intake", intake, zap.WithClock(clock))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	for _, id := range []string{"before", "after"} {
		if _, err := h(ctx, Order{ID: id, Amount: 1}); err != nil {
			t.Fatal(err)
		}
		clock.now = midnight
	}
	for _, tt := range []struct{ stream, order string }{
		{"orders-" + midnight.Add(-time.Millisecond).Format("2006-01-02"), "before"},
		{"orders-" + midnight.Format("2006-01-02"), "after"},
	} {
		events := srv.Events("/app/orders", tt.stream)
		if len(events) != 2 {
			t.Fatalf("%s holds %d events, want the 2 of order %s", tt.stream, len(events), tt.order)
		}
		for _, e := range events {
			if !strings.Contains(e.Message, `"order":"`+tt.order+`"`) {
				t.Errorf("%s holds %s, want only order %s", tt.stream, e.Message, tt.order)
			}
		}
	}
}
