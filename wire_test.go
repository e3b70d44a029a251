package cwzap_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

var checkout = map[string]string{"Type": "Service", "Name": "checkout", "Environment": "prod"}

func TestEntityIsSent(t *testing.T) {
	attrs := map[string]string{"PlatformType": "Generic", "Host": "web-1"}
	tests := []struct {
		name string
		opts []cwzap.SyncerOption
	}{
		{"compressed", []cwzap.SyncerOption{cwzap.WithCompression(true)}},
		{"uncompressed", []cwzap.SyncerOption{cwzap.WithCompression(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, append(tt.opts, cwzap.WithEntity(checkout, attrs))...)
			f.syncer.Write([]byte("hello"))
			f.syncOK(t)
			got, ok := f.srv.Entity(f.group, f.stream)
			if !ok || !reflect.DeepEqual(got.KeyAttributes, checkout) || !reflect.DeepEqual(got.Attributes, attrs) {
				t.Errorf("entity = %+v, %v; want %v and %v", got, ok, checkout, attrs)
			}
			if m := f.messages(t); len(m) != 1 || m[0] != "hello" {
				t.Errorf("events = %q", m)
			}
		})
	}
}

// plainClient hides the SDK client's type: the Syncer then passes inputs.
type plainClient struct{ cwzap.Client }

func TestEntityIsSentByAnyClient(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	f := newFixtureOn(t, srv, cwzap.WithClient(plainClient{srv.Client()}), cwzap.WithEntity(checkout, nil))
	f.syncer.Write([]byte("hello"))
	f.syncOK(t)
	if got, ok := srv.Entity(f.group, f.stream); !ok || !reflect.DeepEqual(got.KeyAttributes, checkout) {
		t.Errorf("entity = %+v, %v; want %v", got, ok, checkout)
	}
}

func TestEntityRejectedIsReportedOnceAndNeverFailsAPut(t *testing.T) {
	f := newFixture(t, cwzap.WithEntity(map[string]string{"Type": "Planet", "Name": "mars"}, nil))
	for range 3 {
		f.syncer.Write([]byte("hello"))
		f.syncOK(t)
	}
	if st := f.syncer.Stats(); st.Delivered != 3 || st.Batches != 3 || st.Fallback != 0 {
		t.Errorf("stats = %+v, want 3 batches delivered", st)
	}
	errs := f.errs.all()
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "cwzap: ") || !strings.Contains(errs[0].Error(), "InvalidTypeValue") {
		t.Errorf("error handler got %v, want one report of InvalidTypeValue", errs)
	}
	if _, ok := f.srv.Entity(f.group, f.stream); ok {
		t.Error("the server kept an entity it rejected")
	}
}

func TestWithEntityIsValidated(t *testing.T) {
	many := map[string]string{}
	for _, k := range strings.Split("a b c d e f g h i j k", " ") {
		many[k] = "v"
	}
	tests := []struct {
		name      string
		give, att map[string]string
		want      string
	}{
		{"one key attribute", map[string]string{"Type": "Service"}, nil, "1 key attribute; want 2 to 4 of Type, ResourceType, Identifier, Name, Environment"},
		{"five key attributes", map[string]string{"Type": "Service", "Name": "n", "Environment": "e", "Identifier": "i", "ResourceType": "r"}, nil, "5 key attributes; want 2 to 4 of Type, ResourceType, Identifier, Name, Environment"},
		{"an unknown key attribute", map[string]string{"Type": "Service", "Team": "core"}, nil, `key attribute "Team": want one of Type, ResourceType, Identifier, Name, Environment`},
		{"an empty value", map[string]string{"Type": "Service", "Name": ""}, nil, `key attribute Name = "": want 1 to 512 characters`},
		{"a value too long", map[string]string{"Type": "Service", "Name": strings.Repeat("n", 513)}, nil, "want 1 to 512 characters"},
		{"eleven attributes", checkout, many, "11 attributes; the service takes at most 10"},
		{"an attribute name too long", checkout, map[string]string{strings.Repeat("k", 257): "v"}, "want a name of 1 to 256 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cwzap.NewSyncer("g", "s", cwzap.WithClient(plainClient{}), cwzap.WithEntity(tt.give, tt.att))
			if err == nil || !strings.HasPrefix(err.Error(), "cwzap: WithEntity: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewSyncer = %v, want an error about %s", err, tt.want)
			}
		})
	}
}

// The names WithEntity takes are the service's, whatever a caller does
// with the slice EntityKeyAttributeNames returns.
func TestEntityKeyAttributeNamesIsACopy(t *testing.T) {
	names := cwzap.EntityKeyAttributeNames()
	want := []string{"Type", "ResourceType", "Identifier", "Name", "Environment"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("EntityKeyAttributeNames() = %q, want %q", names, want)
	}
	for i := range names {
		names[i] = "Team"
	}
	if got := cwzap.EntityKeyAttributeNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("after changing a returned slice, EntityKeyAttributeNames() = %q, want %q", got, want)
	}
	if _, err := cwzap.NewSyncer("g", "s", cwzap.WithClient(plainClient{}), cwzap.WithEntity(map[string]string{"Team": "core", "Name": "n"}, nil)); err == nil {
		t.Error("WithEntity took the key attribute Team")
	}
	s, err := cwzap.NewSyncer("g", "s", cwzap.WithClient(plainClient{}), cwzap.WithEntity(checkout, nil))
	if err != nil {
		t.Fatalf("WithEntity refused the service's names: %v", err)
	}
	s.Close()
}

// wireLog records what each PutLogEvents request put on the wire.
type wireLog struct {
	mu       sync.Mutex
	inner    aws.HTTPClient
	encoding []string
	sizes    []int64
	bodies   [][]byte
}

func (l *wireLog) Do(r *http.Request) (*http.Response, error) {
	if r.Header.Get("X-Amz-Target") == "Logs_20140328.PutLogEvents" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		l.mu.Lock()
		l.encoding = append(l.encoding, r.Header.Get("Content-Encoding"))
		l.sizes = append(l.sizes, r.ContentLength)
		l.bodies = append(l.bodies, body)
		l.mu.Unlock()
	}
	return l.inner.Do(r)
}

func TestCompressionOnTheWire(t *testing.T) {
	msg := []byte(`{"timestamp":"2026-12-04 10:00:00,000","level":"INFO","location":"root","message":"request done","path":"/api/v1/items","status":200}`)
	sent := map[bool]*wireLog{}
	for _, on := range []bool{true, false} {
		srv := cwlogstest.NewServer()
		t.Cleanup(srv.Close)
		log := &wireLog{}
		client := srv.Client(func(o *cloudwatchlogs.Options) { log.inner = o.HTTPClient; o.HTTPClient = log })
		f := newFixtureOn(t, srv, cwzap.WithClient(client), cwzap.WithCompression(on))
		f.createStream(t)
		for range 1000 {
			f.syncer.Write(msg)
		}
		f.syncOK(t)
		if m := f.messages(t); len(m) != 1000 || m[999] != string(msg) {
			t.Fatalf("compression %v: stream holds %d events", on, len(m))
		}
		sent[on] = log
	}
	z, plain := sent[true], sent[false]
	if len(z.sizes) != 1 || len(plain.sizes) != 1 {
		t.Fatalf("puts: %d and %d, want one each", len(z.sizes), len(plain.sizes))
	}
	if z.encoding[0] != "gzip" || plain.encoding[0] != "" {
		t.Errorf("Content-Encoding = %q and %q, want gzip and none", z.encoding[0], plain.encoding[0])
	}
	if z.sizes[0]*5 > plain.sizes[0] {
		t.Errorf("compressed body %d bytes, plain %d: want at least 5 times smaller", z.sizes[0], plain.sizes[0])
	}
	zr, err := gzip.NewReader(bytes.NewReader(z.bodies[0]))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// The two runs differ only in the events' times, which have the same
	// length.
	var body struct{ LogEvents []struct{ Message string } }
	if err := json.Unmarshal(unzipped, &body); err != nil || len(unzipped) != len(plain.bodies[0]) ||
		len(body.LogEvents) != 1000 || body.LogEvents[0].Message != string(msg) {
		t.Errorf("the compressed body (%d bytes, err %v) is not a body like the plain one (%d bytes)", len(unzipped), err, len(plain.bodies[0]))
	}
}

func TestCompressionKeepsTheBatchLimits(t *testing.T) {
	// Events that compress to almost nothing still fill a batch by their
	// uncompressed size, as the service counts it.
	f := newFixture(t, cwzap.WithCompression(true))
	f.createStream(t)
	event := bytes.Repeat([]byte("a"), 100_000)
	for range 21 {
		f.syncer.Write(event)
	}
	f.syncOK(t)
	if st := f.syncer.Stats(); st.Delivered != 21 || st.Batches != 3 {
		t.Errorf("stats = %+v, want 21 events in 3 batches of at most 1,048,576 service bytes", st)
	}
}

func TestEntityWithTheDefaultConfiguration(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	s, err := cwzap.NewSyncer("g", "s", cwzap.WithEntity(checkout, nil), cwzap.WithCompression(true))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Write([]byte("hello"))
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if got, ok := srv.Entity("g", "s"); !ok || !reflect.DeepEqual(got.KeyAttributes, checkout) {
		t.Errorf("entity = %+v, %v; want %v", got, ok, checkout)
	}
}
