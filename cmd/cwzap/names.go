package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Names on the command line may hold the library's placeholders ({date},
// {hostname}, {pid}, {function}). pipe hands them to the library, which
// expands them; tail expands them itself, to read back what pipe or an
// application wrote. Both refuse a '{' that does not open a placeholder:
// on a command line it is a typo ("s-{date"), and the library would keep
// it as written.

// checkBraces refuses a '{' in name that does not open a complete
// placeholder: '{', letters, digits or '_', and '}'. flag names the flag
// in the message.
func checkBraces(flag, name string) error {
	for i := 0; i < len(name); i++ {
		if name[i] != '{' {
			continue
		}
		j := i + 1
		for j < len(name) && isNameByte(name[j]) {
			j++
		}
		switch {
		case j == i+1:
			return fmt.Errorf("%s %q: a '{' must open a placeholder; known: {date}, {hostname}, {pid}, {function}", flag, name)
		case j == len(name) || name[j] != '}':
			return fmt.Errorf("%s %q: placeholder %q is not closed with '}'", flag, name, name[i:j])
		}
		i = j
	}
	return nil
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// tailNames returns the group and stream tail reads: {date} is day's UTC
// date, {hostname} this machine's name (as pipe expands it here); {pid}
// and {function} belong to the process that wrote, so tail cannot know
// them. Both names are checked against the service's rules, as the
// library checks pipe's.
func tailNames(group, stream string, day time.Time) (g, s string, err error) {
	return expandNames(group, stream, map[string]string{
		"date": day.UTC().Format(time.DateOnly), "hostname": hostname(),
	}, "tail cannot know the writer's")
}

// checkPipeNames checks pipe's names before anything is sent: their
// placeholders stand for values of the right characters (the library
// expands them per line), and what is left must follow the service's
// rules, so that the error names the flag.
func checkPipeNames(group, stream string) error {
	_, _, err := expandNames(group, stream, map[string]string{
		"date": "2006-01-02", "hostname": "host", "pid": "1", "function": "fn",
	}, "")
	return err
}

// hostname is this machine's name as the library expands {hostname}.
func hostname() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "localhost" // as the library does
	}
	return host
}

// expandNames expands the placeholders of -group and -stream with values
// and checks the results. A known placeholder without a value is refused
// with unknowable ("tail cannot know the writer's").
func expandNames(group, stream string, values map[string]string, unknowable string) (g, s string, err error) {
	expand := func(flag, name string) (string, error) {
		if err := checkBraces(flag, name); err != nil {
			return "", err
		}
		var b strings.Builder
		for rest := name; ; {
			i := strings.IndexByte(rest, '{')
			if i < 0 {
				b.WriteString(rest)
				return b.String(), nil
			}
			b.WriteString(rest[:i])
			j := strings.IndexByte(rest[i:], '}')
			key := rest[i+1 : i+j]
			v, ok := values[key]
			switch {
			case ok:
				b.WriteString(v)
			case key == "pid" || key == "function":
				return "", fmt.Errorf("%s %q: %s {%s}; type its value", flag, name, unknowable, key)
			default:
				return "", fmt.Errorf("%s %q: unknown placeholder {%s}; known: {date}, {hostname}, {pid}, {function}", flag, name, key)
			}
			rest = rest[i+j+1:]
		}
	}
	if g, err = expand("-group", group); err != nil {
		return "", "", err
	}
	if s, err = expand("-stream", stream); err != nil {
		return "", "", err
	}
	if err = checkName("-group", "log group", group, g); err != nil {
		return "", "", err
	}
	return g, s, checkName("-stream", "log stream", stream, s)
}

// checkName applies the service's naming rules (CreateLogGroup,
// CreateLogStream) to name, flag's value once expanded: 1 to 512
// characters; a group of letters, digits and . - _ / #; a stream without
// ':' or '*'.
func checkName(flag, what, given, name string) error {
	in := fmt.Sprintf("%s %q", flag, given)
	if name != given {
		in += fmt.Sprintf(" (%q)", name)
	}
	if name == "" || len(name) > 512 {
		return fmt.Errorf("%s: a %s name has 1 to 512 characters, not %d", in, what, len(name))
	}
	for _, r := range name {
		switch {
		case what == "log stream" && (r == ':' || r == '*'):
			return fmt.Errorf("%s: %q is not allowed in a %s name", in, r, what)
		case what == "log group" && !(r == '.' || r == '-' || r == '_' || r == '/' || r == '#' ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'):
			return fmt.Errorf("%s: %q is not allowed in a %s name (letters, digits, . - _ / #)", in, r, what)
		}
	}
	return nil
}
