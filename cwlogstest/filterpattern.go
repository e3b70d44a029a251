package cwlogstest

import (
	"errors"
	"regexp"
	"strings"
	"unicode"
)

// Filter patterns, as FilterLogEvents takes them. The syntax is the one in
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html:
//
//   - "" (or a phrase of spaces, `" "`) matches every event;
//   - space-separated terms must all appear; `?term` terms match when any
//     of them appears; `-term` excludes; `"a phrase"` is one term;
//   - `%regex%` is a regular expression, alone or as a term;
//   - `{ ... }` is a JSON pattern (filterjson.go);
//   - `[ ... ]` is a space-delimited pattern (filterdelimited.go).
//
// Terms are case-sensitive and match anywhere in the message, as the
// reference's examples show ("ERROR" matches "Exiting with ERRORCODE").

// maxPatternRegexes is the reference's limit of regular expressions in one
// JSON or space-delimited filter pattern.
const maxPatternRegexes = 2

// matcher is a compiled filter pattern.
type matcher interface {
	match(msg string) bool
}

type matchAll struct{}

func (matchAll) match(string) bool { return true }

// compilePattern compiles a filter pattern. Its errors are one line, for
// an InvalidParameterException.
func compilePattern(p string) (matcher, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return matchAll{}, nil
	}
	switch p[0] {
	case '{':
		return compileJSONPattern(p)
	case '[':
		return compileDelimited(p)
	}
	return compileTerms(p)
}

// termMatcher is an unstructured pattern: terms that must all appear, terms
// of which one must appear, and terms that must not.
type termMatcher struct {
	all, any, none []term
}

// term is a literal or a regular expression.
type term struct {
	text string
	re   *regexp.Regexp
}

func (t term) in(msg string) bool {
	if t.re != nil {
		return t.re.MatchString(msg)
	}
	return strings.Contains(msg, t.text)
}

func (m *termMatcher) match(msg string) bool {
	for _, t := range m.all {
		if !t.in(msg) {
			return false
		}
	}
	for _, t := range m.none {
		if t.in(msg) {
			return false
		}
	}
	if len(m.any) == 0 {
		return true
	}
	for _, t := range m.any {
		if t.in(msg) {
			return true
		}
	}
	return false
}

func compileTerms(p string) (matcher, error) {
	m := new(termMatcher)
	everything := false
	for i := 0; i < len(p); {
		if isSpace(p[i]) {
			i++
			continue
		}
		// A lone ? or - applies to the next term: `"ERROR" - "Exiting"`.
		op := byte(0)
		if p[i] == '?' || p[i] == '-' {
			op = p[i]
			i++
			for i < len(p) && isSpace(p[i]) {
				i++
			}
			if i == len(p) {
				return nil, errors.New("a filter pattern ends with a lone " + string(op))
			}
		}
		var t term
		switch {
		case p[i] == '"':
			text, n, err := quoted(p[i:])
			if err != nil {
				return nil, err
			}
			i += n
			if strings.TrimSpace(text) == "" {
				everything = true // `" "` matches every event
				continue
			}
			t.text = text
		default:
			j := i
			for j < len(p) && !isSpace(p[j]) {
				j++
			}
			// A regular expression may hold spaces: it runs to the next %.
			if p[i] == '%' {
				if end := strings.IndexByte(p[i+1:], '%'); end >= 0 {
					j = i + end + 2
				}
			}
			word := p[i:j]
			i = j
			if len(word) >= 2 && word[0] == '%' && word[len(word)-1] == '%' {
				re, err := compileRegex(word[1 : len(word)-1])
				if err != nil {
					return nil, err
				}
				t.re = re
			} else {
				t.text = word
			}
		}
		switch op {
		case '?':
			m.any = append(m.any, t)
		case '-':
			m.none = append(m.none, t)
		default:
			m.all = append(m.all, t)
		}
	}
	if everything && len(m.all)+len(m.any)+len(m.none) == 0 {
		return matchAll{}, nil
	}
	return m, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// quoted reads a double-quoted string at the start of s, with backslash
// escapes, and returns its text and the bytes it took.
func quoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errors.New("a filter pattern has an unterminated quoted string")
}

// compileRegex compiles the text between two %. The reference allows no
// parentheses (no subpatterns) and no multi-byte characters.
func compileRegex(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, errors.New("a filter pattern has an empty regular expression (%%)")
	}
	if strings.ContainsAny(expr, "()") {
		return nil, errors.New("regular expressions in filter patterns cannot use ( or )")
	}
	for _, r := range expr {
		if r > unicode.MaxASCII {
			return nil, errors.New("regular expressions in filter patterns cannot hold multi-byte characters")
		}
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, errors.New("invalid regular expression %" + expr + "%")
	}
	return re, nil
}
