package cwzap

import "go.uber.org/zap"

// SyncerOf returns the *Syncer a logger writes to, so that a logger built
// by New reaches SyncContext, CloseContext and Stats. It finds the first
// NewCore over a *Syncer in l's core, through With, Named, WithOptions and
// zapcore.NewTee, and returns nil when there is none (other classes, or a
// zap.Config sink, which zap's own core holds). It writes nothing (see
// probe.go) and is safe for concurrent use.
func SyncerOf(l *zap.Logger) *Syncer {
	return probe(l).syncer
}
