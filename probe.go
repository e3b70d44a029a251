package cwzap

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The probe: ClassCode and SyncerOf learn what a logger is by offering its
// core one marked entry through Check. Check is the one call that every
// zapcore.Core passes on, zap's own wrappers included (With, Named,
// IncreaseLevel, Hooks, NewTee, the sampler), whose types are unexported,
// so no other walk of a core reaches through them. The cores of this
// package answer in a *probeAnswer, carried as the ErrorOutput of the
// CheckedEntry that Check returns (the one field of a CheckedEntry that can
// hold a value of our type), and do not add themselves: nothing is written.
// The entry's level is above FatalLevel, so zap's sampler, which samples
// Debug to Fatal only, neither counts it nor drops it.

// _probeEntry is the entry offered to Check.
var _probeEntry = zapcore.Entry{
	Level:      zapcore.FatalLevel + 1,
	LoggerName: "\x00cwzap",
	Message:    "\x00cwzap probe",
}

func isProbe(ent zapcore.Entry) bool {
	return ent.Message == _probeEntry.Message && ent.LoggerName == _probeEntry.LoggerName
}

// probeAnswer is what the cores of a logger say about it; the first core
// to know a thing says it.
type probeAnswer struct {
	class  string  // the class of the first core New built, or ""
	syncer *Syncer // the Syncer of the first NewCore over one, or nil
}

// Write and Sync make a probeAnswer the zapcore.WriteSyncer that
// ErrorOutput holds; nothing calls them.
func (*probeAnswer) Write(p []byte) (int, error) { return len(p), nil }
func (*probeAnswer) Sync() error                 { return nil }

// answerProbe returns ce, created if nil, and the answer it carries,
// attached if it has none yet.
func answerProbe(ent zapcore.Entry, ce *zapcore.CheckedEntry) (*zapcore.CheckedEntry, *probeAnswer) {
	if ce == nil {
		ce = ce.After(ent, nil) // a CheckedEntry with no core
	}
	a, ok := ce.ErrorOutput.(*probeAnswer)
	if !ok {
		a = &probeAnswer{}
		ce.ErrorOutput = a
	}
	return ce, a
}

// probe asks l's core what it is; the zero answer when l is nil or none of
// its cores is ours.
func probe(l *zap.Logger) probeAnswer {
	if l == nil {
		return probeAnswer{}
	}
	ce := l.Core().Check(_probeEntry, nil)
	if ce == nil {
		return probeAnswer{}
	}
	if a, ok := ce.ErrorOutput.(*probeAnswer); ok {
		return *a
	}
	return probeAnswer{}
}
