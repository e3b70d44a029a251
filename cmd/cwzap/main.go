// Command cwzap ships lines to CloudWatch Logs, serves a local CloudWatch
// Logs endpoint, and reads an application's stream back.
//
//	cwzap pipe  -group G -stream S [-endpoint URL]   ship stdin, one event a line
//	cwzap serve [-addr 127.0.0.1:4566] [faults]     run cwlogstest as an endpoint
//	cwzap tail  -group G -stream S [-n 100] [-f]    print a stream's events
//
// pipe and tail use the default AWS configuration (AWS_REGION, profiles,
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS); -endpoint points them at another
// endpoint, such as the one serve runs, and an endpoint without a region
// configured gets us-east-1. stdout is for data; pipe's count, every
// line it could not deliver and all diagnostics go to stderr. `cwzap help COMMAND` or
// `cwzap COMMAND -h` describes each command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, errorLine(err))
		}
		os.Exit(1)
	}
}

// errorLine renders err as one line with one "cwzap:" prefix; errors from
// the library carry the prefix already. The SDK's error text in it is
// shortened to the operation, the service's code and its message.
func errorLine(err error) string {
	msg := compactSDK(strings.Join(strings.Fields(err.Error()), " "))
	for {
		rest, ok := strings.CutPrefix(msg, "cwzap: ")
		if !ok {
			break
		}
		msg = rest
	}
	return "cwzap: " + msg
}

const usage = `cwzap ships lines to CloudWatch Logs, runs a local CloudWatch Logs
endpoint, and reads a stream back.

usage:
  cwzap pipe  -group G -stream S [flags] < app.log   ship stdin, one event a line
  cwzap serve [-addr 127.0.0.1:4566] [faults]       run a local CloudWatch Logs endpoint
  cwzap tail  -group G -stream S [-n 100] [-f]      print a stream's events
  cwzap help [COMMAND]                              this text, or a command's flags

pipe and tail use the default AWS configuration: AWS_REGION, AWS_PROFILE,
credentials, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS. With an endpoint (-endpoint,
AWS_ENDPOINT_URL_CLOUDWATCH_LOGS or AWS_ENDPOINT_URL) and no region
configured, the region is us-east-1. stdout is for data (tail's events);
counts and diagnostics go to stderr. Run "cwzap COMMAND -h" for a
command's flags.
`

// commands maps each command to its implementation.
var commands = map[string]func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error{
	"pipe":  pipe,
	"serve": serve,
	"tail":  tail,
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given (pipe, serve or tail)")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && commands[args[1]] != nil {
			return run(ctx, []string{args[1], "-h"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd := commands[args[0]]
	if cmd == nil {
		return fmt.Errorf("unknown command %q: want pipe, serve or tail (see cwzap -h)", args[0])
	}
	return cmd(ctx, args[1:], stdin, stdout, stderr)
}

// newFlagSet returns a flag set for a command whose -h prints the usage to
// stdout, and whose errors are returned, not printed.
func newFlagSet(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "usage: cwzap %s\n\nflags:\n", synopsis)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// errHelp reports that -h was given and the usage printed: not a failure.
var errHelp = flag.ErrHelp

// parse parses a command's flags. It returns errHelp after printing the
// usage for -h, and an error naming the command for a bad flag.
func parse(fs *flag.FlagSet, args []string) error {
	// The flag package prints the usage on every error; only -h wants it.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return errHelp
	case err != nil:
		return fmt.Errorf("%s: %v (see cwzap %s -h)", fs.Name(), err, fs.Name())
	case fs.NArg() > 0:
		return fmt.Errorf("%s: unexpected argument %q (see cwzap %s -h)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// helpOK turns errHelp into success.
func helpOK(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}
