package cwzap

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Name templates: a group or stream name may hold placeholders, written
// {name}, that the Syncer expands:
//
//	{date}         the event's own date in UTC, YYYY-MM-DD
//	{hostname}     os.Hostname
//	{pid}          the process id
//	{function}     AWS_LAMBDA_FUNCTION_NAME, else the program's name
//	{logger}       the entry's logger name (zap's Logger.Named)
//	{field:KEY}    the field KEY of the entry, or of its logger's With
//
// {hostname}, {pid} and {function} are fixed for the life of the process
// and expanded once, by NewSyncer. {date} is expanded from each event's
// timestamp, so events either side of midnight UTC go to two streams (or
// groups) whatever the time they are written at. {logger} and {field:KEY}
// are the entry's: each entry goes to the stream its own values name, its
// route (route.go has what a value may be, and what an entry without one
// gets). The set is small on purpose: a name is something people read and
// search, and each of these answers a question a reader has ("which day",
// "which machine", "which process", "which function", "which part of the
// program", "which tenant"). A '{' not followed by a name (letters,
// digits, '_', or field: and a key) and '}' is kept as written.

// _placeholders lists the known placeholders, in the order error messages
// name them.
var _placeholders = []string{"date", "hostname", "pid", "function", "logger", "field:KEY"}

// _dayMillis is one UTC day in milliseconds: an event's day number is its
// timestamp divided by it.
const _dayMillis = 24 * 60 * 60 * 1000

// dayOf returns the UTC day number of a timestamp in ms since the epoch.
func dayOf(ts int64) int64 {
	d := ts / _dayMillis
	if ts < 0 && ts%_dayMillis != 0 {
		d--
	}
	return d
}

// A nameTemplate is a name with the process constants expanded: literal
// text, and the placeholders each event fills.
type nameTemplate struct {
	text  string     // the constants expanded, the rest as written
	parts []namePart // in order
	group bool       // a log group's name, whose characters are fewer
}

// A namePart is a literal, the event's date, or a value of its route.
type namePart struct {
	lit   string
	value int // _partLiteral, _partDate, or the index of a route value
}

const (
	_partLiteral = -1
	_partDate    = -2
)

// dated reports whether the name changes with the event's day.
func (t nameTemplate) dated() bool {
	return slices.ContainsFunc(t.parts, func(p namePart) bool { return p.value == _partDate })
}

// routed reports whether the name takes values from entries.
func (t nameTemplate) routed() bool {
	return slices.ContainsFunc(t.parts, func(p namePart) bool { return p.value >= 0 })
}

// expand returns the name for UTC day number day and route values vals,
// each value made fit for the name: characters the service refuses there
// are replaced with '_', and a name an entry's values make too long is cut
// to the service's length.
func (t nameTemplate) expand(day int64, vals []string) string {
	name := t.build(day, vals)
	if t.routed() {
		name = cutName(name)
	}
	return name
}

// build is expand without the cut.
func (t nameTemplate) build(day int64, vals []string) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.value == _partLiteral:
			b.WriteString(p.lit)
		case p.value == _partDate:
			b.WriteString(time.UnixMilli(day * _dayMillis).UTC().Format(time.DateOnly))
		case p.value < len(vals):
			writeNameValue(&b, vals[p.value], t.group)
		default: // a route an earlier process spooled with other names
			b.WriteString(_noField)
		}
	}
	return b.String()
}

// writeNameValue writes an entry's value into a name: each character the
// service would refuse there becomes '_', so that a value's length, and
// what sets it apart from others, are kept.
func writeNameValue(b *strings.Builder, v string, group bool) {
	for _, r := range strings.ToValidUTF8(v, "_") {
		if group && !isGroupNameChar(r) || r == ':' || r == '*' || unicode.IsControl(r) {
			r = '_'
		}
		b.WriteRune(r)
	}
}

// cutName cuts a name to the service's length.
func cutName(name string) string {
	if utf8.RuneCountInString(name) <= _maxNameChars {
		return name
	}
	n := 0
	for i := range name {
		if n == _maxNameChars {
			return name[:i]
		}
		n++
	}
	return name
}

// processValues returns the values of the constant placeholders.
func processValues() map[string]string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	fn := os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	if fn == "" && len(os.Args) > 0 {
		fn = strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	}
	return map[string]string{
		"hostname": host,
		"pid":      strconv.Itoa(os.Getpid()),
		"function": fn,
	}
}

// parseNameTemplate expands the constant placeholders of name from vals,
// and notes where the others go; an entry's placeholders are added to
// route, which both names of a Syncer share. An unknown placeholder is an
// error naming it and the known ones; what names the name in the message
// ("log group").
func parseNameTemplate(what, name string, vals map[string]string, route *routeKeys) (nameTemplate, error) {
	t := nameTemplate{group: what == "log group"}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, namePart{lit: lit.String(), value: _partLiteral})
			lit.Reset()
		}
	}
	for rest := name; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			lit.WriteString(rest)
			break
		}
		key, ok := placeholderAt(rest[i:])
		if !ok {
			lit.WriteString(rest[:i+1])
			rest = rest[i+1:]
			continue
		}
		lit.WriteString(rest[:i])
		rest = rest[i+len(key)+2:]
		if key == "date" {
			flush()
			t.parts = append(t.parts, namePart{value: _partDate})
			continue
		}
		if k, ok := parseRouteKey(key); ok {
			flush()
			t.parts = append(t.parts, namePart{value: route.index(k)})
			continue
		}
		v, known := vals[key]
		if !known {
			return nameTemplate{}, fmt.Errorf("cwzap: %s name %q: unknown placeholder {%s}; known: {%s}", what, name, key, strings.Join(_placeholders, "}, {"))
		}
		lit.WriteString(v)
	}
	flush()
	var text strings.Builder
	for _, p := range t.parts {
		switch {
		case p.value == _partLiteral:
			text.WriteString(p.lit)
		case p.value == _partDate:
			text.WriteString("{date}")
		default:
			text.WriteString("{" + route.keys[p.value].String() + "}")
		}
	}
	t.text = text.String()
	return t, nil
}

// placeholderAt returns the name of the placeholder s starts with: '{',
// one or more ASCII letters, digits or '_' (then, for a placeholder with
// an argument as field:KEY, ':' and the argument, up to the first '}'),
// and '}'.
func placeholderAt(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '}' && j > 1:
			return s[1:j], true
		case c == ':' && j > 1:
			if k := strings.IndexByte(s[j:], '}'); k >= 0 {
				return s[1 : j+k], true
			}
			return "", false
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
		default:
			return "", false
		}
	}
	return "", false
}

// parseNames parses and validates a Syncer's group and stream templates,
// and returns the values both take from entries. The names are validated
// as they expand today, for an entry with none of those values (every
// date expands to the same characters and length, and an entry's values
// are made fit when they come).
func parseNames(group, stream string) (g, s nameTemplate, route routeKeys, err error) {
	vals := processValues()
	if g, err = parseNameTemplate("log group", group, vals, &route); err != nil {
		return g, s, route, err
	}
	if s, err = parseNameTemplate("log stream", stream, vals, &route); err != nil {
		return g, s, route, err
	}
	today, none := dayOf(time.Now().UnixMilli()), route.defaults()
	if err = validateName("log group", g.build(today, none)); err != nil {
		return g, s, route, err
	}
	err = validateName("log stream", s.build(today, none))
	return g, s, route, err
}

// The service's name rules (CreateLogGroup and CreateLogStream in the API
// reference): a name is 1 to 512 characters, counted as Unicode code points
// as the API's Smithy model measures a string's length; a group name holds
// only ASCII letters, digits and . - _ / #; a stream name anything but ':'
// and '*'. A stream name is also refused, where the service's pattern would
// let it through, when it is not valid UTF-8 (the SDK would send U+FFFD in
// its place, naming another stream) or holds a control character (NUL, a
// newline…), which no one can read or type in the console or the CLI.
const _maxNameChars = 512

// validateName checks a group or stream name (what is "log group" or "log
// stream") against those rules, so that a mistake fails at construction
// and not on every put.
func validateName(what, name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("cwzap: %s name %q: not valid UTF-8", what, name)
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > _maxNameChars {
		return fmt.Errorf("cwzap: %s name %s: %d characters, want 1 to %d", what, quoteStart(name), n, _maxNameChars)
	}
	for _, r := range name {
		switch {
		case what == "log group" && !isGroupNameChar(r):
			return fmt.Errorf("cwzap: log group name %q: %q is not allowed (letters, digits, . - _ / #)", name, r)
		case r == ':' || r == '*':
			return fmt.Errorf("cwzap: %s name %q: %q is not allowed", what, name, r)
		case unicode.IsControl(r):
			return fmt.Errorf("cwzap: %s name %q: control character %U is not allowed", what, name, r)
		}
	}
	return nil
}

// quoteStart quotes a name too long to read whole by its first 40
// characters.
func quoteStart(name string) string {
	const show = 40
	i, n := 0, 0
	for i = range name {
		if n == show {
			return fmt.Sprintf("%q…", name[:i])
		}
		n++
	}
	return fmt.Sprintf("%q", name)
}

func isGroupNameChar(r rune) bool {
	return r == '.' || r == '-' || r == '_' || r == '/' || r == '#' ||
		'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}
