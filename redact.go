package cwzap

import (
	"regexp"
	"strings"
)

// Redaction: an endpoint's error message may echo the signed request (the
// Authorization header, X-Amz-Security-Token), and the SDK puts that
// message in its error's text. Every error text cwzap passes on (the error
// handler, Sync and Close errors, stderr) goes through redact, so that no
// access key id, secret key, session token or signature leaves it, whatever
// the server echoes. It matches shapes, not known values: a Syncer built
// WithClient never sees the credentials.

// _redacted replaces each secret.
const _redacted = "[redacted]"

var (
	// _labelled finds a value after the name of a secret-bearing header,
	// query parameter, environment variable or field: "X-Amz-Security-Token:
	// …", "X-Amz-Signature=…", `"SessionToken":"…"`, "aws_secret_access_key
	// = …".
	_labelled = regexp.MustCompile(`(?i)((?:x-amz-(?:security-token|signature|credential)|aws_(?:session_token|secret_access_key|access_key_id|security_token)` +
		`|secret_?access_?key|session_?token|access_?key_?id|security_?token)["']?\s*[:=]\s*["']?)([^\s"'&,;]+)`)
	// _sigv4 finds the key id and the signature in a SigV4 Authorization
	// header: "Credential=AKID/20260101/us-east-1/logs/aws4_request, …,
	// Signature=hex".
	_sigv4 = regexp.MustCompile(`(?i)((?:Credential|Signature)=)([^/\s,"';&]+)`)
	// _keyID finds AWS access key ids: a four-letter prefix of the kind of
	// key, then 16 upper-case letters and digits.
	_keyID = regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|AGPA)[A-Z0-9]{16}\b`)
	// _opaque finds the other secrets by shape when they come unlabelled:
	// a run of 40 or more base64 characters (a secret key is 40, a session
	// token hundreds) or 64 hex digits (a signature).
	_opaque = regexp.MustCompile(`[A-Za-z0-9+/]{40,}={0,2}|\b[0-9a-fA-F]{64}\b`)
)

// redact returns s without the credentials it may hold. It runs on error
// paths only.
func redact(s string) string {
	s = _labelled.ReplaceAllString(s, "${1}"+_redacted)
	s = _sigv4.ReplaceAllString(s, "${1}"+_redacted)
	s = _keyID.ReplaceAllString(s, _redacted)
	return _opaque.ReplaceAllStringFunc(s, func(run string) string {
		if isOpaque(run) {
			return _redacted
		}
		return run
	})
}

// redactLine returns msg on one line, its line breaks turned into "; ",
// redacted.
func redactLine(msg string) string {
	return redact(strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' }), "; "))
}

// isOpaque tells a secret from a long word or path: a base64 secret mixes
// upper case, lower case and digits; a hex run of 64 is a signature.
func isOpaque(run string) bool {
	if len(run) == 64 && strings.Trim(run, "0123456789abcdefABCDEF") == "" {
		return true
	}
	var upper, lower, digit bool
	for i := 0; i < len(run); i++ {
		switch c := run[i]; {
		case 'A' <= c && c <= 'Z':
			upper = true
		case 'a' <= c && c <= 'z':
			lower = true
		case '0' <= c && c <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}

// redactedError carries an error whose text may hold what the server
// echoed: its Error is the redacted text, and Unwrap still gives the
// cause to errors.Is and errors.As. The SDK's own error values reached that
// way keep the SDK's text.
type redactedError struct {
	text string // redacted
	err  error
}

func (e *redactedError) Error() string { return e.text }

func (e *redactedError) Unwrap() error { return e.err }

// wrapRedacted returns an error reading "context: err" on one line,
// redacted, that unwraps to err; nil when err is nil.
func wrapRedacted(context string, err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{text: context + ": " + redactLine(err.Error()), err: err}
}
