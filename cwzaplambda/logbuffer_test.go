package cwzaplambda

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// bufferedHandler logs debug entries, then what the tag asks for.
func bufferedHandler(debug int) func(context.Context, string) (string, error) {
	return func(ctx context.Context, tag string) (string, error) {
		log := Logger(ctx).With(zap.String("tag", tag))
		for i := range debug {
			log.Debug("detail", zap.Int("i", i))
		}
		log.Info("summary")
		switch {
		case strings.HasPrefix(tag, "error-log"):
			log.Error("went wrong")
		case strings.HasPrefix(tag, "return"):
			return "", errors.New("failed")
		case strings.HasPrefix(tag, "panic"):
			panic("boom")
		}
		return tag, nil
	}
}

func messages(t *testing.T, srvEvents []string) []string {
	t.Helper()
	var out []string
	for _, m := range srvEvents {
		_, rest, _ := strings.Cut(m, `"message":"`)
		msg, _, _ := strings.Cut(rest, `"`)
		out = append(out, msg)
	}
	return out
}

func taggedMessages(t *testing.T, h func(string) []string, tag string) []string {
	return messages(t, h(tag))
}

// Held DEBUG entries are discarded when the invocation ends well, and
// delivered, before the rest of the flush, when it logs an error (before
// that entry), returns an error or panics.
func TestLogBufferDeliversOnlyWhenSomethingFails(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	srv := newTestServer(t, 0)
	b := NewLogBuffer(zapcore.DebugLevel, 0)
	h := Wrap(newTestSyncer(t, srv), bufferedHandler(3), WithLogBuffer(b), WithErrorHandler(func(error) {}))
	events := func(tag string) []string {
		var out []string
		for _, e := range srv.Events("g", "s") {
			if strings.Contains(e.Message, `"tag":"`+tag+`"`) {
				out = append(out, e.Message)
			}
		}
		return out
	}
	tests := []struct {
		tag  string
		want string // the messages stored, sorted
	}{
		{"ok", "summary"},
		{"error-log", "detail detail detail summary went wrong"},
		{"return", "detail detail detail summary"},
		{"panic", "detail detail detail summary"},
	}
	for i, tt := range tests {
		ctx, cancel := invocationCtx(fmt.Sprintf("r-%d", i), 5*time.Second)
		func() {
			defer func() { recover() }()
			h(ctx, tt.tag)
		}()
		cancel()
		got := taggedMessages(t, events, tt.tag)
		slices.Sort(got)
		if got := strings.Join(got, " "); got != tt.want {
			t.Errorf("%s: stored %q, want %q", tt.tag, got, tt.want)
		}
	}
	if got, want := b.Stats(), (LogBufferStats{Delivered: 9, Discarded: 3}); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

// A full room evicts its oldest entries; what is delivered is the newest
// that fit, in order, and the evicted ones are counted.
func TestLogBufferEvictsTheOldest(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	srv := newTestServer(t, 0)
	b := NewLogBuffer(zapcore.DebugLevel, 1024)
	h := Wrap(newTestSyncer(t, srv), bufferedHandler(40), WithLogBuffer(b), WithErrorHandler(func(error) {}))
	ctx, cancel := invocationCtx("r-1", 5*time.Second)
	defer cancel()
	h(ctx, "return")
	var is []int
	for _, e := range srv.Events("g", "s") {
		if m := _detailIndex.FindStringSubmatch(e.Message); m != nil {
			i, _ := strconv.Atoi(m[1])
			is = append(is, i)
		}
	}
	slices.Sort(is)
	st := b.Stats()
	if len(is) == 0 || len(is) == 40 || is[len(is)-1] != 39 || st.Evicted != uint64(40-len(is)) || st.Delivered != uint64(len(is)) {
		t.Fatalf("delivered entries %v, stats %+v: want the newest that fit in 1 KiB, the rest evicted", is, st)
	}
	for k := 1; k < len(is); k++ {
		if is[k] != is[k-1]+1 {
			t.Errorf("delivered entries %v are not the consecutive newest", is)
		}
	}
}

var _detailIndex = regexp.MustCompile(`"message":"detail".*"tag":"return","i":(\d+)`)

// An entry logged after its invocation ended, from a goroutine the handler
// left behind, is discarded, even when the room serves a later invocation.
func TestLogBufferTurnsLateEntriesAway(t *testing.T) {
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	srv := newTestServer(t, 0)
	b := NewLogBuffer(zapcore.DebugLevel, 0)
	var leftover *zap.Logger
	h := Wrap(newTestSyncer(t, srv), func(ctx context.Context, tag string) (string, error) {
		if leftover == nil {
			leftover = Logger(ctx)
			return "", nil
		}
		leftover.Debug("late")
		return "", errors.New("second fails")
	}, WithLogBuffer(b), WithErrorHandler(func(error) {}))
	for i := range 2 {
		ctx, cancel := invocationCtx(fmt.Sprintf("r-%d", i), 5*time.Second)
		h(ctx, "x")
		cancel()
	}
	if n := len(srv.Events("g", "s")); n != 0 {
		t.Errorf("%d events stored, want none: the late entry belongs to an ended invocation", n)
	}
	if st := b.Stats(); st.Discarded != 1 || st.Delivered != 0 {
		t.Errorf("stats %+v, want the late entry discarded", st)
	}
}
