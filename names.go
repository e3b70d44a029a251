package cwzap

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Name templates: a group or stream name may hold placeholders, written
// {name}, that the Syncer expands:
//
//	{date}      the event's own date in UTC, YYYY-MM-DD
//	{hostname}  os.Hostname
//	{pid}       the process id
//	{function}  AWS_LAMBDA_FUNCTION_NAME, else the program's name
//
// The last three are fixed for the life of the process and expanded once,
// by NewSyncer. {date} is expanded from each event's timestamp, so events
// either side of midnight UTC go to two streams (or groups) whatever the
// time they are written at. The set is small on purpose: a name is
// something people read and search, and each of these answers a question
// a reader has ("which day", "which machine", "which process", "which
// function"). A '{' not followed by a name (letters, digits, '_') and '}'
// is kept as written.

// _placeholders lists the known placeholders, in the order error messages
// name them.
var _placeholders = []string{"date", "hostname", "pid", "function"}

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

// A nameTemplate is a name with the process constants expanded and {date}
// left: the literal pieces between its {date}s.
type nameTemplate struct {
	text   string   // the constants expanded, {date} as written
	pieces []string // len(pieces)-1 is the number of {date}
}

// dated reports whether the name changes with the event's day.
func (t nameTemplate) dated() bool { return len(t.pieces) > 1 }

// expand returns the name for UTC day number day.
func (t nameTemplate) expand(day int64) string {
	if !t.dated() {
		return t.pieces[0]
	}
	date := time.UnixMilli(day * _dayMillis).UTC().Format(time.DateOnly)
	return strings.Join(t.pieces, date)
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

// parseNameTemplate expands the constant placeholders of name from vals and
// splits it at {date}. An unknown placeholder is an error naming it and
// the known ones; what names the name in the message ("log group").
func parseNameTemplate(what, name string, vals map[string]string) (nameTemplate, error) {
	var b strings.Builder
	var pieces []string
	for rest := name; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		key, ok := placeholderAt(rest[i:])
		if !ok {
			b.WriteString(rest[:i+1])
			rest = rest[i+1:]
			continue
		}
		b.WriteString(rest[:i])
		rest = rest[i+len(key)+2:]
		if key == "date" {
			pieces = append(pieces, b.String())
			b.Reset()
			continue
		}
		v, known := vals[key]
		if !known {
			return nameTemplate{}, fmt.Errorf("cwzap: %s name %q: unknown placeholder {%s}; known: {%s}", what, name, key, strings.Join(_placeholders, "}, {"))
		}
		b.WriteString(v)
	}
	pieces = append(pieces, b.String())
	t := nameTemplate{pieces: pieces}
	t.text = strings.Join(pieces, "{date}")
	return t, nil
}

// placeholderAt returns the name of the placeholder s starts with: '{',
// one or more ASCII letters, digits or '_', and '}'.
func placeholderAt(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '}' && j > 1:
			return s[1:j], true
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
		default:
			return "", false
		}
	}
	return "", false
}

// parseNames parses and validates a Syncer's group and stream templates;
// the names are validated as they expand today (every date expands to the
// same characters and length).
func parseNames(group, stream string) (g, s nameTemplate, err error) {
	vals := processValues()
	if g, err = parseNameTemplate("log group", group, vals); err != nil {
		return g, s, err
	}
	if s, err = parseNameTemplate("log stream", stream, vals); err != nil {
		return g, s, err
	}
	today := dayOf(time.Now().UnixMilli())
	if err = validateName("log group", g.expand(today)); err != nil {
		return g, s, err
	}
	err = validateName("log stream", s.expand(today))
	return g, s, err
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
