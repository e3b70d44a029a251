package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go/logging"
)

// defaultTimeout bounds each request of pipe and tail, and each batch pipe
// sends.
const defaultTimeout = 30 * time.Second

// localRegion is the region used with an endpoint when none is configured:
// a local endpoint does not care, but the SDK signs with one.
const localRegion = "us-east-1"

// target is a stream and how to reach it: the flags pipe and tail share.
type target struct {
	group, stream, endpointFlag string
	timeout                     time.Duration
	stderr                      io.Writer // the SDK's log lines; nil: discarded
}

func (t *target) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.group, "group", "", "log group (required)")
	fs.StringVar(&t.stream, "stream", "", "log stream (required); pipe expands {date} (each line's UTC date),\n"+
		"{hostname}, {pid} and {function} in both names, tail {date} (today in UTC,\n"+
		"or -date) and {hostname}; a '{' must open one of them")
	fs.StringVar(&t.endpointFlag, "endpoint", "",
		"CloudWatch Logs endpoint URL, such as cwzap serve's http://127.0.0.1:4566\n"+
			"(default: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, else AWS_ENDPOINT_URL, else AWS\n"+
			"itself). With an endpoint, AWS_REGION, AWS_PROFILE and credentials still\n"+
			"apply; when none are configured\n"+
			"the region is us-east-1 and the credentials are dummies, and EC2 instance\n"+
			"metadata is not consulted")
	fs.DurationVar(&t.timeout, "timeout", defaultTimeout, "longest wait for CloudWatch: each request, each batch pipe sends (its retries included), and pipe's final flush")
}

// endpoint is where requests go when it is not AWS itself, and what set
// it, so that messages name what the user wrote.
type endpoint struct {
	url    string
	source string // "-endpoint", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS" or "AWS_ENDPOINT_URL"; "" for none
}

// endpoint is -endpoint, else the SDK's endpoint variables.
func (t *target) endpoint() endpoint {
	if t.endpointFlag != "" {
		return endpoint{t.endpointFlag, "-endpoint"}
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(k); v != "" {
			return endpoint{v, k}
		}
	}
	return endpoint{}
}

// client returns a CloudWatch Logs client for t, or a one-line error that
// says what to set. It sends nothing: reach says whether the endpoint
// answers.
//
// The region rule is the library's: a region configured (AWS_REGION,
// AWS_DEFAULT_REGION, a profile's) is used; without one, an endpoint set
// with -endpoint, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS or AWS_ENDPOINT_URL gets
// us-east-1 (a local endpoint does not care), and no endpoint is an error.
func (t *target) client(ctx context.Context) (*cloudwatchlogs.Client, error) {
	if t.group == "" || t.stream == "" {
		return nil, errors.New("-group and -stream are required")
	}
	if t.timeout <= 0 {
		return nil, fmt.Errorf("-timeout must be positive, not %v", t.timeout)
	}
	ep := t.endpoint()
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(newHTTPClient(t.timeout)),
		config.WithLogger(sdkLogger{w: t.stderr}),
	}
	if ep.url != "" {
		if err := checkEndpoint(ep); err != nil {
			return nil, err
		}
		// A local endpoint: instance metadata would only stall the
		// credential chain on a machine outside EC2.
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %v", err)
	}
	cfg.HTTPClient = readOnlyBodies{cfg.HTTPClient} // transport.go
	if cfg.Region == "" {
		if ep.url == "" {
			return nil, errors.New("no AWS region configured: set AWS_REGION, or AWS_PROFILE to a profile with a region; " +
				"for a local endpoint, give -endpoint or set AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
		}
		cfg.Region = localRegion
	}
	if err := t.credentials(ctx, &cfg, ep); err != nil {
		return nil, err
	}
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		if ep.url != "" {
			o.BaseEndpoint = aws.String(ep.url)
		}
	}), nil
}

// credentials checks that cfg has credentials, falling back to dummies for
// an endpoint.
func (t *target) credentials(ctx context.Context, cfg *aws.Config, ep endpoint) error {
	var err error = errors.New("no credential provider")
	if cfg.Credentials != nil {
		cctx, cancel := context.WithTimeout(ctx, t.timeout)
		_, err = cfg.Credentials.Retrieve(cctx)
		cancel()
	}
	if err == nil {
		return nil
	}
	if ep.url != "" {
		cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		return nil
	}
	return errors.New("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE; " +
		"for a local endpoint, give -endpoint or set AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
}

// checkEndpoint rejects what is not an http(s) URL with a host.
func checkEndpoint(ep endpoint) error {
	u, err := url.Parse(ep.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q is not a URL like http://127.0.0.1:4566", ep.source, ep.url)
	}
	return nil
}

// reach connects once to the endpoint, if one is set, so that an
// unreachable one is known at once instead of after the SDK's retries.
func (t *target) reach(ctx context.Context) error {
	ep := t.endpoint()
	if ep.url == "" {
		return nil
	}
	u, _ := url.Parse(ep.url)
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	d := net.Dialer{Timeout: min(t.timeout, 5*time.Second)}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err
		}
		return &unreachableError{ep: ep, err: err}
	}
	return conn.Close()
}

// unreachableError says that nothing answers at the endpoint.
type unreachableError struct {
	ep  endpoint
	err error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s %s: %v (is cwzap serve running?)", e.ep.source, e.ep.url, e.err)
}

// sdkLogger writes the SDK's log lines to w as its standard logger does,
// except the EC2 metadata client's "falling back to IMDSv1" warning: off
// EC2 it appears whenever something else answers the metadata address,
// before the credential chain fails, and the command then says what to
// set in its own one line.
type sdkLogger struct{ w io.Writer }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	if l.w == nil || c == logging.Warn && strings.HasPrefix(format, "falling back to IMDSv1") {
		return
	}
	logging.NewStandardLogger(l.w).Logf(c, format, v...)
}
