package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/cwzap/cwzap"
)

func pipe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("pipe", "pipe -group G -stream S [flags] < app.log\n\n"+
		"Ships stdin to a stream, one event a line (empty lines are skipped). A\n"+
		"line over CloudWatch's 1 MB event limit becomes several events, as the\n"+
		"library splits oversize entries. Lines that cannot be delivered are\n"+
		"written to stderr.", stdout)
	var t target
	t.flags(fs)
	flush := fs.Duration("flush", cwzap.DefaultFlushInterval, "longest time a line waits before it is sent")
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	if *flush <= 0 {
		return fmt.Errorf("-flush must be positive, not %v", *flush)
	}
	if err := checkBraces("-group", t.group); err != nil {
		return err
	}
	if err := checkBraces("-stream", t.stream); err != nil {
		return err
	}
	t.stderr = stderr
	client, err := t.client(ctx)
	if err != nil {
		return err
	}
	// Delivery errors are returned once, by this function, instead of
	// being printed by the Syncer as well.
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
	lines, readErr := copyLines(ctx, stdin, s)
	closeErr := s.Close()
	st := s.Stats()
	what := plural(lines, "line")
	if st.Written != lines { // long lines became several events
		what += ", " + plural(st.Written, "event")
	}
	summary := fmt.Sprintf("cwzap: %s: %d delivered, %d to stderr\n", what, st.Delivered, st.Fallback)
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
	case st.Fallback > 0:
		why = fmt.Errorf("%s not delivered (written to stderr)", plural(st.Fallback, "line"))
	}
	if why == nil {
		fmt.Fprint(stdout, summary)
		return nil
	}
	// Why first, then the count: the last line read is the outcome.
	fmt.Fprintln(stderr, pipeErrorLine(why))
	fmt.Fprint(stdout, summary)
	return errReported
}

// pipeErrorLine is errorLine with the library's names for what pipe's
// flags set: -timeout sets both deadlines, and stderr is the fallback.
func pipeErrorLine(err error) string {
	return strings.NewReplacer(
		"WithPutTimeout (", "-timeout (",
		"WithSyncTimeout ", "-timeout ",
		"the fallback writer", "stderr",
	).Replace(errorLine(err))
}

func plural(n uint64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// copyLines writes each non-empty line of r to s until r ends or ctx is
// done, and counts them. Lines may be of any length.
func copyLines(ctx context.Context, r io.Reader, s *cwzap.Syncer) (n uint64, err error) {
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
			if _, err := s.Write(line); err != nil {
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
