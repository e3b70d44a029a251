package cwzap

import (
	"errors"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// entryWriter is implemented by *Syncer: one event with its own time.
type entryWriter interface {
	WriteEntry(t time.Time, p []byte) error
}

// purger is implemented by *Syncer: a Sync bounded by WithSyncTimeout that
// leaves what went wrong for the caller's next Sync.
type purger interface {
	purge()
}

// _purgeKey marks the Purge field; no encoder writes a SkipType field.
const _purgeKey = "\x00cwzap.purge"

// Purge returns a field that makes the entry carrying it, or every entry of
// a logger built With it, a purge: the Core calls Sync on its WriteSyncer
// before Write returns, so with a *Syncer the entry is delivered (or has
// failed for good) by then. The field is never written by any encoder; other
// cores ignore it.
func Purge() zap.Field {
	return zap.Field{Key: _purgeKey, Type: zapcore.SkipType}
}

func isPurge(f *zapcore.Field) bool {
	return f.Type == zapcore.SkipType && f.Key == _purgeKey
}

// NewCore returns a zapcore.Core that encodes entries enabled by enab with
// NewEncoder, configured by opts (WithFormat, WithPrefixFunc, WithFunction,
// WithEncoderConfig), and writes each to ws in exactly one call. NewCore
// cannot return an error: a Format that fails Format.Validate (a typo such
// as "#standrad") encodes as FormatStandard and every event carries a
// "formatError" field naming the mistake. Build a format from text with
// ParseFormat, or use New, which refuses it.
//
// ws is usually a *Syncer: then the Core calls its WriteEntry with the
// entry's time. Any other zapcore.WriteSyncer gets Write, and the event time
// is the time of that call. After an entry above ErrorLevel (DPanic, Panic,
// Fatal) or one carrying Purge, the Core purges before Write returns: with
// a *Syncer, a Sync bounded by WithSyncTimeout whose failures reach the
// error handler and the next Sync, not Write's result (so zap does not
// print them again); with any other ws, ws.Sync, whose error Write returns.
//
// The Core, and every Core derived from it by With, is safe for concurrent
// use if ws is; a *Syncer is. As with every zapcore.Core, callers use Check
// before Write (zap.Logger does). The Core never closes ws: the caller owns
// it and closes it (Syncer.Close) after the last entry.
//
// A nil ws (also a nil *Syncer) or a nil enab is a programming error, and
// NewCore panics with a message naming the argument, as slog.New does for
// a nil Handler: a Core cannot return an error, and refusing it here beats
// a nil dereference at the first log call, far from the mistake.
func NewCore(ws zapcore.WriteSyncer, enab zapcore.LevelEnabler, opts ...CoreOption) zapcore.Core {
	if err := checkCoreArgs(ws, enab); err != nil {
		panic(err.Error())
	}
	return newCore(ws, enab, buildCoreOptions(opts).encoder)
}

// checkCoreArgs refuses the arguments no Core can write with.
func checkCoreArgs(ws zapcore.WriteSyncer, enab zapcore.LevelEnabler) error {
	if ws == nil {
		return errors.New("cwzap: NewCore: ws is nil; pass the *Syncer from NewSyncer or another zapcore.WriteSyncer")
	}
	if s, ok := ws.(*Syncer); ok && s == nil {
		return errors.New("cwzap: NewCore: ws is a nil *Syncer; pass the one NewSyncer returned, after checking its error")
	}
	if enab == nil {
		return errors.New("cwzap: NewCore: enab is nil; pass a level such as zap.InfoLevel or a zap.AtomicLevel")
	}
	return nil
}

func newCore(ws zapcore.WriteSyncer, enab zapcore.LevelEnabler, cfg EncoderConfig) *core {
	c := &core{LevelEnabler: enab, out: ws}
	c.we, _ = ws.(entryWriter)
	c.pu, _ = ws.(purger)
	if s, ok := ws.(*Syncer); ok {
		// The JSON layout goes to the Syncer as events in the wire form,
		// escaped once while they are encoded (encoder_wire.go); what the
		// encoder finds wrong with metrics goes to the Syncer's reporter.
		c.enc = newEncoder(cfg, true, s.reportSetup)
		c.s = s
	} else {
		c.enc = newEncoder(cfg, false, nil)
	}
	c.enc.set.emf.reportConfig() // a metric configuration CloudWatch refuses
	return c
}

// _routeBuf is the room on the stack for an entry's route.
const _routeBuf = 128

// core is small: derived cores share everything but the encoder.
type core struct {
	zapcore.LevelEnabler
	enc   *encoder
	out   zapcore.WriteSyncer
	s     *Syncer     // out, when it is a *Syncer; else nil
	we    entryWriter // out as an entryWriter, or nil
	pu    purger      // out as a purger, or nil
	purge bool        // every entry purges (With(Purge()))
	route []string    // the route values of the With fields, when s's names take any (route.go)
}

var _ zapcore.Core = (*core)(nil)

// Level returns the minimum enabled level, for zapcore.LevelOf.
func (c *core) Level() zapcore.Level {
	return zapcore.LevelOf(c.LevelEnabler)
}

// With returns a Core that adds fields to every entry, encoded once now.
// A Purge field makes every entry of the new Core a purge.
func (c *core) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	if c.s != nil && len(c.s.route.keys) > 0 {
		clone.route = c.s.route.withValues(c.route, fields, c.enc.depth > 0)
	}
	clone.enc = c.enc.with(fields)
	for i := range fields {
		if isPurge(&fields[i]) {
			clone.purge = true
		}
	}
	return &clone
}

// Check adds the core to ce when the entry's level is enabled. It answers
// the probe (probe.go) with its Syncer, without adding itself.
func (c *core) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if isProbe(ent) {
		if s, ok := c.out.(*Syncer); ok {
			var a *probeAnswer
			if ce, a = answerProbe(ent, ce); a.syncer == nil {
				a.syncer = s
			}
		}
		return ce
	}
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

// Write encodes the entry and writes it to the WriteSyncer in one call,
// then syncs for entries above ErrorLevel and purges.
func (c *core) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	var err error
	if c.s != nil {
		route := c.s.noRoute
		var rb [_routeBuf]byte
		if len(c.s.route.keys) > 0 {
			route = c.s.route.appendRoute(rb[:0], &ent, fields, c.route, c.enc.depth > 0)
		}
		if c.enc.set.wire {
			ev, buf := c.enc.encodeEvent(ent, fields, eventTime(ent.Time))
			ev.route = route
			err = c.s.writeEvent(&ev)
			freeBuffer(buf)
		} else {
			buf, _ := c.enc.EncodeEntry(ent, fields) // never fails
			err = c.s.writeText(ent.Time, buf.Bytes(), route)
			buf.Free()
		}
	} else {
		buf, _ := c.enc.EncodeEntry(ent, fields) // never fails
		if c.we != nil {
			err = c.we.WriteEntry(ent.Time, buf.Bytes())
		} else {
			_, err = c.out.Write(buf.Bytes())
		}
		buf.Free()
	}
	if ent.Level > zapcore.ErrorLevel || c.purge || hasPurge(fields) {
		// zap may be about to panic or exit, and a purge promises delivery.
		if c.pu != nil {
			c.pu.purge()
		} else if serr := c.out.Sync(); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	return err
}

func hasPurge(fields []zapcore.Field) bool {
	for i := range fields {
		if isPurge(&fields[i]) {
			return true
		}
	}
	return false
}

// Sync flushes the WriteSyncer: with a *Syncer, it returns once every
// earlier entry is delivered or has failed for good.
func (c *core) Sync() error {
	return c.out.Sync()
}
