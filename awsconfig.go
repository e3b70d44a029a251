package cwzap

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
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
// rule. The default configuration is loaded with the SDK's logger quieted
// (sdklog.go); a caller's aws.Config is used as it is.
func newClient(ctx context.Context, src clientSource) (*cloudwatchlogs.Client, error) {
	cfg := src.config
	if cfg == nil {
		c, err := config.LoadDefaultConfig(ctx, append([]func(*config.LoadOptions) error{quietSDKLog(os.Stderr)}, src.load...)...)
		if err != nil {
			return nil, wrapRedacted(src.prefix()+"load AWS configuration", err)
		}
		cfg = &c
	}
	client := cloudwatchlogs.NewFromConfig(*cfg, func(o *cloudwatchlogs.Options) {
		if src.endpoint != "" {
			o.BaseEndpoint = aws.String(src.endpoint)
		}
		if o.Region == "" && o.BaseEndpoint != nil {
			o.Region = _localRegion
		}
	})
	if client.Options().Region == "" {
		return nil, src.noRegion()
	}
	return client, nil
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
