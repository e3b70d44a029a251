package cwzaplambda

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap/zapcore"
)

// Lambda's advanced logging controls. With the JSON log format
// (AWS_LAMBDA_LOG_FORMAT=JSON), Lambda reads each line a function writes
// to standard output as a JSON object: it takes the level from "level"
// (TRACE, DEBUG, INFO, WARN, ERROR, FATAL; anything else is INFO) and the
// time from "timestamp" if it is RFC 3339, and with an application log
// level (AWS_LAMBDA_LOG_LEVEL) it drops the lines below it. ("Log-level
// filtering", AWS Lambda Developer Guide.)

// lambdaJSONFormat tells whether the function's log format is JSON.
func lambdaJSONFormat() bool {
	return strings.EqualFold(os.Getenv("AWS_LAMBDA_LOG_FORMAT"), "JSON")
}

// lambdaLogLevel is the zap level of AWS_LAMBDA_LOG_LEVEL: TRACE and
// DEBUG are zap's Debug, FATAL its Fatal; unset or unknown is Info.
func lambdaLogLevel() zapcore.Level {
	switch strings.ToUpper(os.Getenv("AWS_LAMBDA_LOG_LEVEL")) {
	case "TRACE", "DEBUG":
		return zapcore.DebugLevel
	case "WARN":
		return zapcore.WarnLevel
	case "ERROR":
		return zapcore.ErrorLevel
	case "FATAL":
		return zapcore.FatalLevel
	}
	return zapcore.InfoLevel
}

// lambdaLines is the fallback writer of NewSyncer under the JSON log
// format: it rewrites, in each line in cwzap's JSON layout, the level to
// Lambda's name (WARNING → WARN, CRITICAL → FATAL) and the default
// timestamp (2006-01-02 15:04:05,000, UTC) to RFC 3339, so that Lambda's
// level filter keeps what it should. Other lines pass unchanged. It
// expects whole lines per call, as the Syncer writes them.
type lambdaLines struct {
	mu  sync.Mutex // guards buf and serialises writes to w
	w   io.Writer
	buf []byte
}

func (l *lambdaLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = l.buf[:0]
	for rest := p; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		l.buf = appendLambdaLine(l.buf, line)
	}
	if _, err := l.w.Write(l.buf); err != nil {
		return 0, err
	}
	if cap(l.buf) > 1<<20 {
		l.buf = nil // one huge batch does not stay
	}
	return len(p), nil
}

const (
	_tsPrefix    = `{"timestamp":"`
	_levelPrefix = `","level":"`
	_asctime     = "2006-01-02 15:04:05,000"
)

// appendLambdaLine appends line to dst with its timestamp and level in
// Lambda's form, or unchanged when it does not start as cwzap's JSON
// layout does.
func appendLambdaLine(dst, line []byte) []byte {
	rest, ok := bytes.CutPrefix(line, []byte(_tsPrefix))
	if !ok {
		return append(dst, line...)
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return append(dst, line...)
	}
	ts, rest := rest[:end], rest[end:]
	rest, ok = bytes.CutPrefix(rest, []byte(_levelPrefix))
	if !ok {
		return append(dst, line...)
	}
	end = bytes.IndexByte(rest, '"')
	if end < 0 {
		return append(dst, line...)
	}
	level, rest := rest[:end], rest[end:]
	dst = append(dst, _tsPrefix...)
	if t, err := time.ParseInLocation(_asctime, string(ts), time.UTC); err == nil {
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	} else {
		dst = append(dst, ts...) // a custom time encoder's text, as it is
	}
	dst = append(dst, _levelPrefix...)
	switch string(level) {
	case "WARNING":
		dst = append(dst, "WARN"...)
	case "CRITICAL":
		dst = append(dst, "FATAL"...)
	default:
		dst = append(dst, level...)
	}
	return append(dst, rest...)
}
