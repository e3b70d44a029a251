// Command cwzap ships lines to CloudWatch Logs, serves a local CloudWatch
// Logs endpoint, and reads streams back.
//
//	cwzap pipe  -group G -stream S [-endpoint URL]   ship stdin, one event a line
//	cwzap serve [-addr 127.0.0.1:4566]              run cwlogstest as an endpoint
//	cwzap tail  -group G -stream S [-endpoint URL] [-n 100]
//
// pipe and tail use the default AWS configuration (AWS_REGION, profiles,
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS); -endpoint points them at another
// endpoint, such as the one serve runs.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cwzap:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  cwzap pipe  -group G -stream S [-endpoint URL]   ship stdin to a stream, one event a line
  cwzap serve [-addr 127.0.0.1:4566]              run a local CloudWatch Logs endpoint
  cwzap tail  -group G -stream S [-endpoint URL] [-n 100]   print a stream's last events`

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "pipe":
		return pipe(ctx, args[1:], stdin, stdout)
	case "serve":
		return serve(ctx, args[1:], stdout)
	case "tail":
		return tail(ctx, args[1:], stdout)
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

type target struct {
	group, stream, endpoint string
}

func (t *target) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.group, "group", "", "log group (required)")
	fs.StringVar(&t.stream, "stream", "", "log stream (required)")
	fs.StringVar(&t.endpoint, "endpoint", "", "CloudWatch Logs endpoint URL (default: from the AWS configuration)")
}

func (t *target) client(ctx context.Context) (*cloudwatchlogs.Client, error) {
	if t.group == "" || t.stream == "" {
		return nil, errors.New("-group and -stream are required")
	}
	var opts []func(*config.LoadOptions) error
	if t.endpoint != "" {
		// A local endpoint needs a region and some credentials to sign with.
		opts = append(opts, config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		if t.endpoint != "" {
			o.BaseEndpoint = aws.String(t.endpoint)
		}
	}), nil
}

func pipe(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("pipe", flag.ContinueOnError)
	var t target
	t.flags(fs)
	flush := fs.Duration("flush", cwzap.DefaultFlushInterval, "longest time a line waits before it is sent")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client, err := t.client(ctx)
	if err != nil {
		return err
	}
	s, err := cwzap.NewSyncer(t.group, t.stream, cwzap.WithClient(client), cwzap.WithFlushInterval(*flush))
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() && ctx.Err() == nil {
		if _, err := s.Write(sc.Bytes()); err != nil {
			break
		}
	}
	err = errors.Join(sc.Err(), s.Close())
	st := s.Stats()
	fmt.Fprintf(stdout, "cwzap: %d lines: %d delivered, %d to stderr\n", st.Written, st.Delivered, st.Fallback)
	return err
}

func serve(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:4566", "address to listen on (loopback unless you mean otherwise)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv := cwlogstest.NewUnstartedServer()
	if err := srv.Listen(*addr); err != nil {
		return err
	}
	srv.Start()
	defer srv.Close()
	fmt.Fprintf(stdout, "cwzap: CloudWatch Logs endpoint at %s\n", srv.URL)
	fmt.Fprintf(stdout, "  export AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=%s AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local\n", srv.URL)
	<-ctx.Done()
	return nil
}

func tail(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	var t target
	t.flags(fs)
	n := fs.Int("n", 100, "how many of the last events to print")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client, err := t.client(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := client.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  &t.group,
		LogStreamName: &t.stream,
		Limit:         aws.Int32(int32(min(max(*n, 1), 10_000))),
	})
	if err != nil {
		return err
	}
	for _, e := range out.Events {
		ts := time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC().Format(time.RFC3339Nano)
		fmt.Fprintf(stdout, "%s %s\n", ts, aws.ToString(e.Message))
	}
	return nil
}
