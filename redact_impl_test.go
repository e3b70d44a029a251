package cwzap

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	const (
		keyID  = "ASIAY34FZKBOKMUTVV7A"
		secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		token  = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDabc123XYZ+token=="
		sig    = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	)
	tests := []struct {
		name    string
		give    string
		secrets []string
	}{
		{"authorization header", "Authorization: AWS4-HMAC-SHA256 Credential=" + keyID + "/20260101/us-east-1/logs/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig, []string{keyID, sig}},
		{"short key id in a header", "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/logs/aws4_request, Signature=abc123", []string{"test/", "abc123"}},
		{"token header", "X-Amz-Security-Token: short-token", []string{"short-token"}},
		{"token query", "?X-Amz-Security-Token=abc%2Fdef&X-Amz-Signature=" + sig, []string{"abc%2Fdef", sig}},
		{"JSON fields", `{"AccessKeyId":"` + keyID + `","SecretAccessKey":"s3cr3t","SessionToken":"t0k"}`, []string{keyID, "s3cr3t", "t0k"}},
		{"environment", "AWS_SECRET_ACCESS_KEY=abc AWS_SESSION_TOKEN=def", []string{"=abc", "=def"}},
		{"unlabelled", "denied for " + keyID + " with " + secret + " and " + token + " signed " + sig, []string{keyID, secret, "IQoJb3JpZ2luX2VjEJr", sig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact(tt.give)
			for _, sec := range tt.secrets {
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

func TestRedactKeepsOrdinaryText(t *testing.T) {
	for _, give := range []string{
		`PutLogEvents: https response error StatusCode: 400, RequestID: 3f1c2a4e-9b7d-4c3e-8f21-0a6b5c4d3e2f, ResourceNotFoundException: The specified log group does not exist.`,
		`log group "/aws/lambda/orders-service-production-handler" does not exist and WithCreateGroup(false) is set`,
		`User: arn:aws:sts::123456789012:assumed-role/OrdersRole/i-0abc123 is not authorized to perform: logs:PutLogEvents`,
		`dial tcp 127.0.0.1:4566: connect: connection refused`,
		`the sync deadline passed (WithSyncTimeout 10s)`,
		strings.Repeat("abcdefghij", 8), // a long word without digits or capitals
	} {
		if got := redact(give); got != give {
			t.Errorf("redact(%q) = %q, want it unchanged", give, got)
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
