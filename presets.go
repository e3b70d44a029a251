package cwzap

import (
	"io"
	"os"
	"slices"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The logger classes of a Spec, which ClassCode reports.
const (
	// ClassCloudWatch ships entries to a CloudWatch Logs stream or, when the
	// spec has no group, prints them to stdout.
	ClassCloudWatch = "cloud-watch"
	// ClassPrint writes entries at or above the level to stdout.
	ClassPrint = "#print"
	// ClassNull discards everything.
	ClassNull = "#null"
	// ClassStandardLogger writes entries at or above the level to stderr.
	ClassStandardLogger = "#standard-logger"
	// ClassUnrecognised is what ClassCode reports for any other logger.
	ClassUnrecognised = "#unrecognised"
)

// New builds a logger from spec. It is the convenience over ParseSpec and
// Spec.Build, for a spec of any of these Go types:
//
//   - nil (or a nil *Spec): the "#null" logger;
//   - string: a class name only, "cloud-watch", "#print", "#null" or
//     "#standard-logger", in any case; a string is never parsed as JSON,
//     and one that looks like JSON is an error that says so;
//   - []byte or json.RawMessage: JSON text, read by ParseSpec;
//   - Spec or *Spec;
//   - map[string]any or map[string]string: the nested or short form that
//     ParseSpec documents, as decoded by encoding/json; a level may also be
//     a Go integer (Python's numbers, see Spec.Level).
//
// Any other type, and every error ParseSpec and Build report, is an error
// naming the bad part. New(spec, opts...) is Build(opts...) on the parsed
// Spec.
func New(spec any, opts ...Option) (*zap.Logger, error) {
	s, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	return s.build(opts)
}

// Build returns the logger the spec describes. Its classes:
//
//   - "cloud-watch" with a group: a Syncer (NewSyncer) under a Core
//     (NewCore); at the DEBUG threshold every entry is also printed to
//     stdout. Without a group it prints to stdout like "#print", and still
//     reports ClassCloudWatch and IsPurgeable.
//   - "#print": the JSON layout to stdout.
//   - "#standard-logger": the JSON layout to stderr. aws-sdk-go-v2 logs
//     only through its own logging.Logger, whose client logging is off by
//     default and never turned on by the Syncer, so no SDK output reaches
//     this or any other cwzap logger.
//   - "#null": discards everything; ClassCode still recognises it.
//
// Every class uses the JSON layout unless the spec names a text format.
// Loggers carry zap.AddCaller, so the layout's location is filled.
//
// opts go to NewSyncer (the SyncerOptions, for "cloud-watch" with a group)
// and to NewCore (the CoreOptions); the spec's function and format, when
// set, win over WithFunction and WithFormat. An option value that cannot
// be honoured, or an unknown format from WithFormat, is an error. Stdout
// and stderr are not synced: writes to them are not buffered, and fsync
// fails on terminals and pipes.
//
// The logger's Sync is the purge: for "cloud-watch" it returns once every
// earlier entry is delivered or has failed for good. The caller must call
// Sync before the process exits (and, in AWS Lambda, before each handler
// returns), since *zap.Logger has no Close; after Sync the Syncer holds no
// goroutine, so an unclosed one leaks nothing. SyncerOf(logger) returns the
// Syncer, for SyncContext, CloseContext and Stats. Build registers nothing
// global. The logger, like every zap.Logger, is safe for concurrent use.
func (s Spec) Build(opts ...Option) (*zap.Logger, error) {
	return spec{Spec: s}.build(opts)
}

func (s spec) build(opts []Option) (*zap.Logger, error) {
	c, err := s.check()
	if err != nil {
		return nil, err
	}
	// The spec's fields are options too, around the caller's: its group
	// settings first (the caller's win), its function and format last.
	first, last := s.options()
	opts = slices.Concat(first, opts, last)
	co, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	enc := co.encoder
	syncerOpts, _ := splitOptions(opts)

	var ws zapcore.WriteSyncer
	group := s.CloudWatch.Group
	switch {
	case c.class == ClassNull:
		return zap.New(&presetCore{Core: zapcore.NewNopCore(), class: c.class}), nil
	case c.class == ClassStandardLogger:
		ws = consoleSyncer{_stderr}
	case c.class == ClassCloudWatch && group != "":
		if ws, err = NewSyncer(group, s.CloudWatch.Stream, syncerOpts...); err != nil {
			return nil, err
		}
	default: // #print, and cloud-watch without a group
		ws = consoleSyncer{_stdout}
	}
	var core zapcore.Core = newCore(ws, c.level, enc)
	if c.class == ClassCloudWatch && group != "" && c.level == zapcore.DebugLevel {
		// At the DEBUG threshold a developer is watching: print as well.
		core = zapcore.NewTee(core, newCore(consoleSyncer{_stdout}, c.level, enc))
	}
	return zap.New(&presetCore{Core: core, class: c.class}, zap.AddCaller()), nil
}

// ClassCode reports which kind of logger l is: ClassCloudWatch, ClassPrint,
// ClassNull or ClassStandardLogger for loggers from New, also after With,
// Named and WithOptions (zap.AddCallerSkip, zap.IncreaseLevel, zap.Hooks,
// zap.WrapCore with a core that passes Check on). A zapcore.NewTee holding a
// logger from New reports the class of the first such core in it. Any
// other logger whose core is, or holds, a NewCore over a *Syncer reports
// ClassCloudWatch. Anything else, such as zap.NewExample() or nil, is
// ClassUnrecognised.
//
// It asks l's core through Check (see probe.go), which writes nothing;
// zap's sampler neither counts nor drops the question, so the answer does
// not change however often ClassCode is called. It is safe for concurrent
// use.
func ClassCode(l *zap.Logger) string {
	switch a := probe(l); {
	case a.class != "":
		return a.class
	case a.syncer != nil:
		return ClassCloudWatch
	}
	return ClassUnrecognised
}

// IsPurgeable reports whether l is a cloud-watch logger, whose Sync purges
// buffered events to CloudWatch (ClassCode(l) == ClassCloudWatch). It is
// true for the class even when the spec had no group and the logger prints
// to stdout, so code that purges need not know where the logger writes.
func IsPurgeable(l *zap.Logger) bool {
	return ClassCode(l) == ClassCloudWatch
}

// presetCore tags the core of a logger from New with its class. It wraps
// only With (to stay itself) and Check (to answer the probe, probe.go);
// Check passes every entry to the inner core, which then writes without
// this layer.
type presetCore struct {
	zapcore.Core
	class string
}

var _ zapcore.Core = (*presetCore)(nil)

func (c *presetCore) With(fields []zapcore.Field) zapcore.Core {
	return &presetCore{Core: c.Core.With(fields), class: c.class}
}

func (c *presetCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if isProbe(ent) {
		var a *probeAnswer
		if ce, a = answerProbe(ent, ce); a.class == "" {
			a.class = c.class
		}
	}
	return c.Core.Check(ent, ce)
}

// consoleSyncer writes to stdout or stderr, looked up at each write so a
// reassigned os.Stdout is honoured. Sync does nothing: *os.File writes are
// not buffered, and fsync on a terminal or pipe fails (zap issue #370).
type consoleSyncer struct {
	w func() io.Writer
}

func (s consoleSyncer) Write(p []byte) (int, error) { return s.w().Write(p) }
func (consoleSyncer) Sync() error                   { return nil }

// The standard streams, as variables so tests can capture them.
var (
	_stdout = func() io.Writer { return os.Stdout }
	_stderr = func() io.Writer { return os.Stderr }
)
