package cwzaplambda

import (
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"
)

// Defaults of Wrap's options.
const (
	// DefaultMargin is how long before an invocation's deadline a handler
	// that is still running has its entries flushed (WithMargin).
	DefaultMargin = 500 * time.Millisecond
	// DefaultShutdownTimeout bounds the final flush after SIGTERM
	// (WithShutdownTimeout). Lambda allows a runtime with internal
	// extensions about 500 ms after SIGTERM before it kills the process.
	DefaultShutdownTimeout = 400 * time.Millisecond
)

// An Option configures Wrap.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	margin          time.Duration
	shutdownTimeout time.Duration
	logger          *zap.Logger
	onError         func(error)
	logBuffer       *LogBuffer
	maxDeferral     time.Duration
}

func buildOptions(opts []Option) options {
	o := options{
		margin:          DefaultMargin,
		shutdownTimeout: DefaultShutdownTimeout,
		maxDeferral:     DefaultMaxDeferral,
		onError:         func(err error) { fmt.Fprintln(os.Stderr, err) },
	}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithMargin sets how long before an invocation's deadline the entries of
// a handler that is still running are flushed, so that a timeout loses
// nothing logged before the flush. Set it above the usual PutLogEvents
// latency. Defaults to DefaultMargin (500 ms); a value <= 0 keeps the
// default.
func WithMargin(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.margin = d
		}
	})
}

// WithShutdownTimeout bounds the Syncer's Close after Lambda sends SIGTERM;
// events not delivered by then go to the Syncer's fallback writer.
// Defaults to DefaultShutdownTimeout (400 ms); a value <= 0 keeps the
// default.
func WithShutdownTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.shutdownTimeout = d
		}
	})
}

// WithLogger sets the logger that Logger(ctx) extends with the
// invocation's fields, for example a tee of the Syncer's core and a console
// core. Defaults to zap.New(cwzap.NewCore(ws, level), zap.AddCaller())
// over the Syncer given to Wrap, where level is Lambda's application log
// level (AWS_LAMBDA_LOG_LEVEL: TRACE and DEBUG are zap's Debug, FATAL its
// Fatal), Info when unset.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) { o.logger = l })
}

// WithErrorHandler sets the function that receives Wrap's own reports: an
// extension that could not register or stopped working, and the one-line
// note when the extension cannot run. It is called from Wrap's goroutines
// and handlers; it must not block for long. Defaults to writing the error
// as one line to os.Stderr. What the Syncer could not deliver by a
// deadline, it reports itself, once, to cwzap.WithErrorHandler.
func WithErrorHandler(f func(error)) Option {
	return optionFunc(func(o *options) {
		if f != nil {
			o.onError = f
		}
	})
}

// WithLogBuffer holds each invocation's entries at or below b's level in
// b, delivering them only when the invocation logs an error, returns one
// or panics (see LogBuffer). It applies to Logger(ctx). Defaults to no
// buffer: every entry is written as it is logged.
func WithLogBuffer(b *LogBuffer) Option {
	return optionFunc(func(o *options) { o.logBuffer = b })
}

// WithMaxDeferral bounds how long an invocation's entries may wait for a
// later invocation's flush, when puts are throttled or failing: once a
// flush has left entries pending, the first invocation that ends this
// long or more after the oldest unsettled one flushes for good (see the
// package documentation, "Quota"). Defaults to
// DefaultMaxDeferral (4 s); a value <= 0 turns deferral off: every
// invocation is flushed for good before the environment may freeze, and
// what misses the deadline goes to the fallback writer.
func WithMaxDeferral(d time.Duration) Option {
	return optionFunc(func(o *options) { o.maxDeferral = max(d, 0) })
}
