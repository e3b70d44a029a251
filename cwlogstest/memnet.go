package cwlogstest

import (
	"context"
	"net"
	"sync"
	"syscall"
)

// The in-memory network of a Server with InMemory set: its listener hands
// the server one end of a net.Pipe for each connection its Client dials.
// Everything a request waits on is then a channel of the test's own, so
// that under testing/synctest the fake clock moves whenever the test's
// goroutines all wait, which a socket would keep it from doing.

// pipeListener is a net.Listener of in-memory connections.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
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

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial connects to the listener, as a transport's DialContext. A closed
// listener refuses, as a port nobody listens on would.
func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: syscall.ECONNREFUSED}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// pipeAddr is the address of the in-memory network.
type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return _memoryHost }

// _memoryHost is the host of an in-memory server's URL: a name that no
// resolver knows, so that nothing reaches it but the server's own clients.
const _memoryHost = "cwlogstest.invalid"
