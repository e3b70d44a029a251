package cwzap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The class codes reported by ClassCode, the seed's names for its loggers.
const (
	// ClassCloudWatch ships entries to a CloudWatch Logs stream (or, without
	// a group, prints them to stdout, as the seed did).
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

// Spec is the typed form of a logger spec, as New accepts it. The zero
// value is a cloud-watch logger without a group: the JSON layout to stdout
// at InfoLevel. The json tags match the seed's keys, so a Spec can be
// unmarshalled from the "logging" object of a configuration file (cwzap has
// no YAML dependency; convert YAML to JSON or a map first).
type Spec struct {
	// Class is one of "cloud-watch", "#print", "#null" or
	// "#standard-logger", in any case. Empty means "cloud-watch".
	Class string `json:"class,omitempty"`
	// Level is the threshold: a zap level name ("debug", "info", "warn",
	// "error", "dpanic", "panic", "fatal"), one of the seed's ("warning",
	// "critical" = DPanicLevel, "notset" = DebugLevel), in any case, or a
	// Python level number 0 to 50 as text ("30"), rounded up to the next
	// named level. Empty means InfoLevel.
	Level string `json:"level,omitempty"`
	// CloudWatch holds the destination and the text format.
	CloudWatch CloudWatchSpec `json:"cloud-watch,omitzero"`
}

// CloudWatchSpec is the "cloud-watch" part of a Spec. Function and Format
// apply to every class that writes; Group and Stream only to cloud-watch.
type CloudWatchSpec struct {
	// Group is the log group. Empty means the logger prints to stdout.
	Group string `json:"group,omitempty"`
	// Stream is the log stream; required when Group is set.
	Stream string `json:"stream,omitempty"`
	// Function is the {func} of text formats, e.g. the Lambda function's
	// name (WithFunction).
	Function string `json:"function,omitempty"`
	// Format is "" for the JSON layout (the default), a named text format
	// ("#standard", "#short", "#simple", "#mini") or a template
	// (WithFormat).
	Format string `json:"format,omitempty"`
}

// New builds a logger from spec, the polymorphic factory of the seed's
// createPolymorphicLogger. spec is one of:
//
//   - nil (or a nil *Spec): the "#null" logger;
//   - a class name: "cloud-watch", "#print", "#null", "#standard-logger";
//   - JSON text, as []byte, json.RawMessage or a string starting with '{',
//     holding one of the map forms below (or a JSON string or null);
//   - a Spec or *Spec;
//   - a map[string]any or map[string]string in the nested form
//     {"logging": {"class", "level", "cloud-watch": {"group", "stream",
//     "function", "format"}}} (other top-level keys are ignored, so a whole
//     configuration file can be passed) or the short form {"class",
//     "level", "cloud-watch": {…}}; in either, "group", "stream",
//     "function" and "format" may also sit beside "class" instead of under
//     "cloud-watch", but not in both places.
//
// A missing or empty class is "cloud-watch"; a missing level is INFO.
// Levels may be JSON numbers or Go integers (Python's, see Spec.Level).
// Unknown keys inside the logging object, an unknown class, level or
// format, and a value of the wrong type are errors naming the bad part;
// unlike the seed, an unknown level is not silently INFO.
//
// The classes:
//
//   - "cloud-watch" with a group: a Syncer (NewSyncer) under a Core
//     (NewCore); at the DEBUG threshold every entry is also printed to
//     stdout, as the seed did. Without a group it prints to stdout like
//     "#print", as the seed did, and still reports ClassCloudWatch and
//     IsPurgeable.
//   - "#print": the layout to stdout.
//   - "#standard-logger": the layout to stderr. The seed also turned the
//     AWS SDK's loggers down to ERROR; aws-sdk-go-v2 logs only through its
//     own logging.Logger, its client logging is off by default (ClientLogMode
//     0) and the Syncer never turns it on, so nothing of the SDK reaches
//     this or any cwzap logger.
//   - "#null": discards everything; ClassCode still recognises it.
//
// Every class uses the JSON layout unless the spec names a text format; the
// seed defaulted to text. Loggers carry zap.AddCaller, so the layout's
// location is filled.
//
// New passes opts to NewSyncer and NewCore, which read their own options;
// the spec's function and format, when set, override the options'. Stdout
// and stderr are not synced (fsync fails on terminals and pipes, and writes
// to them are not buffered).
//
// The logger's Sync is the purge: for "cloud-watch" it returns once every
// earlier entry is delivered or has failed for good. The caller must call
// Sync before the process exits (and, in AWS Lambda, before each handler
// returns), since *zap.Logger has no Close; after Sync the Syncer holds no
// goroutine, so an unclosed one leaks nothing. New itself registers nothing
// global (the package's init registers the cloudwatch:// sink, SinkScheme,
// and the "cwzap" encoder with zap). The logger, like every zap.Logger, is
// safe for concurrent use.
func New(spec any, opts ...Option) (*zap.Logger, error) {
	s, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	return s.build(opts)
}

// ClassCode reports which kind of logger l is: ClassCloudWatch, ClassPrint,
// ClassNull or ClassStandardLogger for loggers from New, also after With,
// Named and WithOptions (zap.AddCallerSkip, zap.IncreaseLevel, zap.Hooks,
// zap.WrapCore with a core that passes Check on). A zapcore.NewTee holding a
// logger from New reports the class of the first such core in it. A logger
// whose core is a NewCore over a *Syncer reports ClassCloudWatch. Anything
// else, such as zap.NewExample() or nil, is ClassUnrecognised.
//
// It finds the class by offering l's core a marked FatalLevel entry through
// Check, which writes nothing. Behind a sampling core
// (zapcore.NewSamplerWithOptions) that entry counts towards the sample, and
// frequent calls may be sampled away and report ClassUnrecognised. It is safe
// for concurrent use.
func ClassCode(l *zap.Logger) string {
	if l == nil {
		return ClassUnrecognised
	}
	c := l.Core()
	if ce := c.Check(_probeEntry, nil); ce != nil && ce.Message == _probeEntry.Message && ce.Stack != "" {
		return ce.Stack
	}
	if cc, ok := c.(interface{ writeSyncer() zapcore.WriteSyncer }); ok {
		if _, ok := cc.writeSyncer().(*Syncer); ok {
			return ClassCloudWatch
		}
	}
	return ClassUnrecognised
}

// IsPurgeable reports whether l is a cloud-watch logger, whose Sync purges
// buffered events to CloudWatch (ClassCode(l) == ClassCloudWatch). As in
// the seed, it is true for the class even when the spec had no group.
func IsPurgeable(l *zap.Logger) bool {
	return ClassCode(l) == ClassCloudWatch
}

// _probeEntry is the entry ClassCode sends through Check. presetCore
// answers it with its class in the Stack of the returned CheckedEntry.
var _probeEntry = zapcore.Entry{
	Level:      zapcore.FatalLevel,
	LoggerName: "\x00cwzap",
	Message:    "\x00cwzap.ClassCode probe",
}

// presetCore tags the core of a logger from New with its class. It wraps
// only With (to stay itself) and Check (to answer the probe); Check passes
// everything else to the inner core, which then writes without this layer.
type presetCore struct {
	zapcore.Core
	class string
}

var _ zapcore.Core = (*presetCore)(nil)

func (c *presetCore) With(fields []zapcore.Field) zapcore.Core {
	return &presetCore{Core: c.Core.With(fields), class: c.class}
}

func (c *presetCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if ent.Message == _probeEntry.Message && ent.LoggerName == _probeEntry.LoggerName {
		ce = ce.AddCore(ent, c)
		if ce.Stack == "" { // the first preset core of a tee wins
			ce.Stack = c.class
		}
		return ce
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

// spec is a Spec plus where it came from, to name the bad part in errors.
type spec struct {
	Spec
	prefix string // "logging." in the nested form, "" otherwise
}

// specError names the part of a spec that is wrong.
func specError(path, format string, args ...any) error {
	return fmt.Errorf("cwzap: spec: %s: %s", path, fmt.Sprintf(format, args...))
}

func parseSpec(v any) (spec, error) {
	switch v := v.(type) {
	case nil:
		return spec{Spec: Spec{Class: ClassNull}}, nil
	case string:
		if strings.HasPrefix(strings.TrimSpace(v), "{") {
			return parseJSON([]byte(v)) // untrimmed, so positions match the caller's text
		}
		if _, ok := parseClass(v); !ok {
			return spec{}, fmt.Errorf("cwzap: unknown logger class %q", v)
		}
		return spec{Spec: Spec{Class: v}}, nil
	case []byte:
		return parseJSON(v)
	case json.RawMessage:
		return parseJSON(v)
	case Spec:
		return spec{Spec: v}, nil
	case *Spec:
		if v == nil {
			return spec{Spec: Spec{Class: ClassNull}}, nil
		}
		return spec{Spec: *v}, nil
	case map[string]any:
		return parseMap(v)
	case map[string]string:
		return parseMap(anyMap(v))
	}
	return spec{}, fmt.Errorf("cwzap: spec: want a class name, JSON text, Spec or map, got %T", v)
}

func anyMap(m map[string]string) map[string]any {
	a := make(map[string]any, len(m))
	for k, v := range m {
		a[k] = v
	}
	return a
}

func parseJSON(text []byte) (spec, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber() // keep 20 as "20", not 20.0
	var v any
	err := dec.Decode(&v)
	if err == nil {
		rest := bytes.TrimLeft(text[dec.InputOffset():], " \t\r\n")
		if len(rest) > 0 {
			err = fmt.Errorf("invalid character after top-level value at %s", position(text, len(text)-len(rest)))
		}
	} else {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			// Offset counts the bad byte itself; point at it.
			err = fmt.Errorf("%v at %s", se, position(text, int(se.Offset)-1))
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			err = fmt.Errorf("unexpected end of JSON input at %s", position(text, len(text)))
		}
	}
	if err != nil {
		return spec{}, fmt.Errorf("cwzap: spec: malformed JSON: %w", err)
	}
	switch v := v.(type) {
	case nil:
		return spec{Spec: Spec{Class: ClassNull}}, nil
	case string:
		return parseSpec(v)
	case map[string]any:
		return parseMap(v)
	}
	return spec{}, fmt.Errorf("cwzap: spec: want a JSON object or string, got %s", kind(v))
}

// position renders a byte offset as "line L, column C (offset N)".
func position(text []byte, off int) string {
	off = min(max(off, 0), len(text))
	line := 1 + bytes.Count(text[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(text[:off], '\n')
	return fmt.Sprintf("line %d, column %d (offset %d)", line, col, off)
}

func parseMap(m map[string]any) (spec, error) {
	l, ok := m["logging"]
	if !ok {
		return parseLogging(m, "")
	}
	switch l := l.(type) {
	case map[string]any:
		return parseLogging(l, "logging.")
	case map[string]string:
		return parseLogging(anyMap(l), "logging.")
	}
	return spec{}, specError("logging", "want an object, got %s", kind(l))
}

var _cloudWatchKeys = []string{"group", "stream", "function", "format"}

// parseLogging reads the logging object; prefix is its path in errors.
func parseLogging(m map[string]any, prefix string) (spec, error) {
	s := spec{prefix: prefix}
	for _, k := range slices.Sorted(mapKeys(m)) {
		if k != "class" && k != "level" && k != "cloud-watch" && !slices.Contains(_cloudWatchKeys, k) {
			return spec{}, specError(prefix+k, "unknown key (want class, level, cloud-watch, group, stream, function or format)")
		}
	}
	var err error
	if s.Class, err = stringAt(m, "class", prefix); err != nil {
		return spec{}, err
	}
	if s.Level, err = levelAt(m, "level", prefix); err != nil {
		return spec{}, err
	}
	cw := map[string]any{}
	switch v := m["cloud-watch"].(type) {
	case nil:
	case map[string]any:
		cw = v
	case map[string]string:
		cw = anyMap(v)
	default:
		return spec{}, specError(prefix+"cloud-watch", "want an object, got %s", kind(v))
	}
	for _, k := range slices.Sorted(mapKeys(cw)) {
		if !slices.Contains(_cloudWatchKeys, k) {
			return spec{}, specError(prefix+"cloud-watch."+k, "unknown key (want group, stream, function or format)")
		}
		if _, twice := m[k]; twice {
			return spec{}, specError(prefix+k, "also given as %scloud-watch.%s", prefix, k)
		}
	}
	fields := []*string{&s.CloudWatch.Group, &s.CloudWatch.Stream, &s.CloudWatch.Function, &s.CloudWatch.Format}
	for i, k := range _cloudWatchKeys {
		from, p := m, prefix
		if _, ok := cw[k]; ok {
			from, p = cw, prefix+"cloud-watch."
		}
		if *fields[i], err = stringAt(from, k, p); err != nil {
			return spec{}, err
		}
	}
	return s, nil
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// stringAt reads an optional string; null counts as absent.
func stringAt(m map[string]any, key, prefix string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", specError(prefix+key, "want a string, got %s", kind(v))
	}
}

// levelAt reads a level as text: a name, or a Python number in decimal.
func levelAt(m map[string]any, key, prefix string) (string, error) {
	var n float64
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case zapcore.Level: // before the integers: zap's numbers are not Python's
		return v.String(), nil
	case json.Number:
		return v.String(), nil
	case int:
		n = float64(v)
	case int8:
		n = float64(v)
	case int16:
		n = float64(v)
	case int32:
		n = float64(v)
	case int64:
		n = float64(v)
	case uint:
		n = float64(v)
	case uint8:
		n = float64(v)
	case uint16:
		n = float64(v)
	case uint32:
		n = float64(v)
	case uint64:
		n = float64(v)
	case float32:
		n = float64(v)
	case float64:
		n = v
	default:
		return "", specError(prefix+key, "want a string or number, got %s", kind(v))
	}
	return strconv.FormatFloat(n, 'f', -1, 64), nil
}

// kind names v's type as JSON does, or as Go does for other values.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case json.Number, float32, float64, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "number"
	case map[string]any, map[string]string:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// parseClass maps a class name, in any case, to its code; "" is cloud-watch.
func parseClass(s string) (string, bool) {
	switch c := strings.ToLower(strings.TrimSpace(s)); c {
	case "":
		return ClassCloudWatch, true
	case ClassCloudWatch, ClassPrint, ClassNull, ClassStandardLogger:
		return c, true
	}
	return "", false
}

// parseLevel reads the forms Spec.Level documents.
func parseLevel(s string) (zapcore.Level, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "", "info":
		return zapcore.InfoLevel, nil
	case "debug", "notset":
		return zapcore.DebugLevel, nil
	case "warn", "warning":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	case "dpanic", "critical":
		// DPanic panics only in a zap.Development logger, which New never
		// builds, and the layout writes it as CRITICAL.
		return zapcore.DPanicLevel, nil
	case "panic":
		return zapcore.PanicLevel, nil
	case "fatal":
		return zapcore.FatalLevel, nil
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(n, 0) {
		return 0, fmt.Errorf("unknown level %q", s)
	}
	if n != math.Trunc(n) || n < 0 || n > 50 {
		return 0, fmt.Errorf("level %s: want a Python level, an integer from 0 to 50", t)
	}
	// Python's thresholds: a level between two names admits the higher one.
	switch {
	case n <= 10:
		return zapcore.DebugLevel, nil
	case n <= 20:
		return zapcore.InfoLevel, nil
	case n <= 30:
		return zapcore.WarnLevel, nil
	case n <= 40:
		return zapcore.ErrorLevel, nil
	}
	return zapcore.DPanicLevel, nil
}

func (s spec) build(opts []Option) (*zap.Logger, error) {
	class, ok := parseClass(s.Class)
	if !ok {
		return nil, specError(s.prefix+"class", "unknown logger class %q", s.Class)
	}
	level, err := parseLevel(s.Level)
	if err != nil {
		return nil, specError(s.prefix+"level", "%v", err)
	}
	cwPrefix := s.prefix + "cloud-watch."
	format := Format(s.CloudWatch.Format)
	if err := format.Validate(); err != nil {
		return nil, specError(cwPrefix+"format", "%s", strings.TrimPrefix(err.Error(), "cwzap: "))
	}
	group, stream := s.CloudWatch.Group, s.CloudWatch.Stream
	if class == ClassCloudWatch && group != "" && stream == "" {
		return nil, specError(cwPrefix+"stream", "required with a group")
	}

	// The spec's values come after the caller's options, so they win.
	opts = slices.Clip(opts)
	if format != FormatJSON {
		opts = append(opts, WithFormat(format))
	}
	if s.CloudWatch.Function != "" {
		opts = append(opts, WithFunction(s.CloudWatch.Function))
	}
	o := buildOptions(opts)
	if err := o.err(); err != nil {
		return nil, err
	}
	if err := o.encoder.Format.Validate(); err != nil { // from the caller's WithFormat
		return nil, err
	}

	var ws zapcore.WriteSyncer
	switch {
	case class == ClassNull:
		return zap.New(&presetCore{Core: zapcore.NewNopCore(), class: class}), nil
	case class == ClassStandardLogger:
		ws = consoleSyncer{_stderr}
	case class == ClassCloudWatch && group != "":
		if ws, err = NewSyncer(group, stream, opts...); err != nil {
			return nil, err
		}
	default: // #print, and cloud-watch without a group
		ws = consoleSyncer{_stdout}
	}
	var core zapcore.Core
	core, _ = newCore(ws, level, o) // the format is valid
	if class == ClassCloudWatch && group != "" && level == zapcore.DebugLevel {
		// As the seed did: at the DEBUG threshold every message is also
		// printed.
		console, _ := newCore(consoleSyncer{_stdout}, level, o)
		core = zapcore.NewTee(core, console)
	}
	return zap.New(&presetCore{Core: core, class: class}, zap.AddCaller()), nil
}
