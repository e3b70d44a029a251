package cwlogstest

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

// checkStreamName counts characters, as the service's length constraint
// (Smithy's, in code points) does.
func checkStreamName(name string) *apiError {
	if name == "" || utf8.RuneCountInString(name) > maxNameLen {
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
