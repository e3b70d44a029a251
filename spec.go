package cwzap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap/zapcore"
)

// Spec describes a logger for New and Spec.Build: its class, threshold,
// destination and format. The zero value is a cloud-watch logger without a
// group: the JSON layout to stdout at InfoLevel. ParseSpec reads one from
// JSON text; the json tags also let a Spec be unmarshalled from the
// "logging" object of a configuration file with encoding/json (cwzap has no
// YAML dependency; convert YAML to JSON or a map first). A Spec is a plain
// value: Build does not keep it.
type Spec struct {
	// Class is one of "cloud-watch", "#print", "#null" or
	// "#standard-logger", in any case. Empty means "cloud-watch".
	Class string `json:"class,omitempty"`
	// Level is the threshold: a zap level name ("debug", "info", "warn",
	// "error", "dpanic", "panic", "fatal"), a Python logging name
	// ("warning", "critical" = DPanicLevel, "notset" = DebugLevel), in any
	// case, or a Python level number 0 to 50 as text ("30"), rounded up to
	// the next named level. Empty means InfoLevel.
	Level string `json:"level,omitempty"`
	// CloudWatch holds the destination and the text format.
	CloudWatch CloudWatchSpec `json:"cloud-watch,omitzero"`
}

// CloudWatchSpec is the "cloud-watch" part of a Spec. Function and Format
// apply to every class that writes; Group and Stream only to cloud-watch.
type CloudWatchSpec struct {
	// Group is the log group. Empty means a cloud-watch logger prints to
	// stdout instead, so one spec serves a laptop and production. Group
	// and Stream may be name templates ({date}, {hostname}, {pid},
	// {function}; see NewSyncer).
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
	// GroupClass is the class of a group the logger creates: "STANDARD"
	// or "INFREQUENT_ACCESS" (WithLogGroupClass). Empty means the
	// service's default.
	GroupClass string `json:"group-class,omitempty"`
	// DeletionProtection protects a group the logger creates from deletion
	// (WithDeletionProtection).
	DeletionProtection bool `json:"deletion-protection,omitempty"`
}

// ParseSpec reads a Spec from JSON text: an object in the nested form
// {"logging": {"class", "level", "cloud-watch": {"group", "stream",
// "function", "format"}}} (other top-level keys are ignored, so a whole
// configuration file can be passed) or the short form {"class", "level",
// "cloud-watch": {…}}, where "group", "stream", "function" and "format"
// (and "group-class" and "deletion-protection", see CloudWatchSpec) may
// also sit beside "class" but not in both places; a JSON string, which is a
// class name; or null, the "#null" class. A level may be a JSON number
// (Python's, see Spec.Level).
//
// Unknown keys, an unknown class, level or format, a group without a
// stream, a value of the wrong type and malformed JSON are errors that name
// the bad part ("cwzap: spec: logging.level: unknown level \"verbose\"")
// or the line and column.
func ParseSpec(text []byte) (Spec, error) {
	s, err := parseJSON(text)
	if err != nil {
		return Spec{}, err
	}
	if _, err := s.check(); err != nil {
		return Spec{}, err
	}
	first, last := s.options()
	if _, err := checkOptions(slices.Concat(first, last)); err != nil {
		return Spec{}, err
	}
	return s.Spec, nil
}

// spec is a Spec plus where it came from, to name the bad part in errors.
type spec struct {
	Spec
	prefix string            // "logging." in the nested form, "" otherwise
	paths  map[string]string // where each of _cloudWatchKeys was read, when it was
}

// path is the path of a cloud-watch key as the user wrote it: beside
// "class" in the short form, or under "cloud-watch".
func (s spec) path(key string) string {
	if p, ok := s.paths[key]; ok {
		return p
	}
	return s.prefix + "cloud-watch." + key
}

// options returns the spec's settings as the options they name, each
// labelled with its field's path: first those that options given to Build
// override (the group's class and protection), last those that override
// them (function and format). Class, level, group and stream are the
// spec's own (check).
func (s spec) options() (first, last []Option) {
	cw := s.CloudWatch
	if cw.GroupClass != "" {
		first = append(first, written[Option](WithLogGroupClass(LogGroupClass(cw.GroupClass)), doorSpec, s.path("group-class"), cw.GroupClass))
	}
	if cw.DeletionProtection {
		first = append(first, written[Option](WithDeletionProtection(true), doorSpec, s.path("deletion-protection"), "true"))
	}
	if cw.Function != "" {
		last = append(last, written[Option](WithFunction(cw.Function), doorSpec, s.path("function"), cw.Function))
	}
	if cw.Format != "" {
		last = append(last, written[Option](WithFormat(Format(cw.Format)), doorSpec, s.path("format"), cw.Format))
	}
	return first, last
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
		// A string is only ever a class name, so that a JSON string and a
		// JSON document are not told apart by guessing.
		if _, ok := parseClass(v); !ok {
			if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") || strings.HasPrefix(t, `"`) {
				return spec{}, fmt.Errorf("cwzap: spec: the string %.40q is not a class name; pass JSON text as []byte or json.RawMessage, or use ParseSpec", v)
			}
			return spec{}, fmt.Errorf("cwzap: unknown logger class %q (want %q, %q, %q or %q)", v, ClassCloudWatch, ClassPrint, ClassNull, ClassStandardLogger)
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
	case string: // a JSON string names a class
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

var _cloudWatchKeys = []string{"group", "stream", "function", "format", "group-class", "deletion-protection"}

// parseLogging reads the logging object; prefix is its path in errors.
func parseLogging(m map[string]any, prefix string) (spec, error) {
	s := spec{prefix: prefix}
	for _, k := range slices.Sorted(mapKeys(m)) {
		if k != "class" && k != "level" && k != "cloud-watch" && !slices.Contains(_cloudWatchKeys, k) {
			return spec{}, specError(prefix+k, "unknown key (want class, level, cloud-watch, group, stream, function, format, group-class or deletion-protection)")
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
			return spec{}, specError(prefix+"cloud-watch."+k, "unknown key (want group, stream, function, format, group-class or deletion-protection)")
		}
		if _, twice := m[k]; twice {
			return spec{}, specError(prefix+k, "also given as %scloud-watch.%s", prefix, k)
		}
	}
	fields := []*string{&s.CloudWatch.Group, &s.CloudWatch.Stream, &s.CloudWatch.Function, &s.CloudWatch.Format, &s.CloudWatch.GroupClass}
	for i, k := range _cloudWatchKeys {
		from, p := m, prefix
		if _, ok := cw[k]; ok {
			from, p = cw, prefix+"cloud-watch."
		}
		if _, ok := from[k]; ok {
			if s.paths == nil {
				s.paths = make(map[string]string)
			}
			s.paths[k] = p + k
		}
		if i == len(fields) { // deletion-protection, the one boolean
			switch v := from[k].(type) {
			case nil:
			case bool:
				s.CloudWatch.DeletionProtection = v
			default:
				return spec{}, specError(p+k, "want true or false, got %s", kind(v))
			}
			continue
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

// checked is a Spec's own values in the form Build uses.
type checked struct {
	class string
	level zapcore.Level
}

// check validates the spec's own values (class, level, group and stream),
// naming the bad part with its path. Its other fields are options, which
// options.go checks (see options).
func (s spec) check() (checked, error) {
	var c checked
	var ok bool
	if c.class, ok = parseClass(s.Class); !ok {
		return c, specError(s.prefix+"class", "unknown logger class %q", s.Class)
	}
	var err error
	if c.level, err = parseLevel(s.Level); err != nil {
		return c, specError(s.prefix+"level", "%v", err)
	}
	if c.class == ClassCloudWatch && s.CloudWatch.Group != "" && s.CloudWatch.Stream == "" {
		return c, specError(s.path("stream"), "required with a group")
	}
	return c, nil
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
