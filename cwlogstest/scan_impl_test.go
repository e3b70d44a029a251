package cwlogstest

import (
	"encoding/json"
	"testing"
)

func TestParsePut(t *testing.T) {
	body := `{ "entity": {"keyAttributes": {"a": "b"}, "attributes": {}, "x": [1, 2.5e3, true, null, "q\"]"]},
	  "logGroupName": "g\/1", "logStreamName": "s", "sequenceToken": null,
	  "logEvents": [ {"timestamp": 1700000000000, "message": "a\"b\\c\n\u00e9\ud83d\ude00\ud800x\u0001"},
	                 {"message": "plain", "timestamp": 2, "extra": {}} ] }`
	var want struct {
		LogEvents []struct{ Message string }
	}
	if err := json.Unmarshal([]byte(body), &want); err != nil {
		t.Fatal(err)
	}
	b := []byte(body)
	var req putRequest
	if err := parsePut(b, &req, true); err != nil {
		t.Fatal(err)
	}
	if req.group != "g/1" || req.stream != "s" || req.token != "" || len(req.events) != 2 {
		t.Fatalf("parsed %+v", req)
	}
	for i, e := range req.events {
		if got := string(b[e.start:e.end]); got != want.LogEvents[i].Message {
			t.Errorf("message %d = %q, want %q", i, got, want.LogEvents[i].Message)
		}
	}
	if req.events[0].ts != 1700000000000 || req.events[1].ts != 2 {
		t.Errorf("timestamps %d %d", req.events[0].ts, req.events[1].ts)
	}
}

func TestParsePutMalformed(t *testing.T) {
	for _, body := range []string{``, `{`, `{"logEvents":[{"message":"x}]}`, `{"logEvents":[{"message":"\q"}]}`, `{"a" 1}`, `{"logEvents":{}}`, `{"logEvents":[{"timestamp":x}]}`} {
		var req putRequest
		if err := parsePut([]byte(body), &req, false); err == nil {
			t.Errorf("%q parsed", body)
		}
	}
}
