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
	// The token names the last stream of the previous page, so streams
	// created or deleted between pages neither repeat nor vanish.
	var after *streamKey
	if in.NextToken != "" {
		k, err := parseStreamToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		after = &k
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	byTime := in.OrderBy == "LastEventTime"
	keyOf := func(st *stream) streamKey {
		if byTime {
			return streamKey{st.last, st.name}
		}
		return streamKey{0, st.name}
	}
	order := func(a, b streamKey) int {
		c := cmp.Compare(a.last, b.last)
		if c == 0 {
			c = strings.Compare(a.name, b.name)
		}
		if in.Descending {
			c = -c
		}
		return c
	}
	var list []*stream
	for _, st := range g.streams {
		if strings.HasPrefix(st.name, in.Prefix) && (after == nil || order(keyOf(st), *after) > 0) {
			list = append(list, st)
		}
	}
	slices.SortFunc(list, func(a, b *stream) int { return order(keyOf(a), keyOf(b)) })
	out := struct {
		LogStreams []logStreamOut `json:"logStreams"`
		NextToken  string         `json:"nextToken,omitempty"`
	}{LogStreams: []logStreamOut{}}
	for i, st := range list {
		if i == limit {
			out.NextToken = streamToken(keyOf(list[i-1]))
			break
		}
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
		// Deprecated but still returned, as PutLogEvents returns
		// nextSequenceToken: legacy clients describe the stream to learn it.
		if st.seq > 0 {
			o.UploadSequenceToken = seqToken(st.seq)
		}
		out.LogStreams = append(out.LogStreams, o)
	}
	return out, nil
}

// streamKey is a stream's place in a DescribeLogStreams order.
type streamKey struct {
	last int64 // lastEventTimestamp, when ordered by LastEventTime
	name string
}

func streamToken(k streamKey) string {
	return encodeToken("s/", strconv.FormatInt(k.last, 10)+"/"+k.name)
}

func parseStreamToken(tok string) (streamKey, *apiError) {
	v, err := decodeToken("s/", tok)
	if err != nil {
		return streamKey{}, err
	}
	last, name, ok := strings.Cut(v, "/")
	n, perr := strconv.ParseInt(last, 10, 64)
	if !ok || perr != nil {
		return streamKey{}, invalidParam("The specified nextToken is invalid.")
	}
	return streamKey{n, name}, nil
}
