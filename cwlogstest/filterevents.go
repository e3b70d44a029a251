package cwlogstest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

type filteredEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

// searchedStream is a member of FilterLogEvents' searchedLogStreams,
// which the service has answered empty since May 15, 2020 (the API
// model's FilterLogEventsResponse: "this parameter is no longer
// supported. This parameter returns an empty list").
type searchedStream struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

func (s *Server) filterLogEvents(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName       string   `json:"logGroupName"`
		LogGroupIdentifier string   `json:"logGroupIdentifier"`
		LogStreamNames     []string `json:"logStreamNames"`
		Prefix             string   `json:"logStreamNamePrefix"`
		StartTime          *int64   `json:"startTime"`
		EndTime            *int64   `json:"endTime"`
		FilterPattern      string   `json:"filterPattern"`
		NextToken          string   `json:"nextToken"`
		Limit              *int32   `json:"limit"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.Prefix != "" {
		return nil, invalidParam("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	if len(in.LogStreamNames) > maxFilterNames {
		return nil, validationError(fmt.Sprint(in.LogStreamNames), "logStreamNames", "Member must have length less than or equal to 100")
	}
	limit, err := checkLimit(in.Limit, maxGetEvents)
	if err != nil {
		return nil, err
	}
	// The token holds the place of the next event (time, stream, index),
	// so events put between pages do not shift the pages.
	var from *matchKey
	if in.NextToken != "" {
		k, err := parseMatchToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		from = &k
	}
	m, perr := compilePattern(in.FilterPattern)
	if perr != nil {
		return nil, invalidParam("Invalid filter pattern: " + perr.Error())
	}

	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	names := in.LogStreamNames
	if len(names) == 0 {
		for name := range g.streams {
			if strings.HasPrefix(name, in.Prefix) {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)

	var matches []matchKey
	for _, name := range names {
		st := g.streams[name]
		if st == nil {
			continue
		}
		for i, e := range st.events {
			if in.StartTime != nil && e.ts < *in.StartTime || in.EndTime != nil && e.ts > *in.EndTime {
				continue
			}
			k := matchKey{e.ts, name, i}
			if from != nil && k.compare(*from) < 0 || !m.match(e.msg) {
				continue
			}
			matches = append(matches, k)
		}
	}
	slices.SortFunc(matches, matchKey.compare)

	out := struct {
		Events             []filteredEvent  `json:"events"`
		SearchedLogStreams []searchedStream `json:"searchedLogStreams"`
		NextToken          string           `json:"nextToken,omitempty"`
	}{Events: []filteredEvent{}, SearchedLogStreams: []searchedStream{}}
	size := 0
	for _, k := range matches {
		st := g.streams[k.stream]
		e := st.events[k.idx]
		sz := len(e.msg) + eventIDOverhead
		if len(out.Events) == limit || len(out.Events) > 0 && size+sz > maxGetBytes {
			out.NextToken = matchToken(k)
			break
		}
		size += sz
		out.Events = append(out.Events, filteredEvent{
			LogStreamName: st.name,
			Timestamp:     e.ts,
			Message:       e.msg,
			IngestionTime: e.ingest,
			EventID:       fmt.Sprintf("%d%020d%010d", e.ts, st.created, k.idx),
		})
	}
	return out, nil
}

// matchKey is an event's place in FilterLogEvents' order: time, then
// stream name, then stored order.
type matchKey struct {
	ts     int64
	stream string
	idx    int
}

func (a matchKey) compare(b matchKey) int {
	return cmp.Or(cmp.Compare(a.ts, b.ts), strings.Compare(a.stream, b.stream), cmp.Compare(a.idx, b.idx))
}

func matchToken(k matchKey) string {
	return encodeToken("o/", strconv.FormatInt(k.ts, 10)+"/"+strconv.Itoa(k.idx)+"/"+k.stream)
}

func parseMatchToken(tok string) (matchKey, *apiError) {
	v, err := decodeToken("o/", tok)
	if err != nil {
		return matchKey{}, err
	}
	bad := invalidParam("The specified nextToken is invalid.")
	ts, rest, ok1 := strings.Cut(v, "/")
	idx, stream, ok2 := strings.Cut(rest, "/")
	t, err1 := strconv.ParseInt(ts, 10, 64)
	i, err2 := strconv.Atoi(idx)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return matchKey{}, bad
	}
	return matchKey{t, stream, i}, nil
}
