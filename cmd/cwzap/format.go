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

// printer writes events for tail: one readable line each, or the raw event
// as JSON.
type printer struct {
	w     io.Writer
	json  bool
	color bool
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

// isTerminal reports whether w is a terminal that wants colours.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p printer) print(e event) {
	if p.json {
		b, _ := json.Marshal(struct {
			Timestamp     int64  `json:"timestamp"`
			Message       string `json:"message"`
			IngestionTime int64  `json:"ingestionTime,omitempty"`
			EventID       string `json:"eventId,omitempty"`
		}{e.ts, e.msg, e.ingest, e.id})
		p.w.Write(append(b, '\n'))
		return
	}
	_, _ = io.WriteString(p.w, p.line(e)+"\n")
}

// line renders one event: time, level, [function], location, message, then
// the other fields as key=value. Events that are not the JSON layout are
// printed as they are after the time.
func (p printer) line(e event) string {
	var b strings.Builder
	b.WriteString(p.paint(ansiDim, time.UnixMilli(e.ts).UTC().Format("2006-01-02 15:04:05.000")))
	msg := strings.TrimRight(e.msg, "\n")
	keys, vals, ok := objectMembers(msg)
	if !ok {
		b.WriteString(" " + msg)
		return b.String()
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
	// Several functions share one stream: say which one wrote the event.
	who := ""
	for _, k := range []string{"function", "function_name", "func"} {
		if v, ok := get(k); ok && v != "" {
			who = v
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
		b.WriteString(" " + m)
	}
	units := metricUnits(msg) // metrics.go
	for i, k := range keys {
		switch k {
		case "timestamp", "level", "location", "message":
			continue
		case "_aws":
			if units != nil {
				continue
			}
		}
		b.WriteString(" " + p.paint(ansiDim, k+"=") + fieldValue(vals[i]) + metricSuffix(units, k))
	}
	return b.String()
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
