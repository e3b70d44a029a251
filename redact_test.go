package cwzap_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// echoServer is a CloudWatch Logs endpoint that answers with an error whose
// message echoes the signed request, as a misconfigured proxy or a debug
// build of a service might. It records the signatures it saw, so that the
// test can look for them.
type echoServer struct {
	mode string // see TestRedactEndToEnd

	mu         sync.Mutex
	signatures []string
	groupMade  bool
}

var _signature = regexp.MustCompile(`Signature=([0-9a-f]+)`)

func (s *echoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	token := r.Header.Get("X-Amz-Security-Token")
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	if m := _signature.FindStringSubmatch(auth); m != nil {
		s.signatures = append(s.signatures, m[1])
	}
	groupMade := s.groupMade
	s.mu.Unlock()

	echo := fmt.Sprintf("request was:\nAuthorization: %s\nX-Amz-Security-Token: %s\n(key %s, token %s, signature %s)",
		auth, token, keyIDOf(auth), token, sigOf(auth))
	answer := func(status int, code string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": echo})
	}
	switch {
	case s.mode == "denied":
		answer(http.StatusBadRequest, "AccessDeniedException")
	case s.mode == "unavailable":
		answer(http.StatusServiceUnavailable, "ServiceUnavailableException")
	case s.mode == "retention" && (op == "PutLogEvents" || op == "CreateLogStream") && !groupMade:
		answer(http.StatusBadRequest, "ResourceNotFoundException")
	case s.mode == "retention" && op == "CreateLogGroup":
		s.mu.Lock()
		s.groupMade = true
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, "{}")
	case s.mode == "retention" && op == "PutRetentionPolicy":
		answer(http.StatusBadRequest, "AccessDeniedException")
	default: // retention: everything else succeeds
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, "{}")
	}
}

func (s *echoServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.signatures...)
}

func keyIDOf(auth string) string {
	_, rest, _ := strings.Cut(auth, "Credential=")
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func sigOf(auth string) string {
	_, sig, _ := strings.Cut(auth, "Signature=")
	return sig
}

// captureStderr redirects os.Stderr until the returned function is called,
// which restores it and returns what was written.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	return func() string {
		os.Stderr = saved
		w.Close()
		out := <-done
		r.Close()
		return out
	}
}

// memoryHTTP serves h over in-memory connections until the test ends, as
// cwlogstest does with InMemory, and returns a client that reaches it at
// any URL: in a bubble, where a loopback socket would keep the clock from
// moving. Start it inside the bubble.
func memoryHTTP(t *testing.T, h http.Handler) *http.Client {
	ln := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	srv := &http.Server{Handler: h}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	tr := &http.Transport{DialContext: ln.dial}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
		<-served
	})
	return &http.Client{Transport: tr}
}

// pipeListener is a net.Listener of in-memory connections, each one end of
// a net.Pipe whose other end dial returns.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.UnixAddr{Name: "memory", Net: "pipe"} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestRedactEndToEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tokenBytes := make([]byte, 300)
	for i := range tokenBytes {
		tokenBytes[i] = byte(rng.Uint32())
	}
	var (
		keyID  = "AKIAIOSFODNN7EXAMPLE"
		secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		token  = base64.StdEncoding.EncodeToString(tokenBytes)
	)

	tests := []struct {
		name       string
		giveMode   string
		giveOpts   []cwzap.SyncerOption
		giveStderr bool // no error handler: the default prints to stderr
	}{
		{name: "denied, JSON error", giveMode: "denied"},
		{name: "unavailable until the put timeout", giveMode: "unavailable", giveOpts: []cwzap.SyncerOption{cwzap.WithPutTimeout(300 * time.Millisecond)}},
		{name: "retention refused", giveMode: "retention", giveOpts: []cwzap.SyncerOption{cwzap.WithRetention(1)}},
		{name: "denied, to stderr", giveMode: "denied", giveStderr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The reader of stderr is outside the bubble: a goroutine
			// reading a pipe would keep its clock from moving.
			var stderr func() string
			if tt.giveStderr {
				stderr = captureStderr(t)
			}
			echo := &echoServer{mode: tt.giveMode}
			fallback := &lockedBuffer{}
			errs := &errorLog{}
			var syncErr, closeErr error
			synctest.Test(t, func(t *testing.T) {
				client := cloudwatchlogs.NewFromConfig(aws.Config{
					Region:       "us-east-1",
					Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
					BaseEndpoint: aws.String("http://echo.invalid"),
					HTTPClient:   memoryHTTP(t, echo),
				})
				opts := []cwzap.SyncerOption{cwzap.WithClient(client), cwzap.WithFallback(fallback), cwzap.WithFlushInterval(time.Hour)}
				if !tt.giveStderr {
					opts = append(opts, cwzap.WithErrorHandler(errs.handle))
				}
				s, err := cwzap.NewSyncer("/redact", "s", append(opts, tt.giveOpts...)...)
				if err != nil {
					t.Fatal(err)
				}
				errs.attach(s)
				logger := zap.New(cwzap.NewCore(s, zap.InfoLevel))
				logger.Info("first", zap.Int("id", 1))
				syncErr = logger.Sync()
				closeErr = s.Close()
				errs.all() // every report delivered, inside the bubble
			})

			var texts []string
			add := func(what string, err error) {
				if err == nil {
					return
				}
				texts = append(texts, what+": "+err.Error(), fmt.Sprintf("%s: %v", what, err), fmt.Sprintf("%s: %+v", what, err))
				// Every error cwzap wraps is redacted too; the SDK's own
				// values deeper down are the SDK's.
				for _, e := range causes(err) {
					texts = append(texts, what+" cause: "+e.Error())
				}
			}
			add("Sync", syncErr)
			add("Close", closeErr)
			for _, err := range errs.all() {
				add("error handler", err)
			}
			texts = append(texts, "fallback: "+strings.Join(fallback.Lines(), "\n"))
			if stderr != nil {
				out := stderr()
				if out == "" {
					t.Fatal("nothing was printed to stderr")
				}
				texts = append(texts, "stderr: "+out)
			}
			reported := strings.Join(texts, "\n")
			if tt.giveMode == "retention" {
				if !strings.Contains(reported, "put retention policy") {
					t.Fatalf("the refused retention was not reported:\n%s", reported)
				}
			} else if syncErr == nil || !strings.Contains(reported, "[redacted]") {
				t.Fatalf("the failure, or its echo, was not reported: Sync %v\n%s", syncErr, reported)
			}

			sigs := echo.seen()
			if len(sigs) == 0 {
				t.Fatal("no signed request reached the server")
			}
			secrets := append([]string{keyID, secret, token}, sigs...)
			for _, text := range texts {
				for _, sec := range secrets {
					if strings.Contains(text, sec) {
						t.Errorf("%.20s… leaked in %s", sec, text)
					}
				}
			}
		})
	}
}

// causes returns the errors err wraps, down to the first error of a
// package other than cwzap (the SDK's own).
func causes(err error) []error {
	var out []error
	var walk func(error)
	walk = func(e error) {
		if e == nil || !strings.HasPrefix(fmt.Sprintf("%T", e), "*cwzap.") {
			return
		}
		out = append(out, e)
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(errors.Unwrap(err))
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		for _, c := range u.Unwrap() {
			walk(c)
		}
	}
	return out
}

// Reliability tests: the promise that every event Write or WriteEntry
// accepted ends delivered, in the fallback writer, or counted as dropped,
// under every fault cwlogstest can inject; memory through an outage; hostile
// input; and credentials that never reach an error or the fallback writer.
//
// The default run is sized for CI (`go test -race ./...`). The flag
//
//	go test -race -run 'Reliab|Memory' -cwzap.soak -timeout 30m .
//
// runs the long variants: 200,000 entries per fault instead of 10,000, and
// ten times the entries in the memory test.

// credentialSpy checks that the credentials are really used, so that the
// test of their absence in the output is not vacuous.
type credentialSpy struct {
	next           aws.HTTPClient
	sawKey, sawTok atomic.Bool
	keyID, token   string
}

func (c *credentialSpy) Do(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.Header.Get("Authorization"), c.keyID) {
		c.sawKey.Store(true)
	}
	if req.Header.Get("X-Amz-Security-Token") == c.token {
		c.sawTok.Store(true)
	}
	return c.next.Do(req)
}

func TestCredentialsNeverLeak(t *testing.T) {
	const (
		keyID  = "AKIAEXAMPLEKEYID1234"
		secret = "SECRETsecretSECRETsecret"
		token  = "SESSIONtoken"
	)
	tests := []struct {
		name       string
		giveOpts   []cwzap.SyncerOption
		giveFaults cwlogstest.Faults
		giveWrite  func(*zap.Logger)
	}{
		{
			name:       "outage until the put timeout",
			giveOpts:   []cwzap.SyncerOption{cwzap.WithPutTimeout(300 * time.Millisecond)},
			giveFaults: cwlogstest.Faults{Outage: true},
		},
		{
			name:       "connections dropped until the put timeout",
			giveOpts:   []cwzap.SyncerOption{cwzap.WithPutTimeout(300 * time.Millisecond)},
			giveFaults: cwlogstest.Faults{Drop: 1},
		},
		{
			name:     "missing group without WithCreateGroup",
			giveOpts: []cwzap.SyncerOption{cwzap.WithCreateGroup(false)},
		},
		{
			name: "rejected events",
			giveWrite: func(l *zap.Logger) {
				l.WithOptions(zap.WithClock(fixedClock(time.Now().Add(-15 * 24 * time.Hour)))).Info("old")
				l.WithOptions(zap.WithClock(fixedClock(time.Now().Add(3 * time.Hour)))).Info("ahead")
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := memoryServer(t)
				spy := &credentialSpy{next: srv.Config().HTTPClient, keyID: keyID, token: token}
				client := cloudwatchlogs.NewFromConfig(aws.Config{
					Region:       "us-east-1",
					Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
					BaseEndpoint: aws.String(srv.URL),
					HTTPClient:   spy,
				})
				srv.SetFaults(tt.giveFaults)
				fallback := &lockedBuffer{}
				errs := &errorLog{}
				s, err := cwzap.NewSyncer(fmt.Sprintf("/creds/%d", i), "s",
					append([]cwzap.SyncerOption{
						cwzap.WithClient(client),
						cwzap.WithFallback(fallback),
						cwzap.WithErrorHandler(errs.handle),
						cwzap.WithFlushInterval(time.Hour),
					}, tt.giveOpts...)...)
				if err != nil {
					t.Fatal(err)
				}
				errs.attach(s)
				logger := zap.New(cwzap.NewCore(s, zap.InfoLevel))
				if tt.giveWrite != nil {
					tt.giveWrite(logger)
				} else {
					logger.Info("first", zap.Int("id", 1))
					logger.Warn("second", zap.Error(errors.New("cause")))
				}
				syncErr := logger.Sync()
				logger.Info("after the failure")
				closeErr := s.Close()
				// A write after Close goes to the fallback with ErrClosed.
				_, afterErr := s.Write([]byte("after close"))

				var texts []string
				add := func(what string, err error) {
					if err != nil {
						texts = append(texts, what+": "+err.Error(), fmt.Sprintf("%s: %+v", what, err), fmt.Sprintf("%s: %#v", what, err))
					}
				}
				add("Sync", syncErr)
				add("Close", closeErr)
				add("Write after Close", afterErr)
				for _, err := range errs.all() {
					add("error handler", err)
				}
				if syncErr == nil || len(errs.all()) == 0 || len(fallback.Lines()) == 0 {
					t.Fatalf("the failure was not reported: Sync %v, %d handler errors, %d fallback lines", syncErr, len(errs.all()), len(fallback.Lines()))
				}
				texts = append(texts, "fallback: "+strings.Join(fallback.Lines(), "\n"))
				for _, text := range texts {
					for _, secretText := range []string{keyID, secret, token} {
						if strings.Contains(text, secretText) {
							t.Errorf("%q leaked in %s", secretText, text)
						}
					}
				}
				if !spy.sawKey.Load() || !spy.sawTok.Load() {
					t.Errorf("the requests did not carry the credentials (key id seen %v, token seen %v)", spy.sawKey.Load(), spy.sawTok.Load())
				}
			})
		})
	}
}

// A server that answers as moto does, with a 52-character request id of
// letters and digits (moto/utilities/aws_headers.py), and echoes the
// signed request: the error keeps the request id, so that it can be
// looked up, and loses the credentials.
func TestRedactKeepsTheRequestID(t *testing.T) {
	const requestID = "Yx3KqT0bWm9sLr2VfNcZ8hJdPa1gUe7oXi4ByQ6tMk5nRwEsDlAv"
	var sigs []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		auth := r.Header.Get("Authorization")
		mu.Lock()
		sigs = append(sigs, sigOf(auth))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", requestID)
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{
			"__type":  "AccessDeniedException",
			"message": "denied for " + auth + " with token " + r.Header.Get("X-Amz-Security-Token"),
		})
	}))
	defer srv.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	tokenBytes := make([]byte, 300)
	for i := range tokenBytes {
		tokenBytes[i] = byte(rng.Uint32())
	}
	keyID, secret, token := "ASIAY34FZKBOKMUTVV7A", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", base64.StdEncoding.EncodeToString(tokenBytes)
	client := cloudwatchlogs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
		BaseEndpoint: aws.String(srv.URL),
	})
	errs := &errorLog{}
	s, err := cwzap.NewSyncer("g", "s", cwzap.WithClient(client), cwzap.WithFallback(io.Discard),
		cwzap.WithErrorHandler(errs.handle), cwzap.WithFlushInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("x"))
	syncErr := s.Sync()
	s.Close()
	if syncErr == nil {
		t.Fatal("Sync = nil, want the refusal")
	}
	texts := []string{syncErr.Error()}
	for _, err := range errs.all() {
		texts = append(texts, err.Error())
	}
	mu.Lock()
	secrets := append([]string{keyID, secret, token[:60]}, sigs...)
	mu.Unlock()
	for _, text := range texts {
		if !strings.Contains(text, "RequestID: "+requestID) {
			t.Errorf("the request id is lost: %s", text)
		}
		for _, sec := range secrets {
			if strings.Contains(text, sec) {
				t.Errorf("%.20s… leaked in %s", sec, text)
			}
		}
	}
}
