package cwlogstest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

type outputEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// GetLogEvents tokens: "f/N/s" reads forward from index N, "b/N/s" reads
// backward from index N (exclusive), in the stream's timestamp order. At
// either end the same token comes back, which is how clients stop.
func parseGetToken(tok string) (forward bool, idx int, err *apiError) {
	bad := invalidParam("The specified nextToken is invalid.")
	if len(tok) < 5 || tok[1] != '/' || !strings.HasSuffix(tok, "/s") {
		return false, 0, bad
	}
	n, perr := strconv.Atoi(tok[2 : len(tok)-2])
	if perr != nil || n < 0 {
		return false, 0, bad
	}
	switch tok[0] {
	case 'f':
		return true, n, nil
	case 'b':
		return false, n, nil
	}
	return false, 0, bad
}

func getToken(dir byte, idx int) string {
	return fmt.Sprintf("%c/%020d/s", dir, idx)
}

func (s *Server) getLogEvents(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName       string `json:"logGroupName"`
		LogGroupIdentifier string `json:"logGroupIdentifier"`
		LogStreamName      string `json:"logStreamName"`
		StartTime          *int64 `json:"startTime"`
		EndTime            *int64 `json:"endTime"`
		NextToken          string `json:"nextToken"`
		Limit              *int32 `json:"limit"`
		StartFromHead      bool   `json:"startFromHead"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit, maxGetEvents)
	if err != nil {
		return nil, err
	}
	forward, idx := in.StartFromHead, -1 // -1: from the matching end
	if in.NextToken != "" {
		if forward, idx, err = parseGetToken(in.NextToken); err != nil {
			return nil, err
		}
	}

	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	st := g.streams[in.LogStreamName]
	if st == nil {
		return nil, errNoStream
	}
	evs := st.events
	if !st.sorted {
		evs = slices.Clone(evs)
		slices.SortStableFunc(evs, func(a, b storedEvent) int { return cmp.Compare(a.ts, b.ts) })
	}
	if in.StartTime != nil || in.EndTime != nil {
		// startTime is inclusive and endTime exclusive for GetLogEvents.
		lo, hi := 0, len(evs)
		if in.StartTime != nil {
			lo, _ = slices.BinarySearchFunc(evs, *in.StartTime, func(e storedEvent, t int64) int { return cmp.Compare(e.ts, t) })
		}
		if in.EndTime != nil {
			hi, _ = slices.BinarySearchFunc(evs, *in.EndTime, func(e storedEvent, t int64) int { return cmp.Compare(e.ts, t) })
		}
		evs = evs[lo:max(lo, hi)]
	}
	n := len(evs)
	if idx < 0 {
		idx = 0
		if !forward {
			idx = n
		}
	}
	idx = min(idx, n)

	lo, hi, size := idx, idx, 0
	if forward {
		for hi < n && hi-lo < limit {
			sz := len(evs[hi].msg) + eventIDOverhead
			if hi > lo && size+sz > maxGetBytes {
				break
			}
			size += sz
			hi++
		}
	} else {
		for lo > 0 && hi-lo < limit {
			sz := len(evs[lo-1].msg) + eventIDOverhead
			if hi > lo && size+sz > maxGetBytes {
				break
			}
			size += sz
			lo--
		}
	}
	out := struct {
		Events            []outputEvent `json:"events"`
		NextForwardToken  string        `json:"nextForwardToken"`
		NextBackwardToken string        `json:"nextBackwardToken"`
	}{
		Events:            make([]outputEvent, 0, hi-lo),
		NextForwardToken:  getToken('f', hi),
		NextBackwardToken: getToken('b', lo),
	}
	for _, e := range evs[lo:hi] {
		out.Events = append(out.Events, outputEvent{e.ts, e.msg, e.ingest})
	}
	return out, nil
}
