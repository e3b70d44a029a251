package cwlogstest

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Service limits for the read and management operations, from the
// CloudWatch Logs API reference.
const (
	maxGetEvents    = 10_000    // GetLogEvents and FilterLogEvents limit default and maximum
	maxGetBytes     = 1_048_576 // answer size of GetLogEvents and FilterLogEvents
	maxDescribe     = 50        // DescribeLogGroups and DescribeLogStreams limit default and maximum
	maxNameLen      = 512       // log group and stream names
	maxFilterNames  = 100       // FilterLogEvents logStreamNames
	eventIDOverhead = 26        // the per-event overhead counted against maxGetBytes
)

// retentionDays are the values PutRetentionPolicy accepts.
var retentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

type handler func(s *Server, body []byte) (any, *apiError)

// handlers maps every operation but PutLogEvents, which has its own fast
// path, to its implementation.
var handlers = map[string]handler{
	"CreateLogGroup":      (*Server).createLogGroup,
	"CreateLogStream":     (*Server).createLogStream,
	"DeleteLogGroup":      (*Server).deleteLogGroup,
	"DeleteLogStream":     (*Server).deleteLogStream,
	"DescribeLogGroups":   (*Server).describeLogGroups,
	"DescribeLogStreams":  (*Server).describeLogStreams,
	"GetLogEvents":        (*Server).getLogEvents,
	"FilterLogEvents":     (*Server).filterLogEvents,
	"PutRetentionPolicy":  (*Server).putRetentionPolicy,
	"ListTagsLogGroup":    (*Server).listTagsLogGroup,
	"ListTagsForResource": (*Server).listTagsForResource,
}

func nowMillis() int64 { return time.Now().UnixMilli() }

func validationError(value, member, constraint string) *apiError {
	return invalidParam(fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

func checkGroupName(name string) *apiError {
	if name == "" || len(name) > maxNameLen {
		return validationError(name, "logGroupName", "Member must have length between 1 and 512")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._-/#", c) >= 0) {
			return validationError(name, "logGroupName", `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
		}
	}
	return nil
}

func checkStreamName(name string) *apiError {
	if name == "" || len(name) > maxNameLen {
		return validationError(name, "logStreamName", "Member must have length between 1 and 512")
	}
	if strings.ContainsAny(name, ":*") {
		return validationError(name, "logStreamName", "Member must satisfy regular expression pattern: [^:*]*")
	}
	return nil
}

// lookupGroup resolves a name or identifier (name or ARN). The caller holds
// s.data.mu.
func (s *Server) lookupGroup(name, identifier string) (*group, *apiError) {
	if name != "" && identifier != "" {
		return nil, invalidParam("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	}
	if identifier != "" {
		name = identifier
		if n, ok := groupFromARN(identifier); ok {
			name = n
		}
	}
	if name == "" {
		return nil, validationError("null", "logGroupName", "Member must not be null")
	}
	g := s.data.groups[name]
	if g == nil {
		return nil, errNoGroup
	}
	return g, nil
}

func (s *Server) createLogGroup(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName string            `json:"logGroupName"`
		KmsKeyID     string            `json:"kmsKeyId"`
		Tags         map[string]string `json:"tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	if s.data.groups[in.LogGroupName] != nil {
		return nil, apiErr(http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log group already exists")
	}
	s.data.groups[in.LogGroupName] = &group{
		name:     in.LogGroupName,
		created:  nowMillis(),
		kmsKeyID: in.KmsKeyID,
		tags:     in.Tags,
		streams:  make(map[string]*stream),
	}
	return nil, nil
}

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

func (s *Server) deleteLogGroup(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	if _, err := s.lookupGroup(in.LogGroupName, ""); err != nil {
		return nil, err
	}
	delete(s.data.groups, in.LogGroupName)
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

func (s *Server) putRetentionPolicy(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName    string `json:"logGroupName"`
		RetentionInDays int32  `json:"retentionInDays"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if !slices.Contains(retentionDays, in.RetentionInDays) {
		return nil, validationError(strconv.Itoa(int(in.RetentionInDays)), "retentionInDays",
			"Member must satisfy enum value set: "+fmt.Sprint(retentionDays))
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	g.retention = in.RetentionInDays
	return nil, nil
}

type tagsOutput struct {
	Tags map[string]string `json:"tags,omitempty"`
}

func (s *Server) listTagsLogGroup(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
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
	return tagsOutput{maps.Clone(g.tags)}, nil
}

func (s *Server) listTagsForResource(body []byte) (any, *apiError) {
	var in struct {
		ResourceARN string `json:"resourceArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name, ok := groupFromARN(in.ResourceARN)
	if !ok {
		return nil, invalidParam("Invalid resource ARN: " + in.ResourceARN)
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(name, "")
	if err != nil {
		return nil, err
	}
	return tagsOutput{maps.Clone(g.tags)}, nil
}

// Paging tokens are opaque to clients; these carry an offset or a name.
func encodeToken(prefix, v string) string {
	return prefix + base64.RawURLEncoding.EncodeToString([]byte(v))
}

func decodeToken(prefix, tok string) (string, *apiError) {
	rest, ok := strings.CutPrefix(tok, prefix)
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if !ok || err != nil {
		return "", invalidParam("The specified nextToken is invalid.")
	}
	return string(b), nil
}

func checkLimit(limit *int32, max int32) (int, *apiError) {
	if limit == nil {
		return int(max), nil
	}
	if *limit < 1 || *limit > max {
		return 0, validationError(strconv.Itoa(int(*limit)), "limit", fmt.Sprintf("Member must have value between 1 and %d", max))
	}
	return int(*limit), nil
}

type logGroupOut struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   int32  `json:"retentionInDays,omitempty"`
	MetricFilterCount int32  `json:"metricFilterCount"`
	Arn               string `json:"arn"`
	LogGroupArn       string `json:"logGroupArn"`
	StoredBytes       int64  `json:"storedBytes"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass"`
}

func (s *Server) describeLogGroups(body []byte) (any, *apiError) {
	var in struct {
		Prefix    string `json:"logGroupNamePrefix"`
		Pattern   string `json:"logGroupNamePattern"`
		NextToken string `json:"nextToken"`
		Limit     *int32 `json:"limit"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Prefix != "" && in.Pattern != "" {
		return nil, invalidParam("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	limit, err := checkLimit(in.Limit, maxDescribe)
	if err != nil {
		return nil, err
	}
	var after string
	if in.NextToken != "" {
		if after, err = decodeToken("g/", in.NextToken); err != nil {
			return nil, err
		}
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	out := struct {
		LogGroups []logGroupOut `json:"logGroups"`
		NextToken string        `json:"nextToken,omitempty"`
	}{LogGroups: []logGroupOut{}}
	pattern := strings.ToLower(in.Pattern)
	for _, name := range slices.Sorted(maps.Keys(s.data.groups)) {
		if name < after || !strings.HasPrefix(name, in.Prefix) || !strings.Contains(strings.ToLower(name), pattern) {
			continue
		}
		if len(out.LogGroups) == limit {
			out.NextToken = encodeToken("g/", name)
			break
		}
		g := s.data.groups[name]
		var stored int64
		for _, st := range g.streams {
			stored += st.bytes
		}
		out.LogGroups = append(out.LogGroups, logGroupOut{
			LogGroupName:    name,
			CreationTime:    g.created,
			RetentionInDays: g.retention,
			Arn:             groupARN(name) + ":*",
			LogGroupArn:     groupARN(name),
			StoredBytes:     stored,
			KmsKeyID:        g.kmsKeyID,
			LogGroupClass:   "STANDARD",
		})
	}
	return out, nil
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
