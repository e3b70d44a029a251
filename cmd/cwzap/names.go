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
	host, herr := os.Hostname()
	if herr != nil || host == "" {
		host = "localhost" // as the library does
	}
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
			switch key {
			case "date":
				b.WriteString(day.UTC().Format(time.DateOnly))
			case "hostname":
				b.WriteString(host)
			case "pid", "function":
				return "", fmt.Errorf("%s %q: tail cannot know the writer's {%s}; type its value", flag, name, key)
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
	if err = checkName("log group", g); err != nil {
		return "", "", err
	}
	return g, s, checkName("log stream", s)
}

// checkName applies the service's naming rules (CreateLogGroup,
// CreateLogStream): 1 to 512 characters; a group of letters, digits and
// . - _ / #; a stream without ':' or '*'.
func checkName(what, name string) error {
	if name == "" || len(name) > 512 {
		return fmt.Errorf("%s name %q: want 1 to 512 characters", what, name)
	}
	for _, r := range name {
		switch {
		case what == "log stream" && (r == ':' || r == '*'):
			return fmt.Errorf("%s name %q: %q is not allowed", what, name, r)
		case what == "log group" && !(r == '.' || r == '-' || r == '_' || r == '/' || r == '#' ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'):
			return fmt.Errorf("%s name %q: %q is not allowed (letters, digits, . - _ / #)", what, name, r)
		}
	}
	return nil
}
