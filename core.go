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
// WithEncoderConfig), and writes each to ws in exactly one call. An unknown
// named format falls back to FormatStandard; check it with Format.Validate
// first, or use New, which reports it.
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
func NewCore(ws zapcore.WriteSyncer, enab zapcore.LevelEnabler, opts ...CoreOption) zapcore.Core {
	return newCore(ws, enab, buildCoreOptions(opts).encoder)
}

func newCore(ws zapcore.WriteSyncer, enab zapcore.LevelEnabler, cfg EncoderConfig) *core {
	c := &core{
		LevelEnabler: enab,
		enc:          newEncoder(cfg),
		out:          ws,
	}
	c.we, _ = ws.(entryWriter)
	c.pu, _ = ws.(purger)
	if s, ok := ws.(*Syncer); ok {
		c.enc.set.emf.setReporter(s.handleError)
	} else {
		c.enc.set.emf.setReporter(nil)
	}
	return c
}

// core is small: derived cores share everything but the encoder.
type core struct {
	zapcore.LevelEnabler
	enc   *encoder
	out   zapcore.WriteSyncer
	we    entryWriter // out as an entryWriter, or nil
	pu    purger      // out as a purger, or nil
	purge bool        // every entry purges (With(Purge()))
}

var _ zapcore.Core = (*core)(nil)

// cwzapCore marks the cores of this package; presets find them through it.
func (c *core) cwzapCore() *core { return c }

// writeSyncer returns the WriteSyncer the core writes to.
func (c *core) writeSyncer() zapcore.WriteSyncer { return c.out }

// Level returns the minimum enabled level, for zapcore.LevelOf.
func (c *core) Level() zapcore.Level {
	return zapcore.LevelOf(c.LevelEnabler)
}

// With returns a Core that adds fields to every entry, encoded once now.
// A Purge field makes every entry of the new Core a purge.
func (c *core) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.enc = c.enc.with(fields)
	for i := range fields {
		if isPurge(&fields[i]) {
			clone.purge = true
		}
	}
	return &clone
}

// Check adds the core to ce when the entry's level is enabled. It answers
// SyncerOf's probe without adding itself: the probe is never written.
func (c *core) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if isSyncerProbe(ent) {
		if s, ok := c.out.(*Syncer); ok && (ce == nil || ce.ErrorOutput == nil) {
			ce = ce.After(ent, nil) // a CheckedEntry with no core: nothing is written
			ce.ErrorOutput = s
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
	buf, err := c.enc.EncodeEntry(ent, fields)
	if err != nil {
		return err
	}
	if c.we != nil {
		err = c.we.WriteEntry(ent.Time, buf.Bytes())
	} else {
		_, err = c.out.Write(buf.Bytes())
	}
	buf.Free()
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
