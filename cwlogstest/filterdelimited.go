package cwlogstest

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Space-delimited filter patterns: `[ip, user, ..., status_code = 4*, bytes > 1000]`.
//
// The message is split at spaces; text between [ and ] or between double
// quotes is one field (without them). Pattern fields are names, in order,
// optionally with conditions (`name OP value`, the operators and values of
// JSON patterns, joined with && and ||) that may name any field; an empty
// field is unnamed; one `...` stands for any number of fields. Without
// `...` the field counts must be equal.

type delimitedPattern struct {
	names      []string // pattern fields; "..." for the ellipsis
	ellipsis   int      // index of "...", or -1
	conditions []delimNode
}

type delimNode interface {
	eval(fields map[string]string) bool
}

type delimAnd struct{ l, r delimNode }

func (n delimAnd) eval(f map[string]string) bool { return n.l.eval(f) && n.r.eval(f) }

type delimOr struct{ l, r delimNode }

func (n delimOr) eval(f map[string]string) bool { return n.l.eval(f) || n.r.eval(f) }

type delimCond struct {
	name string
	op   string
	val  patternValue
}

func (c delimCond) eval(fields map[string]string) bool {
	v, ok := fields[c.name]
	if !ok {
		return false
	}
	var jv any = v
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		jv = json.Number(v)
	}
	return compareValue(jv, c.op, c.val)
}

func compileDelimited(p string) (matcher, error) {
	if !strings.HasSuffix(p, "]") {
		return nil, errors.New("a space-delimited filter pattern must end with ]")
	}
	dp := &delimitedPattern{ellipsis: -1}
	regexes := 0
	parts := strings.Split(p[1:len(p)-1], ",")
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			// An unnamed field, as the reference's trailing comma in
			// [..., request=*.html*, status_code=4*,] is.
			dp.names = append(dp.names, "")
			continue
		}
		if part == "..." {
			if dp.ellipsis >= 0 {
				return nil, errors.New("a space-delimited filter pattern may hold one ... (ellipsis) at most")
			}
			dp.ellipsis = len(dp.names)
			dp.names = append(dp.names, part)
			continue
		}
		name, cond, err := parseDelimField(part, &regexes)
		if err != nil {
			return nil, err
		}
		dp.names = append(dp.names, name)
		if cond != nil {
			dp.conditions = append(dp.conditions, cond)
		}
	}
	return dp, nil
}

// parseDelimField parses `name` or `name OP value [&& …] [|| …]`.
func parseDelimField(s string, regexes *int) (string, delimNode, error) {
	var first string
	var or delimNode
	for _, alt := range strings.Split(s, "||") {
		var and delimNode
		for _, c := range strings.Split(alt, "&&") {
			c = strings.TrimSpace(c)
			i := strings.IndexAny(c, "=!<>")
			if i < 0 {
				if first != "" || strings.ContainsAny(c, " \t") || c == "" {
					return "", nil, errors.New("invalid space-delimited field " + strconv.Quote(s))
				}
				first = c
				continue
			}
			name := strings.TrimSpace(c[:i])
			rest := c[i:]
			op := ""
			for _, o := range []string{"!=", "<=", ">=", "=", "<", ">"} {
				if strings.HasPrefix(rest, o) {
					op = o
					break
				}
			}
			if name == "" || op == "" {
				return "", nil, errors.New("invalid condition " + strconv.Quote(c) + " in a space-delimited filter pattern")
			}
			word := strings.TrimSpace(rest[len(op):])
			var val patternValue
			if strings.HasPrefix(word, `"`) {
				text, _, err := quoted(word)
				if err != nil {
					return "", nil, err
				}
				val = stringValue(text)
			} else {
				var err error
				if val, err = bareValue(word, regexes); err != nil {
					return "", nil, err
				}
			}
			if op != "=" && op != "!=" && !val.isNum {
				return "", nil, errors.New("the operator " + op + " in a space-delimited filter pattern needs a number")
			}
			if first == "" {
				first = name
			}
			var n delimNode = delimCond{name, op, val}
			if and != nil {
				n = delimAnd{and, n}
			}
			and = n
		}
		if and == nil {
			continue
		}
		if or != nil {
			and = delimOr{or, and}
		}
		or = and
	}
	return first, or, nil
}

func (p *delimitedPattern) match(msg string) bool {
	tokens := splitFields(msg)
	fields := make(map[string]string, len(p.names))
	if p.ellipsis < 0 {
		if len(tokens) != len(p.names) {
			return false
		}
		for i, n := range p.names {
			fields[n] = tokens[i]
		}
	} else {
		head, tail := p.names[:p.ellipsis], p.names[p.ellipsis+1:]
		if len(tokens) < len(head)+len(tail) {
			return false
		}
		for i, n := range head {
			fields[n] = tokens[i]
		}
		off := len(tokens) - len(tail)
		for i, n := range tail {
			fields[n] = tokens[off+i]
		}
	}
	for _, c := range p.conditions {
		if !c.eval(fields) {
			return false
		}
	}
	return true
}

// splitFields splits a message at spaces, keeping [...] and "..." whole.
func splitFields(msg string) []string {
	var out []string
	for i := 0; i < len(msg); {
		if isSpace(msg[i]) {
			i++
			continue
		}
		var closer byte
		switch msg[i] {
		case '[':
			closer = ']'
		case '"':
			closer = '"'
		}
		if closer != 0 {
			if end := strings.IndexByte(msg[i+1:], closer); end >= 0 {
				out = append(out, msg[i+1:i+1+end])
				i += end + 2
				continue
			}
		}
		j := i
		for j < len(msg) && !isSpace(msg[j]) {
			j++
		}
		out = append(out, msg[i:j])
		i = j
	}
	return out
}
