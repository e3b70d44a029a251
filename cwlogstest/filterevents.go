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
	offset := 0
	if in.NextToken != "" {
		v, err := decodeToken("o/", in.NextToken)
		if err != nil {
			return nil, err
		}
		if offset, _ = strconv.Atoi(v); offset < 0 {
			offset = 0
		}
	}
	// A plain substring; a quoted pattern ("ERROR") means the same here.
	pattern := in.FilterPattern
	if len(pattern) >= 2 && pattern[0] == '"' && pattern[len(pattern)-1] == '"' {
		pattern = pattern[1 : len(pattern)-1]
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

	type match struct {
		st  *stream
		idx int
	}
	var matches []match
	searched := []searchedStream{}
	for _, name := range names {
		st := g.streams[name]
		if st == nil {
			continue
		}
		searched = append(searched, searchedStream{name, true})
		for i, e := range st.events {
			if in.StartTime != nil && e.ts < *in.StartTime || in.EndTime != nil && e.ts > *in.EndTime {
				continue
			}
			if pattern != "" && !strings.Contains(e.msg, pattern) {
				continue
			}
			matches = append(matches, match{st, i})
		}
	}
	slices.SortStableFunc(matches, func(a, b match) int {
		return cmp.Compare(a.st.events[a.idx].ts, b.st.events[b.idx].ts)
	})

	out := struct {
		Events             []filteredEvent  `json:"events"`
		SearchedLogStreams []searchedStream `json:"searchedLogStreams"`
		NextToken          string           `json:"nextToken,omitempty"`
	}{Events: []filteredEvent{}, SearchedLogStreams: searched}
	size := 0
	for i := offset; i < len(matches); i++ {
		m := matches[i]
		e := m.st.events[m.idx]
		sz := len(e.msg) + eventIDOverhead
		if len(out.Events) == limit || len(out.Events) > 0 && size+sz > maxGetBytes {
			out.NextToken = encodeToken("o/", strconv.Itoa(i))
			break
		}
		size += sz
		out.Events = append(out.Events, filteredEvent{
			LogStreamName: m.st.name,
			Timestamp:     e.ts,
			Message:       e.msg,
			IngestionTime: e.ingest,
			EventID:       fmt.Sprintf("%d%020d%010d", e.ts, m.st.created, m.idx),
		})
	}
	return out, nil
}
