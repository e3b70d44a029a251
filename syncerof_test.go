package cwzap_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

func TestSyncerOf(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	logger, err := cwzap.New(map[string]any{"class": "cloud-watch", "level": "debug",
		"cloud-watch": map[string]any{"group": "/test/of", "stream": "s"}}, cwzap.WithClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	s := cwzap.SyncerOf(logger)
	if s == nil {
		t.Fatal("SyncerOf(New(cloud-watch)) = nil")
	}
	defer s.Close()
	derived := logger.Named("n").With(zap.Int("k", 1)).WithOptions(zap.IncreaseLevel(zap.WarnLevel))
	if got := cwzap.SyncerOf(derived); got != s {
		t.Errorf("SyncerOf(derived) = %p, want %p", got, s)
	}
	tee := zap.New(zapcore.NewTee(zap.NewExample().Core(), logger.Core()))
	if got := cwzap.SyncerOf(tee); got != s {
		t.Errorf("SyncerOf(tee) = %p, want %p", got, s)
	}
	// zap's production sampler keeps the first 100 entries a second of a
	// kind: the probe is not one of them.
	sampled := zap.New(zapcore.NewSamplerWithOptions(logger.Core(), time.Second, 100, 100))
	for i := range 300 {
		if got := cwzap.SyncerOf(sampled); got != s {
			t.Fatalf("SyncerOf(sampled) call %d = %p, want %p", i, got, s)
		}
	}
	if st := s.Stats(); st.Written != 0 {
		t.Errorf("the probes wrote %d events", st.Written)
	}

	logger.Warn("reached through SyncerOf")
	if err := s.SyncContext(context.Background()); err != nil {
		t.Fatalf("SyncContext = %v", err)
	}
	if st := s.Stats(); st.Written != 1 || st.Delivered != 1 {
		t.Errorf("stats = %+v, want the one entry delivered", st)
	}

	for name, l := range map[string]*zap.Logger{"nil": nil, "example": zap.NewExample(), "nop": zap.NewNop()} {
		if got := cwzap.SyncerOf(l); got != nil {
			t.Errorf("SyncerOf(%s) = %p, want nil", name, got)
		}
	}
	for _, class := range []string{"#print", "#null", "#standard-logger"} {
		l, err := cwzap.New(class)
		if err != nil {
			t.Fatal(err)
		}
		if got := cwzap.SyncerOf(l); got != nil {
			t.Errorf("SyncerOf(New(%q)) = %p, want nil", class, got)
		}
	}
}
