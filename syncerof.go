package cwzap

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// SyncerOf returns the *Syncer a logger writes to, so that a logger built
// by New reaches SyncContext, CloseContext and Stats. It finds the first
// NewCore over a *Syncer in l's core, through With, Named, WithOptions and
// zapcore.NewTee, and returns nil when there is none (other classes, or a
// zap.Config sink, which zap's own core holds). It writes nothing.
func SyncerOf(l *zap.Logger) *Syncer {
	if l == nil {
		return nil
	}
	ce := l.Core().Check(_syncerProbe, nil)
	if ce == nil || ce.Message != _syncerProbe.Message {
		return nil
	}
	s, _ := ce.ErrorOutput.(*Syncer)
	return s
}

// _syncerProbe is the entry SyncerOf sends through Check; a core over a
// *Syncer answers with it in the ErrorOutput of the returned CheckedEntry.
// Its level is above FatalLevel, so that zap's sampler, which samples
// Debug to Fatal only, never counts it.
var _syncerProbe = zapcore.Entry{
	Level:      zapcore.FatalLevel + 1,
	LoggerName: "\x00cwzap",
	Message:    "\x00cwzap.SyncerOf probe",
}

func isSyncerProbe(ent zapcore.Entry) bool {
	return ent.Message == _syncerProbe.Message && ent.LoggerName == _syncerProbe.LoggerName
}
