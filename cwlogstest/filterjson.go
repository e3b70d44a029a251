package cwlogstest

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// JSON filter patterns: `{ SELECTOR OP VALUE }` joined with && and || (&&
// binds tighter) and grouped with parentheses.
//
//   - SELECTOR: $ then .name and [index] steps: $.user.id, $.users[0].email.
//   - OP VALUE: = or != with a string (quoted or bare; a leading or
//     trailing * is a wildcard, a lone * matches any value), a number or a
//     %regex%; <, >, <=, >= with a number (integer, decimal or scientific).
//   - IS NULL, IS TRUE, IS FALSE, NOT EXISTS.
//
// The selector must name a value (string, number, boolean): one that names
// an object or an array matches neither = nor !=. An event that is not JSON
// matches no JSON pattern.

type jsonNode interface {
	eval(doc any) bool
}

type jsonAnd struct{ l, r jsonNode }

func (n jsonAnd) eval(doc any) bool { return n.l.eval(doc) && n.r.eval(doc) }

type jsonOr struct{ l, r jsonNode }

func (n jsonOr) eval(doc any) bool { return n.l.eval(doc) || n.r.eval(doc) }

// jsonPattern is a compiled JSON filter pattern.
type jsonPattern struct{ root jsonNode }

func (p jsonPattern) match(msg string) bool {
	dec := json.NewDecoder(strings.NewReader(msg))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil || dec.More() {
		return false
	}
	return p.root.eval(doc)
}

// step is one selector step: a member name, or an array index when key is
// empty.
type step struct {
	key   string
	index int
}

type jsonCond struct {
	path []step
	op   string // = != < > <= >=, or "null", "true", "false", "notexists"
	val  patternValue
}

// patternValue is the right-hand side of a comparison.
type patternValue struct {
	text   string // the string, without quotes
	num    float64
	isNum  bool // an unquoted number
	any    bool // a lone *
	re     *regexp.Regexp
	prefix bool // text* : a trailing wildcard
	suffix bool // *text : a leading wildcard
}

func (c jsonCond) eval(doc any) bool {
	v, ok := resolve(doc, c.path)
	switch c.op {
	case "notexists":
		return !ok
	case "null":
		return ok && v == nil
	case "true", "false":
		b, isBool := v.(bool)
		return ok && isBool && b == (c.op == "true")
	}
	if !ok {
		return false
	}
	return compareValue(v, c.op, c.val)
}

// compareValue applies op to a JSON value and a pattern value; shared with
// space-delimited patterns, whose fields are strings.
func compareValue(v any, op string, pv patternValue) bool {
	var text string
	var num float64
	isNum := false
	switch x := v.(type) {
	case string:
		text = x
	case json.Number:
		text = x.String()
		f, err := x.Float64()
		num, isNum = f, err == nil
	case bool:
		text = strconv.FormatBool(x)
	default: // null, object, array: not a value node
		return false
	}
	switch op {
	case "<", ">", "<=", ">=":
		if !isNum || !pv.isNum {
			return false
		}
		switch op {
		case "<":
			return num < pv.num
		case ">":
			return num > pv.num
		case "<=":
			return num <= pv.num
		}
		return num >= pv.num
	}
	eq := false
	switch {
	case pv.any:
		eq = true
	case pv.re != nil:
		eq = pv.re.MatchString(text)
	case pv.isNum && isNum:
		eq = num == pv.num
	case pv.prefix && pv.suffix:
		eq = strings.Contains(text, pv.text)
	case pv.prefix:
		eq = strings.HasPrefix(text, pv.text)
	case pv.suffix:
		eq = strings.HasSuffix(text, pv.text)
	default:
		eq = text == pv.text
	}
	if op == "!=" {
		return !eq
	}
	return eq
}

func resolve(doc any, path []step) (any, bool) {
	v := doc
	for _, s := range path {
		if s.key != "" {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = obj[s.key]; !ok {
				return nil, false
			}
			continue
		}
		arr, ok := v.([]any)
		if !ok || s.index >= len(arr) {
			return nil, false
		}
		v = arr[s.index]
	}
	return v, true
}

// jsonParser is a recursive-descent parser over the text between the
// braces.
type jsonParser struct {
	s       string
	i       int
	regexes int
}

func compileJSONPattern(p string) (matcher, error) {
	if !strings.HasSuffix(p, "}") {
		return nil, errors.New("a JSON filter pattern must end with }")
	}
	jp := &jsonParser{s: p[1 : len(p)-1]}
	root, err := jp.or()
	if err != nil {
		return nil, err
	}
	if jp.ws(); jp.i != len(jp.s) {
		return nil, errors.New("invalid JSON filter pattern near " + strconv.Quote(jp.s[jp.i:]))
	}
	return jsonPattern{root}, nil
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *jsonParser) eat(tok string) bool {
	p.ws()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *jsonParser) or() (jsonNode, error) {
	l, err := p.and()
	for err == nil && p.eat("||") {
		var r jsonNode
		if r, err = p.and(); err == nil {
			l = jsonOr{l, r}
		}
	}
	return l, err
}

func (p *jsonParser) and() (jsonNode, error) {
	l, err := p.unary()
	for err == nil && p.eat("&&") {
		var r jsonNode
		if r, err = p.unary(); err == nil {
			l = jsonAnd{l, r}
		}
	}
	return l, err
}

func (p *jsonParser) unary() (jsonNode, error) {
	if p.eat("(") {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, errors.New("a JSON filter pattern has an unclosed (")
		}
		return n, nil
	}
	return p.cond()
}

func (p *jsonParser) cond() (jsonNode, error) {
	path, err := p.selector()
	if err != nil {
		return nil, err
	}
	c := jsonCond{path: path}
	switch {
	case p.eat("IS"):
		for _, kw := range []string{"NULL", "TRUE", "FALSE"} {
			if p.eat(kw) {
				c.op = strings.ToLower(kw)
			}
		}
		if c.op == "" {
			return nil, errors.New("a JSON filter pattern needs NULL, TRUE or FALSE after IS")
		}
	case p.eat("NOT"):
		if !p.eat("EXISTS") {
			return nil, errors.New("a JSON filter pattern needs EXISTS after NOT")
		}
		c.op = "notexists"
	default:
		for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
			if p.eat(op) {
				c.op = op
				break
			}
		}
		if c.op == "" {
			return nil, errors.New("a JSON filter pattern needs an operator (=, !=, <, >, <=, >=, IS, NOT EXISTS) after the selector")
		}
		if c.val, err = p.value(); err != nil {
			return nil, err
		}
		if c.op != "=" && c.op != "!=" && !c.val.isNum {
			return nil, errors.New("the operator " + c.op + " in a JSON filter pattern needs a number")
		}
	}
	return c, nil
}

// selector parses $.a.b[0].c.
func (p *jsonParser) selector() ([]step, error) {
	p.ws()
	if !p.eat("$") {
		return nil, errors.New("a JSON filter pattern's selector must start with $")
	}
	var path []step
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '.':
			p.i++
			j := p.i
			for j < len(p.s) && !strings.ContainsRune(" \t.[]=!<>()&|", rune(p.s[j])) {
				j++
			}
			if j == p.i {
				return nil, errors.New("a JSON filter pattern's selector has an empty member name")
			}
			path = append(path, step{key: p.s[p.i:j]})
			p.i = j
		case '[':
			end := strings.IndexByte(p.s[p.i:], ']')
			if end < 0 {
				return nil, errors.New("a JSON filter pattern's selector has an unclosed [")
			}
			n, err := strconv.Atoi(p.s[p.i+1 : p.i+end])
			if err != nil || n < 0 || len(path) == 0 {
				return nil, errors.New("a JSON filter pattern's selector has a bad array index")
			}
			path = append(path, step{index: n})
			p.i += end + 1
		default:
			return path, nil
		}
	}
	return path, nil
}

// value parses a quoted string, a %regex% or a bare value.
func (p *jsonParser) value() (patternValue, error) {
	p.ws()
	if p.i == len(p.s) {
		return patternValue{}, errors.New("a JSON filter pattern is missing a value after its operator")
	}
	if p.s[p.i] == '"' {
		text, n, err := quoted(p.s[p.i:])
		if err != nil {
			return patternValue{}, err
		}
		p.i += n
		return stringValue(text), nil
	}
	j := p.i
	for j < len(p.s) && !isSpace(p.s[j]) && p.s[j] != ')' && !strings.HasPrefix(p.s[j:], "&&") && !strings.HasPrefix(p.s[j:], "||") {
		j++
	}
	word := p.s[p.i:j]
	p.i = j
	return bareValue(word, &p.regexes)
}

// bareValue interprets an unquoted value: a %regex%, a number or a string.
func bareValue(word string, regexes *int) (patternValue, error) {
	if len(word) >= 2 && word[0] == '%' && word[len(word)-1] == '%' {
		if *regexes++; *regexes > maxPatternRegexes {
			return patternValue{}, errors.New("a filter pattern may hold at most 2 regular expressions")
		}
		re, err := compileRegex(word[1 : len(word)-1])
		return patternValue{re: re}, err
	}
	if f, err := strconv.ParseFloat(word, 64); err == nil && !strings.ContainsAny(word, "xXnN_") {
		return patternValue{text: word, num: f, isNum: true}, nil
	}
	return stringValue(word), nil
}

// stringValue reads the reference's wildcards: a lone *, or * at the start
// or end; a * elsewhere is literal.
func stringValue(text string) patternValue {
	if text == "*" {
		return patternValue{any: true}
	}
	v := patternValue{}
	if t, ok := strings.CutPrefix(text, "*"); ok {
		text, v.suffix = t, true
	}
	if t, ok := strings.CutSuffix(text, "*"); ok {
		text, v.prefix = t, true
	}
	v.text = text
	return v
}
