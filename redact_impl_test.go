package cwzap

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Test values: the shapes of AWS's credentials.
const (
	_testKeyID  = "ASIAY34FZKBOKMUTVV7A"
	_testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" // AWS's documented example
	_testSig    = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
)

// randomBase64 returns n bytes from rng in standard base64.
func randomBase64(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// motoRequestID returns an id as moto makes them:
// random.get_random_string(length=52), letters and digits
// (moto/utilities/aws_headers.py, gen_amzn_requestid_long).
func motoRequestID(rng *rand.Rand) string {
	const pool = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 52)
	for i := range b {
		b[i] = pool[rng.IntN(len(pool))]
	}
	return string(b)
}

func TestRedact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	token := "IQoJb3JpZ2luX2Vj" + randomBase64(rng, 300)     // an STS token's length
	secretPlus := "AbcdEfghIjklMnopQrstUvwxYzabCdefGhij+Klm" // letters and '+', no digit
	escaped := strings.ReplaceAll(_testSecret, "/", `\/`)
	encoded := strings.ReplaceAll(_testSecret, "/", "%2F")
	encodedToken := strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(token)
	tests := []struct {
		name        string
		give        string
		wantSecrets []string // none of them may remain
	}{
		{"authorization header", "Authorization: AWS4-HMAC-SHA256 Credential=" + _testKeyID + "/20260101/us-east-1/logs/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + _testSig, []string{_testKeyID, _testSig}},
		{"short key id in a header", "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/logs/aws4_request, Signature=abc123", []string{"test/", "abc123"}},
		{"token header", "X-Amz-Security-Token: short-token", []string{"short-token"}},
		{"labelled query", "?X-Amz-Security-Token=abc%2Fdef&X-Amz-Signature=" + _testSig, []string{"abc%2Fdef", _testSig}},
		{"labelled JSON fields", `{"AccessKeyId":"` + _testKeyID + `","SecretAccessKey":"s3cr3t","SessionToken":"t0k"}`, []string{_testKeyID, "s3cr3t", "t0k"}},
		{"environment", "AWS_SECRET_ACCESS_KEY=abc AWS_SESSION_TOKEN=def", []string{"=abc", "=def"}},
		{"unlabelled", "denied for " + _testKeyID + " with " + _testSecret + " and " + token + " signed " + _testSig, []string{_testKeyID, _testSecret, token[:60], _testSig}},
		{"secret ending a sentence", "the key was " + _testSecret + ".", []string{_testSecret}},
		{"secret with '+' and no digit", "key " + secretPlus, []string{secretPlus}},
		{"secret in a JSON error body", `{"__type":"UnrecognizedClientException","message":"bad key ` + _testSecret + `"}`, []string{_testSecret}},
		{"secret in a JSON body, '/' escaped", `{"message":"bad key ` + escaped + `"}`, []string{escaped, "wJalrXUtnFEMI"}},
		{"token in a JSON error body", `{"message":"The security token ` + token + ` is expired"}`, []string{token[:60]}},
		{"secret in a query string", "GET /?Action=PutLogEvents&key=" + encoded + "&x=1", []string{encoded, "wJalrXUtnFEMI"}},
		{"token in a query string", "POST /?t=" + encodedToken + "&Version=2014", []string{encodedToken[:60]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact(tt.give)
			for _, sec := range tt.wantSecrets {
				if strings.Contains(got, sec) {
					t.Errorf("redact(%q) = %q, still holds %q", tt.give, got, sec)
				}
			}
			if !strings.Contains(got, _redacted) {
				t.Errorf("redact(%q) = %q, says nothing was redacted", tt.give, got)
			}
		})
	}
}

// Random credentials of each shape are all caught, with nothing else of
// the text around them.
func TestRedactRandomCredentials(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 {
		secret := randomBase64(rng, 30) // 40 characters, as AWS's secret keys
		token := randomBase64(rng, 200+rng.IntN(1000))
		give := fmt.Sprintf("request %d: key %s, token %s.", i, secret, token)
		want := fmt.Sprintf("request %d: key %s, token %s.", i, _redacted, _redacted+strings.Repeat("=", strings.Count(token, "=")))
		if got := redact(give); got != want {
			t.Fatalf("redact(%q) = %q, want %q", give, got, want)
		}
	}
}

// What looks like a secret to a careless rule but is a request id, a name
// or a path stays, so that an error still says what failed and where.
func TestRedactKeepsLookAlikes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	moto := motoRequestID(rng)
	tests := []struct {
		name string
		give string
	}{
		{"UUID request id", `operation error CloudWatch Logs: PutLogEvents, https response error StatusCode: 400, RequestID: 3f1c2a4e-9b7d-4c3e-8f21-0a6b5c4d3e2f, ResourceNotFoundException: The specified log group does not exist.`},
		{"moto's request id", `operation error CloudWatch Logs: PutLogEvents, https response error StatusCode: 400, RequestID: ` + moto + `, ResourceNotFoundException: The specified log group does not exist.`},
		{"S3's host id", "HostID: " + randomBase64(rng, 57)},
		{"long group name", `log group "/aws/lambda/orders-service-production-handler" does not exist and WithCreateGroup(false) is set`},
		{"long stream name", `cwzap: /app/OrdersServiceWorker2024ProductionEuWest1CanaryFleetB: 3 events not delivered`},
		{"Lambda stream name", `cwzap: /aws/lambda/f/2026/05/01/[$LATEST]0123456789abcdef0123456789abcdef: 1 event not delivered`},
		{"ARN", `User: arn:aws:sts::123456789012:assumed-role/OrdersRole/i-0abc123 is not authorized to perform: logs:PutLogEvents on resource: arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/OrdersServiceProductionHandler2026:*`},
		{"file path", `open /home/runner/work/cwzap/cwzap/testdata/Spool2026/segments/000001.seg: permission denied`},
		{"path of letters and digits", `spool /var/lib/cwzap/Spool/Orders2026/Segments/Current/Worker7/Batches: disk full`},
		{"commit id", `built from a5ac81a0c2d1e3f405968778695a4b3c2d1e0f9a`},
		{"CamelCase name of 40 letters", `stream OrdersServiceProductionHandlerEuWestStag is full`},
		{"address", `dial tcp 127.0.0.1:4566: connect: connection refused`},
		{"option", `the sync deadline passed (WithSyncTimeout 10s)`},
		{"long word", strings.Repeat("abcdefghij", 12)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact(tt.give); got != tt.give {
				t.Errorf("redact(%q) = %q, want it unchanged", tt.give, got)
			}
		})
	}
	for range 1000 {
		if id := motoRequestID(rng); redact(id) != id {
			t.Fatalf("moto's request id %s is redacted", id)
		}
	}
}

func TestWrapRedacted(t *testing.T) {
	cause := errors.New("denied:\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/logs/aws4_request")
	err := wrapRedacted("cwzap: put retention policy on \"g\"", cause)
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(%v, cause) = false", err)
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)} {
		if strings.Contains(text, "AKIA") || strings.Contains(text, "\n") {
			t.Errorf("wrapped text %q holds the key id or a line break", text)
		}
	}
	if wrapRedacted("context", nil) != nil {
		t.Error("wrapRedacted of nil is not nil")
	}
}
