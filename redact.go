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
//
// What is removed:
//
//   - the value after a secret's label, whatever its shape: the headers and
//     query parameters X-Amz-Security-Token, X-Amz-Signature and
//     X-Amz-Credential, the SigV4 header's Credential= and Signature=, the
//     variables and fields AWS_SECRET_ACCESS_KEY, SecretAccessKey,
//     SessionToken, AccessKeyId and their kin;
//   - an access key id: AKIA, ASIA and the other kinds' four letters, then
//     16 capitals and digits;
//   - a token (see below) of exactly 64 hex digits: a SigV4 signature;
//   - a token of exactly 40 base64 characters (letters, digits, '+', '/')
//     that mixes capitals, small letters and a digit, '+' or '/': the shape
//     of a secret access key;
//   - a token of 100 or more base64 characters that mixes capitals, small
//     letters and digits: a session token (STS's are several hundred; the
//     '=' padding after it stays).
//
// A token is a run of letters, digits, '+', '/', '.', '_' and '-', where
// %2B and %2F (a query string's '+' and '/') and \/ (JSON's escaped '/')
// count as one character each, and one trailing '.' ends a
// sentence rather than the token. Base64 never holds '.', '_' or '-', so a
// token holding one is a name, kept whatever its length: UUIDs, ARNs (split
// at ':'), host names, log group and stream names, file names. What else is
// kept: request ids as services and emulators write them (a UUID; moto's
// 52 letters and digits, random.get_random_string(length=52)), S3's
// 76-character host ids, names and paths of letters, digits and '/' of
// other lengths than 40 and shorter than 100, words without digits, '+' or
// '/', and hex runs of other lengths (commit ids, request ids).
//
// The price of catching unlabelled secrets: a name of exactly 40 letters,
// digits and '/' mixing both cases and a digit or '/' (or 100 and more
// mixing all three) reads as a secret and is redacted, as is a standalone
// 64-digit hex digest.

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
)

// The lengths of the unlabelled secrets, in characters.
const (
	_secretKeyLen    = 40  // a secret access key
	_signatureLen    = 64  // a SigV4 signature, in hex
	_sessionTokenMin = 100 // a session token, at least
)

// redact returns s without the credentials it may hold. It runs on error
// paths only.
func redact(s string) string {
	s = _labelled.ReplaceAllString(s, "${1}"+_redacted)
	s = _sigv4.ReplaceAllString(s, "${1}"+_redacted)
	s = _keyID.ReplaceAllString(s, _redacted)
	return redactTokens(s)
}

// redactLine returns msg on one line, its line breaks turned into "; ",
// redacted.
func redactLine(msg string) string {
	return redact(strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' }), "; "))
}

// redactTokens replaces each token of s that has the shape of an unlabelled
// secret.
func redactTokens(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b, or nothing was replaced yet
	for i := 0; i < len(s); {
		n := tokenChar(s, i)
		if n == 0 {
			i++
			continue
		}
		start := i
		for n > 0 {
			i += n
			n = tokenChar(s, i)
		}
		end := i
		if s[end-1] == '.' {
			end-- // a sentence's full stop
		}
		if isSecret(s[start:end]) {
			b.WriteString(s[done:start])
			b.WriteString(_redacted)
			done = end
		}
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// tokenChar returns the length of the token character at s[i], 0 if there
// is none: one byte, three for %2B and %2F, two for \/.
func tokenChar(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch c := s[i]; {
	case isAlnum(c), c == '+', c == '/', c == '.', c == '_', c == '-':
		return 1
	case c == '%' && i+2 < len(s) && s[i+1] == '2' && strings.ContainsRune("BbFf", rune(s[i+2])):
		return 3
	case c == '\\' && i+1 < len(s) && s[i+1] == '/':
		return 2
	}
	return 0
}

// isSecret reports whether a token has the shape of a signature, a secret
// key or a session token (see the top of the file).
func isSecret(tok string) bool {
	var n int // characters, an encoded one counting once
	var upper, lower, digit, sym, nonHex bool
	for i := 0; i < len(tok); i += tokenChar(tok, i) {
		n++
		switch c := tok[i]; {
		case 'A' <= c && c <= 'Z':
			upper = true
			nonHex = nonHex || c > 'F'
		case 'a' <= c && c <= 'z':
			lower = true
			nonHex = nonHex || c > 'f'
		case '0' <= c && c <= '9':
			digit = true
		case c == '+', c == '/', c == '%', c == '\\':
			sym, nonHex = true, true
		default: // '.', '_', '-': a name
			return false
		}
	}
	switch {
	case n == _signatureLen && !nonHex:
		return true
	case n == _secretKeyLen:
		return upper && lower && (digit || sym)
	case n >= _sessionTokenMin:
		return upper && lower && digit
	}
	return false
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
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
