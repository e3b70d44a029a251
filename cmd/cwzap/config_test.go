package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cwzap/cwzap/cwlogstest"
)

func TestEndpointHonoursRegionAndProfiles(t *testing.T) {
	isolate(t)
	srv := cwlogstest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	check := func(name, wantRegion, wantKey string) {
		t.Helper()
		tg := target{group: "g", stream: "s", endpoint: srv.URL, timeout: defaultTimeout}
		c, err := tg.client(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		o := c.Options()
		creds, err := o.Credentials.Retrieve(ctx)
		if err != nil || o.Region != wantRegion || creds.AccessKeyID != wantKey {
			t.Errorf("%s: region %q key %q (%v), want %q %q", name, o.Region, creds.AccessKeyID, err, wantRegion, wantKey)
		}
	}
	check("nothing configured", "us-east-1", "local")

	t.Setenv("AWS_REGION", "eu-west-1")
	check("AWS_REGION", "eu-west-1", "local")

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	check("environment credentials", "eu-west-1", "AKIDFROMENV")

	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	writeFile(t, os.Getenv("AWS_CONFIG_FILE"), "[profile dev]\nregion = ap-south-1\n")
	writeFile(t, os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), "[dev]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n")
	t.Setenv("AWS_PROFILE", "dev")
	check("profile", "ap-south-1", "AKIDPROFILE")

	// The SDK's endpoint variable counts as an endpoint too.
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", srv.URL)
	tg := target{group: "g", stream: "s", timeout: defaultTimeout}
	if c, err := tg.client(ctx); err != nil || c.Options().Region != "us-east-1" {
		t.Errorf("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS alone: %v", err)
	}
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestMissingConfigurationSaysWhatToSet(t *testing.T) {
	isolate(t)
	_, _, err := cli(t, "", "tail", "-group", "g", "-stream", "s")
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION") || !strings.Contains(err.Error(), "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS") ||
		strings.Contains(err.Error(), "IMDS") || strings.Contains(err.Error(), "EC2") {
		t.Errorf("no configuration: %v; want a message naming AWS_REGION and the endpoint variable", err)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	_, _, err = cli(t, "", "pipe", "-group", "g", "-stream", "s")
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials") || !strings.Contains(err.Error(), "AWS_PROFILE") ||
		strings.Contains(err.Error(), "IMDS") {
		t.Errorf("no credentials: %v", err)
	}
}

func TestBadEndpointFailsAtOnce(t *testing.T) {
	isolate(t)
	for _, ep := range []string{"127.0.0.1:4566", "localhost", "ftp://127.0.0.1", "http://"} {
		_, _, err := cli(t, "", "tail", "-group", "g", "-stream", "s", "-endpoint", ep)
		if err == nil || !strings.Contains(err.Error(), "is not a URL like http://127.0.0.1:4566") {
			t.Errorf("-endpoint %q: %v", ep, err)
		}
	}
	// A port nobody listens on: refused at once, not after retries.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, cmd := range []string{"tail", "pipe"} {
		_, _, err = cli(t, "x\n", cmd, "-group", "g", "-stream", "s", "-endpoint", "http://"+addr)
		if err == nil || !strings.Contains(err.Error(), "cannot reach endpoint http://"+addr) {
			t.Errorf("%s, unreachable endpoint: %v", cmd, err)
		}
	}
}

// The SDK's "falling back to IMDSv1" warning, printed when something other
// than EC2 answers the metadata address, is not printed: the command's own
// line says what to set.
func TestNoIMDSv1Warning(t *testing.T) {
	isolate(t)
	imds := httptest.NewServer(http.NotFoundHandler()) // as another cloud's metadata service answers
	defer imds.Close()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	t.Setenv("AWS_REGION", "eu-west-1")

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	out, errOut, err := cli(t, "", "tail", "-group", "g", "-stream", "s")
	os.Stderr = saved
	w.Close()
	processStderr, _ := io.ReadAll(r)
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials found") {
		t.Errorf("tail without credentials: %v", err)
	}
	if all := out + errOut + string(processStderr); strings.Contains(all, "IMDS") {
		t.Errorf("the SDK's warning was printed: %q", all)
	}
}
