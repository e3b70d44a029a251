package cwlogstest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// The cases are the examples of the reference's "Filter pattern syntax"
// page; each event's message is prefixed with its index so the matches can
// be read back.

// filterTable puts events into a fresh stream and checks which of them
// FilterLogEvents returns for each pattern.
func filterTable(t *testing.T, events []string, tests map[string][]int) {
	t.Helper()
	_, c := newServer(t)
	mustCreate(t, c, "g", "s")
	now := time.Now().UnixMilli()
	var evs []types.InputLogEvent
	for i, m := range events {
		evs = append(evs, ev(now+int64(i), m))
	}
	if _, err := put(c, "g", "s", evs...); err != nil {
		t.Fatal(err)
	}
	for pattern, want := range tests {
		out, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName: aws.String("g"), FilterPattern: aws.String(pattern),
		})
		if err != nil {
			t.Errorf("%s: %v", pattern, err)
			continue
		}
		got := []int{}
		for _, e := range out.Events {
			got = append(got, int(*e.Timestamp-now))
		}
		if want == nil {
			want = []int{}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pattern %s matched events %v, want %v", pattern, got, want)
		}
	}
}

func TestFilterPatternTerms(t *testing.T) {
	events := []string{
		"[ERROR 400] BAD REQUEST",
		"[ERROR 401] UNAUTHORIZED REQUEST",
		"[ERROR 419] MISSING ARGUMENTS",
		"[ERROR 420] INVALID ARGUMENTS",
		"[ERROR 500] INTERNAL SERVER ERROR",
		"[SUCCESS 200] AUTHORIZED REQUEST",
		"Exiting with ERRORCODE: -1",
	}
	all := []int{0, 1, 2, 3, 4, 5, 6}
	filterTable(t, events, map[string][]int{
		"":                         all,
		`" "`:                      all,
		"ERROR":                    {0, 1, 2, 3, 4, 6},
		"error":                    nil, // case-sensitive
		"ERROR ARGUMENTS":          {2, 3},
		"?ARGUMENTS ?UNAUTHORIZED": {1, 2, 3},
		`"INTERNAL SERVER ERROR"`:  {4},
		"INTERNAL SERVER ERROR":    {4},
		"ERROR -ARGUMENTS":         {0, 1, 4, 6},
		`"ERROR" - "Exiting"`:      {0, 1, 2, 3, 4},
		"%AUTHORIZED%":             {1, 5},
		"%ERROR 4[0-9]{2}%":        {0, 1, 2, 3},
		"%^Exiting%":               {6},
		"REQUEST -%^.ERROR%":       {5},
		"?%419% ?SUCCESS":          {2, 5},
	})
}

func TestFilterPatternOr(t *testing.T) {
	events := []string{"ERROR WARN message", "ERROR message", "WARN message"}
	filterTable(t, events, map[string][]int{
		"ERROR":                       {0, 1},
		"?ERROR ?WARN":                {0, 1, 2},
		"ERROR WARN":                  {0},
		"ERROR -WARN":                 {1},
		"[w1=ERROR, w2]":              {1},
		"[w1=ERROR || w1=WARN, w2]":   {1, 2},
		"[w1!=ERROR && w1!=WARN, w2]": nil,
		"[w1, ...]":                   {0, 1, 2},
	})
	filterTable(t, []string{`{"foo": "bar"}`, `{"foo": "baz"}`}, map[string][]int{
		"{$.foo = bar}":                   {0},
		"{$.foo = baz }":                  {1},
		"{$.foo = bar || $.foo = baz }":   {0, 1},
		"{ $.foo != bar }":                {1},
		`{ $.foo = "ba*" && $.foo = *z }`: {1},
	})
}

func TestFilterPatternJSON(t *testing.T) {
	events := []string{
		`{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111",
		  "arrayKey": ["value", "another value"],
		  "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
		  "SomeObject": null, "ThisFlag": true}`,
		`{"user": {"id": 1, "email": "John.Stiles@example.com"},
		  "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
		  "actions": ["GET", "PUT", "DELETE"],
		  "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]}`,
		`{"users": [1, 2, 3]}`,
		`{"latency": 1200, "numbers": [5], "errorCode": 400, "processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}]}`,
		`eventType UpdateTrail, not JSON`,
	}
	filterTable(t, events, map[string][]int{
		`{ $.eventType = "UpdateTrail" }`:           {0},
		`{ $.sourceIPAddress != 123.123.* }`:        {0},
		`{ $.sourceIPAddress != 111.111.* }`:        nil,
		`{ $.arrayKey[0] = "value" }`:               {0},
		`{ $.objectList[1].id = 2 }`:                {0},
		`{ $.SomeObject IS NULL }`:                  {0},
		`{ $.SomeOtherObject NOT EXISTS }`:          {0, 1, 2, 3},
		`{ $.ThisFlag IS TRUE }`:                    {0},
		`{ $.ThisFlag IS FALSE }`:                   nil,
		`{ $.eventType = *Trail }`:                  {0},
		`{ $.eventType = Update* }`:                 {0},
		`{ $.eventType = Up*Trail }`:                nil, // * inside a value is literal
		`{ $.eventType = %^Update[A-Z]% }`:          {0},
		`{ $.latency = * }`:                         {3},
		`{ $.users = 1 }`:                           nil, // an array is not a value
		`{ $.users != 1 }`:                          nil,
		`{ $.users[0] = 1 }`:                        {2},
		`{ $.latency >= 500 }`:                      {3},
		`{ $.numbers[0] < 10e3 }`:                   {3},
		`{ $.numbers[0] < 10e-3 }`:                  nil,
		`{ $.processes[4].averageRuntime <= 55.5 }`: {3},
		`{ $.errorCode = 400 }`:                     {3},
		`{ $.errorCode != 500 }`:                    {3},
		`{ $.latency > +1000 }`:                     {3},
		`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`:                                         {1},
		`{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`:                               nil,
		`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`:   {1},
		`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`: nil,
		`{ $.coordinates[1][2] = 6 }`: {1},
	})
}

func TestFilterPatternDelimited(t *testing.T) {
	events := []string{
		`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`,
		`127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324`,
		`127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355`,
		`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`,
	}
	filterTable(t, events, map[string][]int{
		"[ip, user, username, timestamp, request, status_code, bytes]":                            {0, 1, 2, 3},
		"[ip, user, username, timestamp, request, status_code]":                                   nil,
		"[..., status_code, bytes]":                                                               {0, 1, 2, 3},
		"[ip, user, ..., status_code, bytes]":                                                     {0, 1, 2, 3},
		"[ip, user, ...]":                                                                         {0, 1, 2, 3},
		"[ip, user, username, timestamp, request, status_code, bytes > 4000]":                     {1, 2},
		"[ip, user, username, timestamp, request, status_code = 200, bytes]":                      {0, 2},
		"[ip, user, username, timestamp, request, status_code = 4*, bytes]":                       {3},
		"[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]":              {3},
		"[ip, user, username, timestamp, request, status_code = 2* && status_code != 200, bytes]": nil,
		"[ip, user, username, timestamp, request, status_code = 5* || bytes < 1600, bytes]":       {0, 1, 3},
		"[..., request=*.html*, status_code=4*,]":                                                 {3},
		`[..., request = "GET /index.html HTTP/1.0", status_code, bytes]`:                         {3},
	})
}

func TestFilterPatternInvalid(t *testing.T) {
	_, c := newServer(t)
	mustCreate(t, c, "g", "s")
	for _, p := range []string{
		`"unterminated`,
		`%(ERROR|WARN)%`,
		`{ $.a = }`,
		`{ $.a > abc }`,
		`{ a = 1 }`,
		`{ $.a = 1`,
		`{ ($.a = 1 }`,
		`{ $.a IS MAYBE }`,
		`{ $.a = %x% || $.b = %y% || $.c = %z% }`,
		`[a, ..., b, ...]`,
		`[a > b]`,
		`ERROR -`,
	} {
		_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String(p)})
		if code := errorCode(t, err); code != "InvalidParameterException" {
			t.Errorf("pattern %s: got %v, want InvalidParameterException", p, err)
		}
	}
}
