package cwlogstest

import (
	"context"
	"errors"
	"fmt"
	"github.com/aws/smithy-go/middleware"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// targetPrefix is the X-Amz-Target prefix of the CloudWatch Logs JSON API.
const targetPrefix = "Logs_20140328."

// DefaultMaxRequestBytes caps a raw request body unless MaxRequestBytes says
// otherwise. A PutLogEvents batch holds at most 1 MiB of message bytes, but
// JSON escaping can make the body larger: up to about 6.7 MiB when every
// byte is a control character sent as \u00XX.
const DefaultMaxRequestBytes = 8 << 20

// Fake identity used in ARNs and by Config's static credentials.
const (
	region    = "us-east-1"
	accountID = "123456789012"
)

// A Server is an in-process CloudWatch Logs endpoint listening on loopback,
// for use in tests. It keeps log groups, streams and events in memory.
//
// Create one with NewServer, or with NewUnstartedServer to set the exported
// fields first. The caller must call Close when done. All methods are safe
// for concurrent use.
type Server struct {
	// URL is the base URL of the server, http://127.0.0.1:port, with no
	// trailing slash. It is set by Start.
	URL string

	// SequenceTokens makes PutLogEvents check sequence tokens like the
	// service did before 2023: a wrong or missing token on a stream that
	// has received events gets InvalidSequenceTokenException, and a repeat
	// of the previous put gets DataAlreadyAcceptedException. The default
	// (false) ignores tokens, as the service does today. Either way
	// PutLogEvents returns nextSequenceToken and DescribeLogStreams the
	// matching uploadSequenceToken, as the service still does. Set it
	// before Start.
	SequenceTokens bool

	// DiscardEvents makes PutLogEvents validate and count events without
	// keeping their messages, so benchmarks don't grow the heap. Events,
	// AllEvents and GetLogEvents then return nothing; EventCount and the
	// stream statistics still count. Set it before Start. Default false.
	DiscardEvents bool

	// LiveTailInterval is how often a StartLiveTail session sends a
	// sessionUpdate; zero means DefaultLiveTailInterval (1 s, as the
	// service). LiveTailTimeout ends a session with a
	// SessionTimeoutException; zero means DefaultLiveTailTimeout (3 hours).
	// Set them before Start.
	LiveTailInterval time.Duration
	LiveTailTimeout  time.Duration

	// MaxRequestBytes caps a raw request body: a larger one is answered with
	// 413 RequestEntityTooLargeException, as a proxy or the service's front
	// end would. Zero means DefaultMaxRequestBytes. Set it before Start.
	MaxRequestBytes int

	// InMemory makes the server serve over in-memory connections instead
	// of a loopback port: only its Client and Config reach it, and its URL
	// (http://cwlogstest.invalid) names no real address. Use it in tests
	// run with testing/synctest, whose fake clock moves only when every
	// goroutine of the test waits on something of the test's own, which a
	// socket is not: start the server inside the bubble, and deadlines,
	// backoff and Latency faults take no real time. Set it before Start.
	// Default false.
	InMemory bool

	ln        net.Listener
	maxBody   int // MaxRequestBytes as of Start
	srv       *http.Server
	transport *http.Transport
	client    *http.Client
	stop      chan struct{} // closed by Close: ends fault delays early
	serveDone chan struct{} // closed when srv.Serve has returned
	handlers  sync.WaitGroup

	mu      sync.Mutex // guards started and closed
	started bool
	closed  bool

	reqID  atomic.Uint64
	events atomic.Int64 // accepted events, for EventCount

	callsMu sync.Mutex // guards calls
	calls   map[string]int

	faults faultState

	data      store
	emf       emfStore    // metrics extracted from EMF events (emf.go)
	entities  entityStore // the entity of each stream (entity.go)
	liveTails liveTails   // open StartLiveTail sessions (livetail.go)
}

// NewServer starts and returns a new Server. The caller must call Close
// when done.
func NewServer() *Server {
	s := NewUnstartedServer()
	s.Start()
	return s
}

// NewUnstartedServer returns a Server listening on loopback but not yet
// serving. Set its exported fields, then call Start. The caller must call
// Close when done, whether or not it started the server.
func NewUnstartedServer() *Server {
	s := &Server{
		ln:        newLocalListener(),
		stop:      make(chan struct{}),
		serveDone: make(chan struct{}),
		calls:     make(map[string]int),
	}
	s.data.init()
	s.faults.set(Faults{})
	s.transport = &http.Transport{
		Proxy:               nil, // never send loopback traffic through HTTP_PROXY
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     90 * time.Second,
	}
	s.client = &http.Client{Transport: bodyTransport{s.transport}}
	return s
}

// bodyTransport is the transport of the Client's HTTP client. It hides the
// io.WriterTo method of request bodies from http.Transport.
//
// The SDK closes a request body as soon as the response headers have
// arrived, and its body wrapper answers WriteTo after Close with io.EOF.
// http.Transport copies a body of known length and then drains it once more
// to check for extra bytes; a server on loopback that answers as soon as it
// has read the body can get its response in before that drain. The drain
// then goes through WriteTo, its io.EOF counts as a failed request write,
// and the transport closes the connection while the response body is still
// being read: "use of closed network connection". Read after Close answers
// (0, io.EOF), which the drain takes as the end of the body.
type bodyTransport struct{ t *http.Transport }

func (bt bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		if _, ok := req.Body.(io.WriterTo); ok {
			req = req.WithContext(req.Context()) // a shallow copy: don't modify the caller's request
			req.Body = readOnlyBody{req.Body}
		}
	}
	return bt.t.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (bt bodyTransport) CloseIdleConnections() { bt.t.CloseIdleConnections() }

// readOnlyBody is a request body with only Read and Close.
type readOnlyBody struct{ io.ReadCloser }

// newLocalListener binds to loopback only, like httptest.
func newLocalListener() net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if l, err = net.Listen("tcp6", "[::1]:0"); err != nil {
			panic(fmt.Sprintf("cwlogstest: failed to listen on a port: %v", err))
		}
	}
	return l
}

// Listen makes an unstarted server listen on addr instead of a loopback
// port of its own, for running it as a local endpoint (cwzap serve). Call it
// before Start.
func (s *Server) Listen(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return errors.New("cwlogstest: Listen after Start or Close")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln.Close()
	s.ln = ln
	return nil
}

// Start starts a server from NewUnstartedServer. It panics if the server
// was already started or closed.
func (s *Server) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		panic("cwlogstest: Server already started")
	}
	if s.closed {
		panic("cwlogstest: Server already closed")
	}
	s.started = true
	s.data.discard = s.DiscardEvents
	s.maxBody = s.MaxRequestBytes
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxRequestBytes
	}
	s.data.seqTokens = s.SequenceTokens
	if s.InMemory {
		s.ln.Close()
		pl := newPipeListener()
		s.ln = pl
		s.transport.DialContext = pl.dial
	}
	s.URL = "http://" + s.ln.Addr().String()
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(discard{}, "", 0),
	}
	go func() {
		defer close(s.serveDone)
		_ = s.srv.Serve(s.ln)
	}()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Close shuts the server down: it stops accepting connections, ends fault
// delays (Latency, Slow) early, and waits for in-flight requests to finish.
// It also closes the idle connections of the Client's HTTP client. Close may
// be called more than once; later calls return at once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	started := s.started
	s.mu.Unlock()

	close(s.stop)
	// Idle client connections first: Shutdown would wait for a connection
	// the client dialled but never used.
	s.transport.CloseIdleConnections()
	if started {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.srv.Shutdown(ctx); err != nil {
			// A client is stuck mid-request; don't let it hang the test.
			_ = s.srv.Close()
		}
		cancel()
		<-s.serveDone
		s.handlers.Wait() // hijacked connections are not tracked by Shutdown
	} else {
		_ = s.ln.Close()
	}
	s.transport.CloseIdleConnections()
}

// Config returns an aws.Config for this server: region us-east-1, static
// fake credentials, BaseEndpoint set to URL and an HTTP client bound to the
// server. Use it to build clients with other options. Call it after Start.
//
// Prefer this HTTP client to one of your own: an in-process server answers
// so fast that with a plain http.Transport the SDK now and then fails to read
// a large answer ("use of closed network connection").
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region: region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{
				AccessKeyID:     "AKIDCWLOGSTEST",
				SecretAccessKey: "cwlogstest-secret",
				Source:          "cwlogstest",
			}, nil
		}),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   s.client,
		APIOptions:   []func(*middleware.Stack) error{noHostPrefix},
	}
}

// Client returns a real CloudWatch Logs client that talks to this server,
// built from Config and then optFns. Call it after Start. The SDK's default
// retries apply; pass func(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = 1 }
// to see injected faults directly.
func (s *Server) Client(optFns ...func(*cloudwatchlogs.Options)) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(s.Config(), optFns...)
}

// Calls reports how many requests of operation op (for example
// "PutLogEvents") the server has received, including faulted ones.
func (s *Server) Calls(op string) int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	return s.calls[op]
}

// EventCount reports how many events PutLogEvents has accepted since the
// server started (rejected events are not counted). With DiscardEvents it
// counts the events that would have been stored.
func (s *Server) EventCount() int {
	return int(s.events.Load())
}

// serveHTTP routes one request. Errors use the service's JSON error shape.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()

	w.Header().Set("X-Amzn-Requestid", s.requestID())
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok || op == "" {
		op = target
	}
	s.callsMu.Lock()
	s.calls[op]++
	s.callsMu.Unlock()

	if s.faults.outage() {
		writeError(w, errUnavailable())
		return
	}
	if r.Method != http.MethodPost || !ok {
		writeError(w, apiErr(http.StatusBadRequest, "UnknownOperationException", ""))
		return
	}
	if op == "PutLogEvents" {
		s.putLogEvents(w, r)
		return
	}
	if op == "StartLiveTail" {
		s.startLiveTail(w, r)
		return
	}
	h, found := handlers[op]
	if !found {
		writeError(w, apiErr(http.StatusBadRequest, "UnknownOperationException", ""))
		return
	}
	body, aerr := readBody(r, s.maxBody)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	defer putBuf(body)
	out, aerr := h(s, body.B)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, out)
}

// requestID returns a UUID-shaped, unique request id.
func (s *Server) requestID() string {
	n := s.reqID.Add(1)
	return fmt.Sprintf("c0f1e5a7-%04x-4%03x-8%03x-%012x", (n>>40)&0xffff, (n>>28)&0xfff, (n>>16)&0xfff, n&0xffffffffffff)
}

// wait sleeps for d, ending early when the server closes or the client goes
// away, so Close never waits on an injected delay.
func (s *Server) wait(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.stop:
	case <-r.Context().Done():
	}
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): abort the response instead.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // reset, so the client sees the failure at once
	}
	_ = conn.Close()
}
