package cwlogstest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) createLogStream(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkStreamName(in.LogStreamName); err != nil {
		return nil, err
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	if g.streams[in.LogStreamName] != nil {
		return nil, apiErr(http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log stream already exists")
	}
	g.streams[in.LogStreamName] = &stream{name: in.LogStreamName, created: nowMillis(), sorted: true}
	return nil, nil
}

func (s *Server) deleteLogStream(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	if g.streams[in.LogStreamName] == nil {
		return nil, errNoStream
	}
	delete(g.streams, in.LogStreamName)
	return nil, nil
}

type logStreamOut struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   int64  `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken,omitempty"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

func (s *Server) describeLogStreams(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName       string `json:"logGroupName"`
		LogGroupIdentifier string `json:"logGroupIdentifier"`
		Prefix             string `json:"logStreamNamePrefix"`
		OrderBy            string `json:"orderBy"`
		Descending         bool   `json:"descending"`
		NextToken          string `json:"nextToken"`
		Limit              *int32 `json:"limit"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	switch in.OrderBy {
	case "", "LogStreamName":
	case "LastEventTime":
		if in.Prefix != "" {
			return nil, invalidParam("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	default:
		return nil, validationError(in.OrderBy, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
	}
	limit, err := checkLimit(in.Limit, maxDescribe)
	if err != nil {
		return nil, err
	}
	offset := 0
	if in.NextToken != "" {
		v, err := decodeToken("s/", in.NextToken)
		if err != nil {
			return nil, err
		}
		if offset, _ = strconv.Atoi(v); offset < 0 {
			offset = 0
		}
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	var list []*stream
	for _, st := range g.streams {
		if strings.HasPrefix(st.name, in.Prefix) {
			list = append(list, st)
		}
	}
	slices.SortFunc(list, func(a, b *stream) int {
		c := 0
		if in.OrderBy == "LastEventTime" {
			c = cmp.Compare(a.last, b.last)
		}
		if c == 0 {
			c = strings.Compare(a.name, b.name)
		}
		if in.Descending {
			c = -c
		}
		return c
	})
	out := struct {
		LogStreams []logStreamOut `json:"logStreams"`
		NextToken  string         `json:"nextToken,omitempty"`
	}{LogStreams: []logStreamOut{}}
	for i := offset; i < len(list); i++ {
		if len(out.LogStreams) == limit {
			out.NextToken = encodeToken("s/", strconv.Itoa(i))
			break
		}
		st := list[i]
		o := logStreamOut{
			LogStreamName: st.name,
			CreationTime:  st.created,
			Arn:           groupARN(g.name) + ":log-stream:" + st.name,
			// The service has reported zero for streams since June 2019;
			// Server.StoredBytes has the figure.
		}
		if st.count > 0 {
			o.FirstEventTimestamp, o.LastEventTimestamp, o.LastIngestionTime = st.first, st.last, st.lastIngest
		}
		if s.data.seqTokens && st.seq > 0 {
			o.UploadSequenceToken = seqToken(st.seq)
		}
		out.LogStreams = append(out.LogStreams, o)
	}
	return out, nil
}
