package cwlogstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/smithy-go/eventstream"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// StartLiveTail streams the events stored from now on, as the service
// does, over the event-stream protocol that the SDK's StartLiveTail reads:
// an initial-response, a sessionStart, then a sessionUpdate every
// LiveTailInterval with the events stored since the last one (an empty
// update is the heartbeat). The session ends when the client closes the
// stream or the server closes, or with a SessionTimeoutException after
// LiveTailTimeout (the service's is 3 hours).
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartLiveTail.html

// Defaults of the live tail settings.
const (
	DefaultLiveTailInterval = time.Second
	DefaultLiveTailTimeout  = 3 * time.Hour
	maxLiveTailEvents       = 500 // events per sessionUpdate; more are left out, and the update says it is sampled
)

// The constraints of a StartLiveTail request, as the API model
// (botocore's data/logs/2014-03-28/service-2.json, shapes
// StartLiveTailRequest, StartLiveTailLogGroupIdentifiers,
// LogGroupIdentifier, InputLogStreamNames, LogStreamName, FilterPattern)
// and the API reference (API_StartLiveTail.html, API_LiveTailSessionStart.html)
// give them. The service answers a request that breaks one with
// InvalidParameterException before it looks for the log groups.
const (
	maxLiveTailGroups   = 10   // logGroupIdentifiers: 1 to 10
	maxLiveTailARN      = 2048 // each identifier: 1 to 2048 characters
	maxLiveTailStreams  = 100  // logStreamNames, logStreamNamePrefixes: 1 to 100 when given
	maxLiveTailPattern  = 1024 // logEventFilterPattern: 0 to 1024 characters
	liveTailARNPattern  = `[\w#+=/:,.@-]*`
	liveTailNamePattern = `[^:*]*`
)

// _liveTailARN is LogGroupIdentifier's pattern, whole: no '*', so no
// trailing "*" either ("the ARN can't end with an asterisk").
var _liveTailARN = regexp.MustCompile(`^` + liveTailARNPattern + `$`)

type liveTailRequest struct {
	LogGroupIdentifiers   []string `json:"logGroupIdentifiers"`
	LogStreamNames        []string `json:"logStreamNames"`
	LogStreamNamePrefixes []string `json:"logStreamNamePrefixes"`
	LogEventFilterPattern *string  `json:"logEventFilterPattern"`
}

type liveTailEvent struct {
	LogStreamName      string `json:"logStreamName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	Message            string `json:"message"`
	Timestamp          int64  `json:"timestamp"`
	IngestionTime      int64  `json:"ingestionTime"`
}

// liveSession is one StartLiveTail stream.
type liveSession struct {
	groups   []string // names
	arns     map[string]string
	streams  []string
	prefixes []string
	match    matcher

	mu      sync.Mutex // guards pending and dropped
	pending []liveTailEvent
	dropped bool
}

// liveTails is the set of open sessions.
type liveTails struct {
	mu       sync.Mutex // guards sessions
	sessions map[*liveSession]struct{}
}

func (lt *liveTails) add(s *liveSession) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.sessions == nil {
		lt.sessions = make(map[*liveSession]struct{})
	}
	lt.sessions[s] = struct{}{}
}

func (lt *liveTails) remove(s *liveSession) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	delete(lt.sessions, s)
}

// publish hands the events just stored in group/stream to the sessions
// that want them.
func (lt *liveTails) publish(group, stream string, evs []storedEvent) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	for s := range lt.sessions {
		if !s.wants(group, stream) {
			continue
		}
		s.mu.Lock()
		for _, e := range evs {
			if !s.match.match(e.msg) {
				continue
			}
			if len(s.pending) >= maxLiveTailEvents {
				s.dropped = true
				continue
			}
			s.pending = append(s.pending, liveTailEvent{
				LogStreamName: stream, LogGroupIdentifier: s.arns[group],
				Message: e.msg, Timestamp: e.ts, IngestionTime: e.ingest,
			})
		}
		s.mu.Unlock()
	}
}

func (s *liveSession) wants(group, stream string) bool {
	if !slices.Contains(s.groups, group) {
		return false
	}
	if len(s.streams) > 0 {
		return slices.Contains(s.streams, stream)
	}
	if len(s.prefixes) > 0 {
		return slices.ContainsFunc(s.prefixes, func(p string) bool { return strings.HasPrefix(stream, p) })
	}
	return true
}

// take returns the pending events and whether some were left out.
func (s *liveSession) take() ([]liveTailEvent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	evs, dropped := s.pending, s.dropped
	s.pending, s.dropped = nil, false
	return evs, dropped
}

func (s *Server) startLiveTail(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(r, s.maxBody)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	var in liveTailRequest
	aerr = decode(body.B, &in)
	putBuf(body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	sess, aerr := s.newLiveSession(&in)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	enc := eventstream.NewEncoder()
	send := func(kind, eventType string, v any) bool {
		payload, _ := json.Marshal(v)
		var msg eventstream.Message
		msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(kind))
		if kind == eventstream.ExceptionMessageType {
			msg.Headers.Set(eventstream.ExceptionTypeHeader, eventstream.StringValue(eventType))
		} else {
			msg.Headers.Set(eventstream.EventTypeHeader, eventstream.StringValue(eventType))
		}
		msg.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/json"))
		msg.Payload = payload
		if enc.Encode(w, msg) != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	s.liveTails.add(sess)
	defer s.liveTails.remove(sess)
	if !send(eventstream.EventMessageType, "initial-response", struct{}{}) ||
		!send(eventstream.EventMessageType, "sessionStart", map[string]any{
			"requestId": w.Header().Get("X-Amzn-Requestid"), "sessionId": s.requestID(),
			"logGroupIdentifiers": in.LogGroupIdentifiers, "logStreamNames": in.LogStreamNames,
			"logStreamNamePrefixes": in.LogStreamNamePrefixes, "logEventFilterPattern": in.LogEventFilterPattern,
		}) {
		return
	}
	interval, timeout := s.liveTailSettings()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.NewTimer(timeout)
	defer end.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		case <-end.C:
			send(eventstream.ExceptionMessageType, "SessionTimeoutException",
				map[string]string{"message": "Session timed out after " + timeout.String()})
			return
		case <-tick.C:
			evs, dropped := sess.take()
			if evs == nil {
				evs = []liveTailEvent{}
			}
			if !send(eventstream.EventMessageType, "sessionUpdate", map[string]any{
				"sessionMetadata": map[string]bool{"sampled": dropped},
				"sessionResults":  evs,
			}) {
				return
			}
		}
	}
}

// checkLiveTail checks a StartLiveTail request against the model's
// constraints. A list that is present must hold at least one member: the
// SDKs send an empty list as [].
func checkLiveTail(in *liveTailRequest) *apiError {
	if n := len(in.LogGroupIdentifiers); n < 1 || n > maxLiveTailGroups {
		return validationError(fmt.Sprint(in.LogGroupIdentifiers), "logGroupIdentifiers",
			fmt.Sprintf("Member must have length less than or equal to %d, Member must have length greater than or equal to 1", maxLiveTailGroups))
	}
	for _, id := range in.LogGroupIdentifiers {
		if n := utf8.RuneCountInString(id); n < 1 || n > maxLiveTailARN {
			return validationError(id, "logGroupIdentifiers",
				fmt.Sprintf("Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", maxLiveTailARN))
		}
		if !_liveTailARN.MatchString(id) {
			return validationError(id, "logGroupIdentifiers",
				"Member must satisfy constraint: [Member must satisfy regular expression pattern: "+liveTailARNPattern+"]")
		}
	}
	for _, list := range []struct {
		member string
		names  []string
	}{{"logStreamNames", in.LogStreamNames}, {"logStreamNamePrefixes", in.LogStreamNamePrefixes}} {
		if list.names == nil {
			continue
		}
		if n := len(list.names); n < 1 || n > maxLiveTailStreams {
			return validationError(fmt.Sprint(list.names), list.member,
				fmt.Sprintf("Member must have length less than or equal to %d, Member must have length greater than or equal to 1", maxLiveTailStreams))
		}
		for _, name := range list.names {
			if n := utf8.RuneCountInString(name); n < 1 || n > maxNameLen {
				return validationError(name, list.member,
					fmt.Sprintf("Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", maxNameLen))
			}
			if strings.ContainsAny(name, ":*") {
				return validationError(name, list.member,
					"Member must satisfy constraint: [Member must satisfy regular expression pattern: "+liveTailNamePattern+"]")
			}
		}
	}
	if p := in.LogEventFilterPattern; p != nil && utf8.RuneCountInString(*p) > maxLiveTailPattern {
		return validationError(*p, "logEventFilterPattern", fmt.Sprintf("Member must have length less than or equal to %d", maxLiveTailPattern))
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefixes != nil {
		return invalidParam("You can specify either logStreamNames or logStreamNamePrefixes, but not both.")
	}
	return nil
}

// newLiveSession checks a StartLiveTail request as the service does.
func (s *Server) newLiveSession(in *liveTailRequest) (*liveSession, *apiError) {
	if err := checkLiveTail(in); err != nil {
		return nil, err
	}
	if (len(in.LogStreamNames) > 0 || len(in.LogStreamNamePrefixes) > 0) && len(in.LogGroupIdentifiers) != 1 {
		return nil, invalidParam("logStreamNames and logStreamNamePrefixes need exactly one log group.")
	}
	sess := &liveSession{arns: map[string]string{}, streams: in.LogStreamNames, prefixes: in.LogStreamNamePrefixes}
	for _, id := range in.LogGroupIdentifiers {
		name, ok := groupFromARN(id)
		if !ok {
			return nil, invalidParam("logGroupIdentifiers must be log group ARNs: " + id)
		}
		s.data.mu.Lock()
		_, exists := s.data.groups[name]
		s.data.mu.Unlock()
		if !exists {
			return nil, errNoGroup
		}
		sess.groups = append(sess.groups, name)
		sess.arns[name] = id
	}
	var err error
	pattern := ""
	if in.LogEventFilterPattern != nil {
		pattern = *in.LogEventFilterPattern
	}
	if sess.match, err = compilePattern(pattern); err != nil {
		return nil, invalidParam(err.Error())
	}
	return sess, nil
}

func (s *Server) liveTailSettings() (interval, timeout time.Duration) {
	interval, timeout = s.LiveTailInterval, s.LiveTailTimeout
	if interval <= 0 {
		interval = DefaultLiveTailInterval
	}
	if timeout <= 0 {
		timeout = DefaultLiveTailTimeout
	}
	return interval, timeout
}

// open reports whether any session is open, so that a put makes no copy
// for nobody.
func (lt *liveTails) open() bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return len(lt.sessions) > 0
}

// noHostPrefix keeps the SDK from sending StartLiveTail to
// "stream-" + host, a name that does not resolve for a loopback
// address; Config's clients carry it.
func noHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("cwlogstest.NoHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}
