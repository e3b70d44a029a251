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
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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
	group, stream, endpoint string
	timeout                 time.Duration
	stderr                  io.Writer // the SDK's log lines; nil: discarded
}

func (t *target) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.group, "group", "", "log group (required)")
	fs.StringVar(&t.stream, "stream", "", "log stream (required); pipe expands {date} (each line's UTC date),\n"+
		"{hostname}, {pid} and {function} in both names, tail {date} (today in UTC,\n"+
		"or -date) and {hostname}; a '{' must open one of them")
	fs.StringVar(&t.endpoint, "endpoint", "",
		"CloudWatch Logs endpoint URL, such as cwzap serve's http://127.0.0.1:4566\n"+
			"(default: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, else AWS itself). With an endpoint,\n"+
			"AWS_REGION, AWS_PROFILE and credentials still apply; when none are configured\n"+
			"the region is us-east-1 and the credentials are dummies, and EC2 instance\n"+
			"metadata is not consulted")
	fs.DurationVar(&t.timeout, "timeout", defaultTimeout, "longest wait for CloudWatch: each request, each batch pipe sends (its retries included), and pipe's final flush")
}

// endpointURL is -endpoint, else the SDK's endpoint variables.
func (t *target) endpointURL() string {
	for _, v := range []string{t.endpoint, os.Getenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"), os.Getenv("AWS_ENDPOINT_URL")} {
		if v != "" {
			return v
		}
	}
	return ""
}

// client returns a CloudWatch Logs client for t, or a one-line error that
// says what to set.
func (t *target) client(ctx context.Context) (*cloudwatchlogs.Client, error) {
	if t.group == "" || t.stream == "" {
		return nil, errors.New("-group and -stream are required")
	}
	if t.timeout <= 0 {
		return nil, fmt.Errorf("-timeout must be positive, not %v", t.timeout)
	}
	ep := t.endpointURL()
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(t.timeout)),
		config.WithLogger(sdkLogger{w: t.stderr}),
	}
	if ep != "" {
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
	if cfg.Region == "" {
		if ep == "" {
			return nil, errors.New("no AWS region configured: set AWS_REGION or AWS_PROFILE (a profile with a region), " +
				"or give a local endpoint with -endpoint or AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
		}
		cfg.Region = localRegion
	}
	if err := t.credentials(ctx, &cfg, ep); err != nil {
		return nil, err
	}
	if ep != "" {
		if err := probe(ctx, ep, t.timeout); err != nil {
			return nil, err
		}
	}
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	}), nil
}

// credentials checks that cfg has credentials, falling back to dummies for
// an endpoint.
func (t *target) credentials(ctx context.Context, cfg *aws.Config, ep string) error {
	var err error = errors.New("no credential provider")
	if cfg.Credentials != nil {
		cctx, cancel := context.WithTimeout(ctx, t.timeout)
		_, err = cfg.Credentials.Retrieve(cctx)
		cancel()
	}
	if err == nil {
		return nil
	}
	if ep != "" {
		cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		return nil
	}
	return errors.New("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, " +
		"or give a local endpoint with -endpoint or AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
}

// checkEndpoint rejects what is not an http(s) URL with a host.
func checkEndpoint(ep string) error {
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("endpoint %q is not a URL like http://127.0.0.1:4566", ep)
	}
	return nil
}

// probe connects to the endpoint once, so that an unreachable one fails at
// once instead of after the SDK's retries.
func probe(ctx context.Context, ep string, timeout time.Duration) error {
	u, _ := url.Parse(ep)
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	d := net.Dialer{Timeout: min(timeout, 5*time.Second)}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err
		}
		return fmt.Errorf("cannot reach endpoint %s: %v (is cwzap serve running?)", ep, err)
	}
	return conn.Close()
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
