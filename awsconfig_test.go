package cwzap_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
)

// noRegionEnv leaves the AWS environment without a region, a profile,
// shared files or instance metadata, with static credentials and the
// given endpoint ("" for none) in AWS_ENDPOINT_URL_CLOUDWATCH_LOGS.
func noRegionEnv(t *testing.T, endpoint string) {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	if endpoint != "" {
		t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", endpoint)
	}
}

// A local endpoint needs no region: NewSyncer uses us-east-1, as the sink
// and the cwzap command do, and delivers.
func TestNewSyncerLocalEndpointNeedsNoRegion(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	noRegionEnv(t, srv.URL)
	s, err := cwzap.NewSyncer("g", "s")
	if err != nil {
		t.Fatalf("NewSyncer without a region: %v", err)
	}
	defer s.Close()
	s.Write([]byte("no region"))
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := len(srv.Events("g", "s")); n != 1 {
		t.Errorf("the stream has %d events, want 1", n)
	}
}

// So does an aws.Config whose BaseEndpoint is set.
func TestWithAWSConfigLocalEndpointNeedsNoRegion(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	s, err := cwzap.NewSyncer("g", "s", cwzap.WithAWSConfig(aws.Config{
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	}))
	if err != nil {
		t.Fatalf("NewSyncer: %v", err)
	}
	defer s.Close()
	s.Write([]byte("no region"))
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := len(srv.Events("g", "s")); n != 1 {
		t.Errorf("the stream has %d events, want 1", n)
	}
}

// Without an endpoint, the missing region is an error that says what to
// set.
func TestNewSyncerNoRegion(t *testing.T) {
	noRegionEnv(t, "")
	_, err := cwzap.NewSyncer("g", "s")
	if err == nil {
		t.Fatal("NewSyncer without a region or an endpoint succeeded")
	}
	for _, want := range []string{"no AWS region", "AWS_REGION", "AWS_PROFILE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// The sink follows the same rule, whichever way the endpoint is given: an
// endpoint in the environment needs no region in the URL.
func TestSinkEnvironmentEndpointNeedsNoRegion(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	noRegionEnv(t, srv.URL)
	ws, closeSink, err := zap.Open("cloudwatch://g/s?anonymous=true")
	if err != nil {
		t.Fatalf("Open without a region: %v", err)
	}
	ws.Write([]byte("no region"))
	closeSink()
	if n := len(srv.Events("g", "s")); n != 1 {
		t.Errorf("the stream has %d events, want 1", n)
	}
}
