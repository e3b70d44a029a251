package cwlogstest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// apiError is an answer in the service's error shape.
type apiError struct {
	status   int
	code     string
	message  string
	expected string // expectedSequenceToken, for the sequence token errors
}

func apiErr(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func invalidParam(message string) *apiError {
	return apiErr(http.StatusBadRequest, "InvalidParameterException", message)
}

func errUnavailable() *apiError {
	return apiErr(http.StatusServiceUnavailable, "ServiceUnavailableException", "The service is unavailable. Please try again later.")
}

var (
	errNoGroup  = apiErr(http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
	errNoStream = apiErr(http.StatusBadRequest, "ResourceNotFoundException", "The specified log stream does not exist.")
)

// writeError answers with the JSON 1.1 error shape the SDK decodes into a
// typed error: the code in __type and in X-Amzn-Errortype.
func writeError(w http.ResponseWriter, e *apiError) {
	body := struct {
		Type     string `json:"__type"`
		Message  string `json:"message,omitempty"`
		Expected string `json:"expectedSequenceToken,omitempty"`
	}{e.code, e.message, e.expected}
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("X-Amzn-Errortype", e.code)
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// writeJSON answers 200 with v encoded (nil: an empty object).
func writeJSON(w http.ResponseWriter, v any) {
	b := []byte("{}")
	if v != nil {
		var err error
		if b, err = json.Marshal(v); err != nil {
			writeError(w, apiErr(http.StatusInternalServerError, "InternalFailure", err.Error()))
			return
		}
	}
	writeRaw(w, b)
}

func writeRaw(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writePadded answers 200 with b after whitespace, n bytes in all, written
// a chunk at a time; it stops when the client goes away.
func writePadded(w http.ResponseWriter, b []byte, n int64) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte(" "), 32<<10)
	for left := n - int64(len(b)); left > 0; {
		c := chunk[:min(int64(len(chunk)), left)]
		if _, err := w.Write(c); err != nil {
			return
		}
		left -= int64(len(c))
	}
	_, _ = w.Write(b)
}

// buffer is a pooled request body.
type buffer struct{ B []byte }

var bufPool = sync.Pool{New: func() any { return &buffer{B: make([]byte, 0, 64<<10)} }}

func putBuf(b *buffer) {
	if cap(b.B) > 2*DefaultMaxRequestBytes {
		return
	}
	b.B = b.B[:0]
	bufPool.Put(b)
}

// readBody reads the whole body into a pooled buffer, answering 413 when it
// is over limit bytes.
func readBody(r *http.Request, limit int) (*buffer, *apiError) {
	tooLarge := apiErr(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "Request Entity Too Large")
	if r.ContentLength > int64(limit) {
		return nil, tooLarge
	}
	buf := bufPool.Get().(*buffer)
	if n := int(r.ContentLength); n > 0 && cap(buf.B) < n {
		buf.B = make([]byte, 0, n)
	}
	body := http.MaxBytesReader(nil, r.Body, int64(limit))
	for {
		if len(buf.B) == cap(buf.B) {
			buf.B = append(buf.B, 0)[:len(buf.B)]
		}
		n, err := body.Read(buf.B[len(buf.B):cap(buf.B)])
		buf.B = buf.B[:len(buf.B)+n]
		if err == io.EOF {
			if r.Header.Get("Content-Encoding") == "gzip" {
				return gunzip(buf, limit)
			}
			return buf, nil
		}
		if err != nil {
			putBuf(buf)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge
			}
			return nil, apiErr(http.StatusBadRequest, "SerializationException", "cannot read request body: "+err.Error())
		}
	}
}

// decode unmarshals a request body, answering SerializationException on
// malformed JSON as the service does.
func decode(body []byte, v any) *apiError {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return apiErr(http.StatusBadRequest, "SerializationException", err.Error())
	}
	return nil
}

// gunzip replaces a gzip-compressed body with its content, which the
// limit applies to as well: the service limits what it stores, not what
// crossed the wire.
func gunzip(z *buffer, limit int) (*buffer, *apiError) {
	defer putBuf(z)
	zr, err := gzip.NewReader(bytes.NewReader(z.B))
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, "SerializationException", "Content-Encoding gzip: "+err.Error())
	}
	buf := bufPool.Get().(*buffer)
	buf.B = buf.B[:0]
	n, err := io.Copy(appendWriter{buf}, io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		putBuf(buf)
		return nil, apiErr(http.StatusBadRequest, "SerializationException", "Content-Encoding gzip: "+err.Error())
	}
	if n > int64(limit) {
		putBuf(buf)
		return nil, apiErr(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "Request Entity Too Large")
	}
	return buf, nil
}

type appendWriter struct{ b *buffer }

func (w appendWriter) Write(p []byte) (int, error) {
	w.b.B = append(w.b.B, p...)
	return len(p), nil
}
