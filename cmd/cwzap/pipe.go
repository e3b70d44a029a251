package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/cwzap/cwzap"
)

func pipe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("pipe", "pipe -group G -stream S [flags] < app.log\n\n"+
		"Ships stdin to a stream, one event a line (empty lines are skipped). A\n"+
		"line over CloudWatch's 1 MB event limit becomes several events, as the\n"+
		"library splits oversize entries. Every line that is not delivered is\n"+
		"written to stderr, whatever the reason: an endpoint down from the start,\n"+
		"a put that failed for good, the -timeout deadline at the end. Then pipe\n"+
		"says why in one line and exits 1. Its last line, on stderr, counts the\n"+
		"lines delivered and those written to stderr; stdout stays empty.", stdout)
	var t target
	t.flags(fs)
	flush := fs.Duration("flush", cwzap.DefaultFlushInterval, "longest time a line waits before it is sent")
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	if *flush <= 0 {
		return fmt.Errorf("-flush must be positive, not %v", *flush)
	}
	if t.group != "" && t.stream != "" {
		if err := checkPipeNames(t.group, t.stream); err != nil {
			return err
		}
	}
	t.stderr = stderr
	// A flag or the AWS configuration at fault: nothing is read, so that
	// the line saying what to set is the only output.
	client, err := t.client(ctx)
	if err != nil {
		return err
	}
	if err := t.reach(ctx); err != nil {
		return echo(ctx, stdin, stderr, err)
	}
	// Delivery errors are said once, by this function, instead of being
	// printed by the Syncer as well.
	var mu sync.Mutex
	var firstErr error
	onError := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	// One put at a time keeps the stream in the order of the lines, the
	// parts of a long line included (they share its time).
	s, err := cwzap.NewSyncer(t.group, t.stream, cwzap.WithClient(client), cwzap.WithFlushInterval(*flush), cwzap.WithConcurrency(1),
		cwzap.WithPutTimeout(t.timeout), cwzap.WithSyncTimeout(t.timeout), cwzap.WithErrorHandler(onError), cwzap.WithFallback(stderr))
	if err != nil {
		return err
	}
	lines, readErr := copyLines(ctx, stdin, func(line []byte) error {
		_, err := s.Write(line)
		return err
	})
	closeErr := s.Close()
	st := s.Stats()
	mu.Lock()
	defer mu.Unlock()
	var why error
	switch {
	case readErr != nil:
		why = fmt.Errorf("reading stdin: %w", readErr)
	case closeErr != nil:
		why = closeErr
	case firstErr != nil:
		why = firstErr
	case st.Fallback+st.Dropped > 0:
		why = fmt.Errorf("%s not delivered (written to stderr)", plural(st.Fallback+st.Dropped, "event"))
	}
	return report(stderr, why, summary(lines, st))
}

// echo is pipe with an endpoint that does not answer: every line goes to
// stderr, then why, then the count.
func echo(ctx context.Context, stdin io.Reader, stderr io.Writer, why error) error {
	lines, readErr := copyLines(ctx, stdin, func(line []byte) error {
		_, _ = stderr.Write(append(line, '\n'))
		return nil
	})
	if readErr != nil {
		why = fmt.Errorf("%w; reading stdin: %w", why, readErr)
	}
	return report(stderr, fmt.Errorf("%w; %s written to stderr", why, plural(lines, "line")),
		summary(lines, cwzap.Stats{Written: lines, Fallback: lines}))
}

// summary is pipe's last line: how many lines it read, and what became of
// their events.
func summary(lines uint64, st cwzap.Stats) string {
	what := plural(lines, "line")
	if st.Written != lines { // long lines became several events
		what += ", " + plural(st.Written, "event")
	}
	s := fmt.Sprintf("cwzap: %s: %d delivered, %d to stderr", what, st.Delivered, st.Fallback)
	if st.Dropped > 0 {
		s += fmt.Sprintf(", %d dropped (stderr took no more)", st.Dropped)
	}
	return s
}

// report writes why (if anything failed), then the summary, to stderr:
// the last line is the outcome. It returns errReported when something
// failed, the error being said.
func report(stderr io.Writer, why error, summary string) error {
	if why == nil {
		fmt.Fprintln(stderr, summary)
		return nil
	}
	fmt.Fprintln(stderr, pipeErrorLine(why))
	fmt.Fprintln(stderr, summary)
	return errReported
}

// The library's names for what pipe's flags set, in its error texts:
// -timeout sets both deadlines, stderr is the fallback writer, and the
// buffer's limit and overflow policy are the library's defaults, which no
// flag sets.
var (
	_libraryNames = strings.NewReplacer(
		"WithPutTimeout (", "-timeout (",
		"WithSyncTimeout ", "-timeout ",
		"(OverflowDrop, or the fallback writer was stuck)", "(stderr took no more)",
		"the fallback writer", "stderr",
		" (WithBufferLimit)", "",
	)
	_bufferLimit = regexp.MustCompile(`WithBufferLimit (\d+ bytes)`)
)

// pipeErrorLine is errorLine in the names of pipe's flags.
func pipeErrorLine(err error) string {
	return _bufferLimit.ReplaceAllString(_libraryNames.Replace(errorLine(err)), "$1")
}

func plural(n uint64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// copyLines hands each non-empty line of r to write until r ends, write
// fails or ctx is done, and counts them. Lines may be of any length.
func copyLines(ctx context.Context, r io.Reader, write func(line []byte) error) (n uint64, err error) {
	lines := make(chan []byte)
	stop := make(chan struct{})
	done := make(chan error, 1) // the reader's result; it never blocks on it
	go func() {
		done <- readLines(r, lines, stop)
	}()
	defer close(stop)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return n, <-done
			}
			if err := write(line); err != nil {
				return n, err
			}
			n++
		case <-ctx.Done():
			// The reader may stay blocked on stdin; the process is about
			// to exit.
			return n, nil
		}
	}
}

// readLines sends each non-empty line (without its end of line) to out
// and closes it at the end of r. A line is sent in a buffer of its own.
func readLines(r io.Reader, out chan<- []byte, stop <-chan struct{}) error {
	defer close(out)
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte // a line longer than the reader's buffer, so far
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, chunk...)
			continue
		}
		line := append(long, chunk...)
		long = nil
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 {
			select {
			case out <- bytes.Clone(line):
			case <-stop:
				return nil
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
