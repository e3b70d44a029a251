package cwzap

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// The client cwzap builds when the caller gives none (NewSyncer without
// WithClient, and the cloudwatch:// sink), with one region rule for both:
//
//   - a configured region wins (AWS_REGION, the profile's region, the
//     sink's region=, aws.Config.Region);
//   - without one, a client with an endpoint uses us-east-1: a local
//     endpoint such as cwlogstest or "cwzap serve" ignores the region, but
//     the SDK signs every request with one. The endpoint is whatever the
//     SDK resolves for CloudWatch Logs (AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,
//     AWS_ENDPOINT_URL, the shared config's endpoint_url,
//     aws.Config.BaseEndpoint) or the sink's endpoint=;
//   - without either, it is an error that names AWS_REGION and AWS_PROFILE.

// _localRegion is the region of a client with an endpoint when none is
// configured, as in the cwzap command.
const _localRegion = "us-east-1"

// clientSource is where a client's configuration comes from.
type clientSource struct {
	config *aws.Config // WithAWSConfig's; nil: the default configuration
	sink   bool        // the cloudwatch:// sink's: errors name its URL keys

	// Applied over the default configuration: the sink URL's region,
	// profile and anonymous.
	load     []func(*config.LoadOptions) error
	endpoint string // the sink URL's endpoint=; "" for the resolved one
}

// newClient returns a CloudWatch Logs client from src under the region
// rule, and what releases its connections. The default configuration is
// loaded with the SDK's logger quieted (sdklog.go); a caller's aws.Config
// is used as it is but for its HTTP client (ownHTTPClient).
func newClient(ctx context.Context, src clientSource) (*cloudwatchlogs.Client, func(), error) {
	cfg := src.config
	if cfg == nil {
		c, err := config.LoadDefaultConfig(ctx, append([]func(*config.LoadOptions) error{quietSDKLog(os.Stderr)}, src.load...)...)
		if err != nil {
			return nil, nil, wrapRedacted(src.prefix()+"load AWS configuration", err)
		}
		cfg = &c
	}
	c := *cfg
	release := func() {}
	if hc, tr := ownHTTPClient(c.HTTPClient); hc != nil {
		c.HTTPClient, release = hc, tr.CloseIdleConnections
	}
	client := cloudwatchlogs.NewFromConfig(c, func(o *cloudwatchlogs.Options) {
		if src.endpoint != "" {
			o.BaseEndpoint = aws.String(src.endpoint)
		}
		if o.Region == "" && o.BaseEndpoint != nil {
			o.Region = _localRegion
		}
	})
	if client.Options().Region == "" {
		release()
		return nil, nil, src.noRegion()
	}
	return client, release, nil
}

// ownHTTPClient returns an HTTP client of the Syncer's own, and its
// transport, for a configuration whose HTTP client is none or the SDK's
// buildable default, which every service client copies, connection pool
// and all: the Syncer may then close that pool. It returns nil for an HTTP
// client of the caller's, which the caller may share and close.
func ownHTTPClient(hc aws.HTTPClient) (*http.Client, *http.Transport) {
	var b *awshttp.BuildableClient
	switch c := hc.(type) {
	case nil:
		b = awshttp.NewBuildableClient()
	case *awshttp.BuildableClient:
		b = c
	default:
		return nil, nil
	}
	tr := b.GetTransport() // the buildable's settings, in a transport of our own
	return &http.Client{
		Transport: readOnlyBodies{tr},
		Timeout:   b.GetTimeout(),
		// As the SDK's: an answer that redirects is an answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, tr
}

// readOnlyBodies hides the io.WriterTo of request bodies from the
// transport. The SDK closes a request body once the answer's headers have
// come, and its body then answers WriteTo with io.EOF; http.Transport,
// having copied a body of known length, drains it once more through
// WriteTo, and a fast endpoint's answer can come before that drain: the
// transport would then close the connection under the answer.
type readOnlyBodies struct{ rt http.RoundTripper }

func (r readOnlyBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, ok := req.Body.(io.WriterTo); ok {
		req = req.WithContext(req.Context()) // a shallow copy: the caller's request stays as it is
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return r.rt.RoundTrip(req)
}

func (src clientSource) prefix() string {
	if src.sink {
		return "cwzap: sink: "
	}
	return "cwzap: "
}

// noRegion says what to set where the configuration came from.
func (src clientSource) noRegion() error {
	switch {
	case src.sink:
		return errors.New("cwzap: sink: no AWS region: add region= (or endpoint= for a local server) to the URL, or set AWS_REGION or AWS_PROFILE (a profile with a region)")
	case src.config != nil:
		return errors.New("cwzap: WithAWSConfig: the aws.Config has neither Region nor BaseEndpoint: set its Region (config.LoadDefaultConfig reads AWS_REGION and AWS_PROFILE)")
	}
	return errors.New("cwzap: no AWS region: set AWS_REGION or AWS_PROFILE (a profile with a region), or an endpoint such as AWS_ENDPOINT_URL_CLOUDWATCH_LOGS for a local server; or pass WithAWSConfig or WithClient")
}
