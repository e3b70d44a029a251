package cwlogstest

import (
	"maps"
	"slices"
	"strings"
	"sync"
)

// Event is one stored log event.
type Event struct {
	Group, Stream string // where it was put
	Timestamp     int64  // milliseconds since the Unix epoch, as sent
	Message       string
	IngestionTime int64 // milliseconds since the Unix epoch, when stored
}

// GroupInfo describes a log group, as set by CreateLogGroup and
// PutRetentionPolicy.
type GroupInfo struct {
	Name            string
	RetentionInDays int32 // 0: never expire
	KMSKeyID        string
	Tags            map[string]string
	CreationTime    int64  // milliseconds since the Unix epoch
	Class           string // the log group class: "STANDARD" unless CreateLogGroup said otherwise
	// DeletionProtection is CreateLogGroup's deletionProtectionEnabled: the
	// DeleteLogGroup operation refuses the group (Server.DeleteLogGroup,
	// a fault for tests, does not).
	DeletionProtection bool
}

// store is the server's state: groups, their streams and events.
type store struct {
	discard   bool // DiscardEvents, fixed at Start
	seqTokens bool // SequenceTokens, fixed at Start

	mu     sync.Mutex // guards groups and everything reachable from it
	groups map[string]*group
}

type group struct {
	name      string
	created   int64
	retention int32
	kmsKeyID  string
	tags      map[string]string
	class     string // log group class
	protect   bool   // deletion protection
	streams   map[string]*stream
}

type stream struct {
	name       string
	created    int64
	events     []storedEvent // in stored order
	sorted     bool          // events are in timestamp order
	count      int64         // events accepted, also with DiscardEvents
	first      int64         // timestamps of the earliest and latest events
	last       int64
	lastIngest int64
	bytes      int64 // message bytes stored

	seq       uint64 // puts accepted; the next sequence token derives from it
	prevToken string // token of the last accepted put, and its batch hash
	prevHash  uint64
}

type storedEvent struct {
	ts, ingest int64
	msg        string
}

func (st *store) init() { st.groups = make(map[string]*group) }

// Events returns a snapshot of the events stored in one stream, in the
// order they were stored. It returns nil for a missing stream and with
// DiscardEvents.
func (s *Server) Events(group, stream string) []Event {
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g := s.data.groups[group]
	if g == nil {
		return nil
	}
	return appendEvents(nil, g, g.streams[stream])
}

// StoredBytes returns the UTF-8 message bytes a stream has accepted (counted
// with DiscardEvents too), or 0 for a missing stream. DescribeLogStreams
// reports zero for streams, as the service has since June 2019.
func (s *Server) StoredBytes(group, stream string) int64 {
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	if g := s.data.groups[group]; g != nil {
		if st := g.streams[stream]; st != nil {
			return st.bytes
		}
	}
	return 0
}

// AllEvents returns a snapshot of every stored event, ordered by group name,
// then stream name, then stored order.
func (s *Server) AllEvents() []Event {
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	var out []Event
	for _, gn := range slices.Sorted(maps.Keys(s.data.groups)) {
		g := s.data.groups[gn]
		for _, sn := range slices.Sorted(maps.Keys(g.streams)) {
			out = appendEvents(out, g, g.streams[sn])
		}
	}
	return out
}

func appendEvents(out []Event, g *group, st *stream) []Event {
	if st == nil {
		return out
	}
	for _, e := range st.events {
		out = append(out, Event{Group: g.name, Stream: st.name, Timestamp: e.ts, Message: e.msg, IngestionTime: e.ingest})
	}
	return out
}

// Groups returns the log groups, sorted by name. The Tags maps are copies.
func (s *Server) Groups() []GroupInfo {
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	var out []GroupInfo
	for _, gn := range slices.Sorted(maps.Keys(s.data.groups)) {
		g := s.data.groups[gn]
		out = append(out, GroupInfo{
			Name:               g.name,
			RetentionInDays:    g.retention,
			KMSKeyID:           g.kmsKeyID,
			Tags:               maps.Clone(g.tags),
			CreationTime:       g.created,
			Class:              g.class,
			DeletionProtection: g.protect,
		})
	}
	return out
}

// DeleteLogGroup deletes a log group and its streams, as the DeleteLogGroup
// operation does, for tests of a group deleted mid-run. A missing group is
// not an error.
func (s *Server) DeleteLogGroup(name string) {
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	delete(s.data.groups, name)
}

// DeleteLogStream deletes a log stream, as the DeleteLogStream operation
// does. A missing group or stream is not an error.
func (s *Server) DeleteLogStream(group, stream string) {
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	if g := s.data.groups[group]; g != nil {
		delete(g.streams, stream)
	}
}

func groupARN(name string) string {
	return "arn:aws:logs:" + region + ":" + accountID + ":log-group:" + name
}

// groupFromARN returns the group name of a log group ARN, with or without
// the trailing ":*".
func groupFromARN(arn string) (string, bool) {
	name, ok := strings.CutPrefix(arn, "arn:aws:logs:"+region+":"+accountID+":log-group:")
	return strings.TrimSuffix(name, ":*"), ok
}
