package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// printer writes events for tail: one readable line each, or the stored
// event as JSON. On a terminal (blocks), the lines after the first of a
// multi-line message, and every multi-line string field, follow the event
// as indented blocks; elsewhere each event stays on one line, its line
// breaks written as \n.
type printer struct {
	w      io.Writer
	json   bool
	color  bool
	blocks bool
	parts  *joiner // joins split entries; nil with json
}

// newPrinter returns tail's printer for w: colours and blocks on a
// terminal, colours unless NO_COLOR or TERM=dumb says otherwise.
func newPrinter(w io.Writer, jsonOut bool) printer {
	term := isTerminal(w)
	p := printer{w: w, json: jsonOut, blocks: term,
		color: term && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"}
	if !jsonOut {
		p.parts = &joiner{}
	}
	return p
}

// ANSI colours, used only on a terminal.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

var levelColor = map[string]string{
	"DEBUG":    "\x1b[36m",   // cyan
	"INFO":     "\x1b[32m",   // green
	"WARNING":  "\x1b[33m",   // yellow
	"ERROR":    "\x1b[31m",   // red
	"CRITICAL": "\x1b[1;31m", // bold red
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// storedEvent is an event as GetLogEvents and FilterLogEvents return it.
type storedEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime,omitempty"`
	EventID       string `json:"eventId,omitempty"`
}

// print writes one event: every event tail prints goes through it.
func (p printer) print(e event) {
	if p.parts != nil {
		for _, ready := range p.parts.add(e) {
			p.printOne(ready)
		}
		return
	}
	p.printOne(e)
}

// flush prints the parts of entries still incomplete, as stored.
func (p printer) flush() {
	if p.parts != nil {
		for _, e := range p.parts.flush() {
			p.printOne(e)
		}
	}
}

func (p printer) printOne(e event) {
	if p.json {
		// The message as stored: no HTML escaping of <, > and &.
		enc := json.NewEncoder(p.w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(storedEvent{e.ts, e.msg, e.ingest, e.id})
		return
	}
	_, _ = io.WriteString(p.w, p.line(e)+"\n")
}

// _indent starts each line of a block under an event.
const _indent = "    "

// line renders one event: time, level, [function], location, message, then
// the other fields as key=value, and with blocks the multi-line parts
// under it. Events that are not the JSON layout are printed as they are
// after the time.
func (p printer) line(e event) string {
	var b strings.Builder
	var blocks []string // the indented lines that follow the event
	b.WriteString(p.paint(ansiDim, time.UnixMilli(e.ts).UTC().Format("2006-01-02 15:04:05.000")))
	msg := strings.TrimRight(e.msg, "\n")
	keys, vals, ok := objectMembers(msg)
	if !ok {
		first, rest := p.split(msg)
		b.WriteString(" " + first)
		blocks = append(blocks, indent(rest, _indent)...)
		return joinBlocks(b.String(), blocks)
	}
	get := func(k string) (string, bool) {
		for i, key := range keys {
			if key == k {
				return text(vals[i]), true
			}
		}
		return "", false
	}
	level, _ := get("level")
	location, _ := get("location")
	// Several functions share one stream: say which one wrote the event,
	// once.
	who, whoKey := "", ""
	for _, k := range []string{"function", "function_name", "func"} {
		if v, ok := get(k); ok && v != "" {
			who, whoKey = v, k
			break
		}
	}
	if logger, _, ok := strings.Cut(location, "."); who == "" && ok && logger != "root" {
		who = logger
	}
	if level != "" {
		b.WriteString(" " + p.paint(levelColor[level], padRight(level, 8)))
	}
	if who != "" {
		b.WriteString(" " + p.paint(ansiBold, "["+who+"]"))
	}
	if location != "" {
		b.WriteString(" " + p.paint(ansiDim, location))
	}
	if m, ok := get("message"); ok {
		first, rest := p.split(m)
		b.WriteString(" " + first)
		blocks = append(blocks, indent(rest, _indent)...)
	}
	units := metricUnits(msg) // metrics.go
	for i, k := range keys {
		switch k {
		case "timestamp", "level", "location", "message", whoKey:
			continue
		case "_aws":
			if units != nil {
				continue
			}
		}
		var s string
		if p.blocks && json.Unmarshal(vals[i], &s) == nil && strings.Contains(strings.TrimRight(s, "\n"), "\n") {
			blocks = append(blocks, _indent+p.paint(ansiDim, k+":"))
			blocks = append(blocks, indent(strings.TrimRight(s, "\n"), _indent+_indent)...)
			continue
		}
		b.WriteString(" " + p.paint(ansiDim, k+"=") + fieldValue(vals[i]) + metricSuffix(units, k))
	}
	return joinBlocks(b.String(), blocks)
}

// split returns the first line of s and the rest, with blocks; without,
// all of s on one line, its line breaks escaped.
func (p printer) split(s string) (first, rest string) {
	if !p.blocks {
		return oneLine(s), ""
	}
	first, rest, _ = strings.Cut(s, "\n")
	return strings.TrimSuffix(first, "\r"), rest
}

// oneLine escapes the line breaks of s, so that an event stays one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

// indent returns the lines of s, each after prefix; none for "".
func indent(s, prefix string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + strings.TrimSuffix(l, "\r")
	}
	return lines
}

func joinBlocks(line string, blocks []string) string {
	if len(blocks) == 0 {
		return line
	}
	return line + "\n" + strings.Join(blocks, "\n")
}

func (p printer) paint(code, s string) string {
	if !p.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func padRight(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

// objectMembers splits a JSON object into its keys and raw values, in
// order; ok is false when msg is not one JSON object.
func objectMembers(msg string) (keys []string, vals []json.RawMessage, ok bool) {
	if !strings.HasPrefix(msg, "{") {
		return nil, nil, false
	}
	dec := json.NewDecoder(strings.NewReader(msg))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, false
		}
		keys = append(keys, t.(string))
		vals = append(vals, v)
	}
	if _, err := dec.Token(); err != nil || dec.More() {
		return nil, nil, false
	}
	return keys, vals, true
}

// text is a JSON string's text, or compact JSON for any other value.
func text(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// fieldValue renders a field's value: strings bare unless they need
// quotes, anything else as compact JSON.
func fieldValue(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s == "" || strings.ContainsAny(s, " \t\n\r\"=") {
			return strconv.Quote(s)
		}
		return s
	}
	return text(v)
}

// eventLevel reads an event's level: the JSON layout's level member, or
// the "LEVEL:" prefix of the text formats. Events without one count as
// INFO.
func eventLevel(msg string) zapcore.Level {
	name := ""
	if keys, vals, ok := objectMembers(msg); ok {
		for i, k := range keys {
			if k == "level" {
				name = text(vals[i])
			}
		}
	} else if before, _, ok := strings.Cut(msg, ":"); ok {
		name = before
	}
	switch name {
	case "DEBUG":
		return zapcore.DebugLevel
	case "WARNING":
		return zapcore.WarnLevel
	case "ERROR":
		return zapcore.ErrorLevel
	case "CRITICAL":
		return zapcore.DPanicLevel
	}
	return zapcore.InfoLevel
}
