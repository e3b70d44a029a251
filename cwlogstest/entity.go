package cwlogstest

import (
	"encoding/json"
	"slices"
	"sync"
	"unicode/utf8"
)

// The entity of PutLogEvents: the resource or service that wrote the
// events. The server checks it as the API reference
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_Entity.html)
// and the user guide's "How to add related information to telemetry"
// describe, and never fails a put for it: a bad entity is answered with
// rejectedEntityInfo, and the events are stored.

// Entity is an entity the server accepted.
type Entity struct {
	KeyAttributes map[string]string
	Attributes    map[string]string
}

// entityTypes are the values of the Type key attribute, each with the key
// attributes it requires.
var entityTypes = map[string][]string{
	"AWS::Resource": {"ResourceType", "Identifier"},
	"AWS::Service":  {"Name"},
	"Service":       {"Name", "Environment"},
	"Resource":      {"ResourceType", "Identifier"},
	"RemoteService": {"Name"},
}

var entityKeys = []string{"Type", "ResourceType", "Identifier", "Name", "Environment"}

// entityStore keeps the last entity accepted on each stream.
type entityStore struct {
	mu   sync.Mutex // guards last
	last map[[2]string]Entity
}

// Entity returns the entity of the last put to group/stream that carried
// one the server accepted, and whether there was one.
func (s *Server) Entity(group, stream string) (Entity, bool) {
	s.entities.mu.Lock()
	defer s.entities.mu.Unlock()
	e, ok := s.entities.last[[2]string{group, stream}]
	return e, ok
}

// checkEntity returns the errorType of rejectedEntityInfo for the raw
// entity of a put, or "" when it is accepted (and then kept).
func (s *Server) checkEntity(group, stream string, raw []byte) string {
	var e Entity
	var wire struct {
		KeyAttributes map[string]string `json:"keyAttributes"`
		Attributes    map[string]string `json:"attributes"`
	}
	if json.Unmarshal(raw, &wire) != nil {
		return "InvalidEntity"
	}
	e.KeyAttributes, e.Attributes = wire.KeyAttributes, wire.Attributes
	if t := entityError(e); t != "" {
		return t
	}
	s.entities.mu.Lock()
	defer s.entities.mu.Unlock()
	if s.entities.last == nil {
		s.entities.last = make(map[[2]string]Entity)
	}
	s.entities.last[[2]string{group, stream}] = e
	return ""
}

func entityError(e Entity) string {
	if n := len(e.KeyAttributes); n < 2 || n > 4 {
		return "InvalidKeyAttributes"
	}
	for k, v := range e.KeyAttributes {
		if !slices.Contains(entityKeys, k) || !lenOK(v, 512) {
			return "InvalidKeyAttributes"
		}
	}
	if len(e.Attributes) > 10 {
		return "InvalidAttributes"
	}
	for k, v := range e.Attributes {
		if !lenOK(k, 256) || !lenOK(v, 512) {
			return "InvalidAttributes"
		}
	}
	t, ok := e.KeyAttributes["Type"]
	if !ok {
		return "MissingRequiredFields"
	}
	required, ok := entityTypes[t]
	if !ok {
		return "InvalidTypeValue"
	}
	for _, k := range required {
		if _, ok := e.KeyAttributes[k]; !ok {
			return "MissingRequiredFields"
		}
	}
	return ""
}

func lenOK(s string, max int) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= max
}

// withRejectedEntity adds rejectedEntityInfo to a PutLogEvents answer.
func withRejectedEntity(answer []byte, errorType string) []byte {
	answer = answer[:len(answer)-1] // the closing '}'
	answer = append(answer, `,"rejectedEntityInfo":{"errorType":"`...)
	answer = append(answer, errorType...)
	return append(answer, `"}}`...)
}
