package main

import (
	"encoding/json"
	"slices"
	"strings"
)

// An entry larger than one CloudWatch event is stored as numbered part
// objects, {"part":1,"parts":3,"entry":"…","chunk":"…"} with the layout's
// head (see the library's split.go); their chunks, in part order, are the
// entry. tail prints such an entry whole, as it was logged: a joiner holds
// the parts until the last one arrives. -json prints the stored events.

// _maxPending bounds the entries a joiner waits on: parts of an entry
// whose others never come are printed as they are.
const _maxPending = 64

// joiner collects the parts of split entries.
type joiner struct {
	pending map[string][]partEvent // by entry id
	order   []string               // entry ids, oldest first
}

type partEvent struct {
	event
	part, parts int
	id, chunk   string
}

// add takes one event and returns what is ready to print: the event
// itself when it is no part, the whole entry when ev was its last part,
// and the parts of an entry given up on to make room.
func (j *joiner) add(ev event) []event {
	p, ok := parsePart(ev)
	if !ok {
		return []event{ev}
	}
	if j.pending == nil {
		j.pending = map[string][]partEvent{}
	}
	id := p.id
	var out []event
	if _, waiting := j.pending[id]; !waiting {
		if len(j.order) == _maxPending {
			out = j.release(j.order[0])
		}
		j.order = append(j.order, id)
	}
	parts := append(j.pending[id], p)
	j.pending[id] = parts
	if len(parts) < p.parts {
		return out
	}
	slices.SortStableFunc(parts, func(a, b partEvent) int { return a.part - b.part })
	var whole strings.Builder
	for _, q := range parts {
		whole.WriteString(q.chunk)
	}
	j.forget(id)
	joined := parts[0].event
	joined.msg = whole.String()
	return append(out, joined)
}

// flush returns the parts of every entry still incomplete, as stored.
func (j *joiner) flush() []event {
	var out []event
	for len(j.order) > 0 {
		out = append(out, j.release(j.order[0])...)
	}
	return out
}

// release gives up on an entry and returns its parts as they are.
func (j *joiner) release(id string) []event {
	var out []event
	for _, p := range j.pending[id] {
		out = append(out, p.event)
	}
	j.forget(id)
	return out
}

func (j *joiner) forget(id string) {
	delete(j.pending, id)
	j.order = slices.DeleteFunc(j.order, func(o string) bool { return o == id })
}

// parsePart reads a part object; ok is false for any other event.
func parsePart(ev event) (partEvent, bool) {
	if !strings.Contains(ev.msg, `"entry":`) || !strings.Contains(ev.msg, `"chunk":`) {
		return partEvent{}, false
	}
	var v struct {
		Part, Parts  int
		Entry, Chunk *string
	}
	if json.Unmarshal([]byte(ev.msg), &v) != nil || v.Entry == nil || v.Chunk == nil || v.Part < 1 || v.Part > v.Parts {
		return partEvent{}, false
	}
	return partEvent{event: ev, part: v.Part, parts: v.Parts, id: *v.Entry, chunk: *v.Chunk}, true
}
