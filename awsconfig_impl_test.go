package cwzap

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/cwzap/cwzap/cwlogstest"
)

// awsEnv clears the AWS environment for one test: no region, no endpoint,
// no profile, no shared files, no instance metadata; static credentials.
// Then it sets env.
func awsEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)  // absent, as the SDK tells the two apart
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// One region rule for every client cwzap builds: a configured region
// wins; an endpoint without a region means us-east-1; neither is an error
// that says what to set. Each client with an endpoint then makes a call
// to cwlogstest through the SDK.
func TestRegionRule(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	profiles := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(profiles, []byte("[profile dev]\nregion = ap-south-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	static := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	tests := []struct {
		name       string
		giveEnv    map[string]string
		giveSource clientSource
		wantRegion string
		wantAWS    bool     // no endpoint: AWS itself
		wantErr    []string // each in the error
	}{
		{name: "service endpoint, no region", giveEnv: map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": srv.URL}, wantRegion: "us-east-1"},
		{name: "global endpoint, no region", giveEnv: map[string]string{"AWS_ENDPOINT_URL": srv.URL}, wantRegion: "us-east-1"},
		{name: "endpoint and region", giveEnv: map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": srv.URL, "AWS_REGION": "eu-west-1"}, wantRegion: "eu-west-1"},
		{name: "endpoint and a profile's region", giveEnv: map[string]string{"AWS_ENDPOINT_URL": srv.URL, "AWS_CONFIG_FILE": profiles, "AWS_PROFILE": "dev"}, wantRegion: "ap-south-1"},
		{name: "region, no endpoint", giveEnv: map[string]string{"AWS_REGION": "eu-west-1"}, wantRegion: "eu-west-1", wantAWS: true},
		{name: "neither", wantErr: []string{"cwzap: no AWS region", "AWS_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "WithAWSConfig"}},
		{
			name:       "WithAWSConfig with a BaseEndpoint, no region",
			giveSource: clientSource{config: &aws.Config{BaseEndpoint: aws.String(srv.URL), Credentials: static}},
			wantRegion: "us-east-1",
		},
		{
			// The SDK reads endpoints from the environment into a config
			// that LoadDefaultConfig made, not into one made by hand.
			name:       "WithAWSConfig made by hand, endpoint in the environment",
			giveEnv:    map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": srv.URL},
			giveSource: clientSource{config: &aws.Config{Credentials: static}},
			wantErr:    []string{"cwzap: WithAWSConfig:"},
		},
		{name: "WithAWSConfig with neither", giveSource: clientSource{config: &aws.Config{Credentials: static}}, wantErr: []string{"cwzap: WithAWSConfig:", "Region", "AWS_REGION", "AWS_PROFILE"}},
		{name: "sink endpoint, no region", giveSource: clientSource{sink: true, endpoint: srv.URL}, wantRegion: "us-east-1"},
		{name: "sink, endpoint in the environment", giveEnv: map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": srv.URL}, giveSource: clientSource{sink: true}, wantRegion: "us-east-1"},
		{
			name:       "sink endpoint and region",
			giveSource: clientSource{sink: true, endpoint: srv.URL, load: []func(*config.LoadOptions) error{config.WithRegion("eu-central-1")}},
			wantRegion: "eu-central-1",
		},
		{name: "sink, neither", giveSource: clientSource{sink: true}, wantErr: []string{"cwzap: sink: no AWS region: add region=", "AWS_REGION", "AWS_PROFILE"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awsEnv(t, tt.giveEnv)
			client, release, err := newClient(context.Background(), tt.giveSource)
			if err == nil {
				t.Cleanup(release)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("newClient = region %q, want an error", client.Options().Region)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not name %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("newClient: %v", err)
			}
			if got := client.Options().Region; got != tt.wantRegion {
				t.Errorf("region %q, want %q", got, tt.wantRegion)
			}
			if ep := client.Options().BaseEndpoint; tt.wantAWS {
				if ep != nil {
					t.Errorf("endpoint %s, want AWS itself", *ep)
				}
				return // no call
			} else if ep == nil || *ep != srv.URL {
				t.Fatalf("endpoint %v, want %s", ep, srv.URL)
			}
			group := "region-" + string(rune('a'+i))
			if _, err := client.CreateLogGroup(context.Background(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
				t.Fatalf("CreateLogGroup through the client: %v", err)
			}
			out, err := srv.Client().DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
			if err != nil || len(out.LogGroups) != 1 {
				t.Errorf("the server has %d groups %q (%v), want 1", len(out.LogGroups), group, err)
			}
		})
	}
}
