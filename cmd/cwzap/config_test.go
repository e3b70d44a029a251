package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
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
		tg := target{group: "g", stream: "s", endpointFlag: srv.URL, timeout: defaultTimeout}
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
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("-endpoint %q is not a URL like http://127.0.0.1:4566", ep)) {
			t.Errorf("-endpoint %q: %v", ep, err)
		}
	}
	// A port nobody listens on: refused at once, not after retries. (pipe
	// then writes its lines to stderr: pipe_test.go.)
	addr := deadAddr(t)
	_, _, err := cli(t, "", "tail", "-group", "g", "-stream", "s", "-endpoint", "http://"+addr)
	if err == nil || !strings.Contains(err.Error(), "cannot reach -endpoint http://"+addr+": ") {
		t.Errorf("tail, unreachable endpoint: %v", err)
	}
}

// deadAddr returns a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
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

// regions is a proxy in front of a server that records the region each
// request is signed for.
type regions struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

var _credentialScope = regexp.MustCompile(`Credential=[^/]*/\d{8}/([^/]+)/logs/aws4_request`)

func newRegions(t *testing.T, target string) *regions {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	rg := &regions{}
	rg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := _credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
		rg.mu.Lock()
		if m != nil {
			rg.seen = append(rg.seen, m[1])
		} else {
			rg.seen = append(rg.seen, "unsigned")
		}
		rg.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(rg.Close)
	return rg
}

// take returns the regions seen since the last take.
func (rg *regions) take() []string {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	seen := rg.seen
	rg.seen = nil
	return seen
}

// The region rule, the library's: a configured region wins; without one,
// an endpoint (-endpoint, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS or
// AWS_ENDPOINT_URL) gets us-east-1, and no endpoint is one line naming
// AWS_REGION and a profile.
func TestRegionRule(t *testing.T) {
	srv, _ := stream(t, "stored event")
	rg := newRegions(t, srv.URL)
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		wantRegion string
	}{
		{"AWS_ENDPOINT_URL alone", map[string]string{"AWS_ENDPOINT_URL": rg.URL}, nil, "us-east-1"},
		{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS alone", map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": rg.URL}, nil, "us-east-1"},
		{"-endpoint alone", nil, []string{"-endpoint", rg.URL}, "us-east-1"},
		{"-endpoint and AWS_REGION", map[string]string{"AWS_REGION": "eu-west-1"}, []string{"-endpoint", rg.URL}, "eu-west-1"},
		{"-endpoint and AWS_DEFAULT_REGION", map[string]string{"AWS_DEFAULT_REGION": "ap-south-1"}, []string{"-endpoint", rg.URL}, "ap-south-1"},
		{"AWS_ENDPOINT_URL and a profile's region", map[string]string{"AWS_ENDPOINT_URL": rg.URL, "AWS_PROFILE": "dev"}, nil, "sa-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			writeFile(t, os.Getenv("AWS_CONFIG_FILE"), "[profile dev]\nregion = sa-east-1\n")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			rg.take()
			r := exe(t, "", append([]string{"tail", "-group", "g", "-stream", "s"}, tt.args...)...)
			if r.code != 0 || !strings.HasSuffix(r.stdout, " stored event\n") || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
				t.Fatalf("tail: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			seen := r2s(rg.take())
			r = exe(t, "a line\n", append([]string{"pipe", "-group", "g", "-stream", "piped"}, tt.args...)...)
			if r.code != 0 || r.stderr != "cwzap: 1 line: 1 delivered, 0 to stderr\n" {
				t.Fatalf("pipe: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			seen += " " + r2s(rg.take())
			if strings.Trim(strings.ReplaceAll(seen, tt.wantRegion, ""), " ") != "" {
				t.Errorf("requests signed for %s, want all for %s", seen, tt.wantRegion)
			}
		})
	}

	t.Run("no endpoint, no region", func(t *testing.T) {
		isolate(t)
		want := "cwzap: no AWS region configured: set AWS_REGION, or AWS_PROFILE to a profile with a region; " +
			"for a local endpoint, give -endpoint or set AWS_ENDPOINT_URL_CLOUDWATCH_LOGS\n"
		for _, cmd := range []string{"tail", "pipe"} {
			r := exe(t, "a line\n", cmd, "-group", "g", "-stream", "s")
			if r.code != 1 || r.stdout != "" || r.stderr != want {
				t.Errorf("%s: exit %d, stdout %q, stderr %q; want 1 and\n%s", cmd, r.code, r.stdout, r.stderr, want)
			}
		}
	})
	t.Run("a bad endpoint variable is named", func(t *testing.T) {
		isolate(t)
		t.Setenv("AWS_ENDPOINT_URL", "127.0.0.1:4566")
		r := exe(t, "", "tail", "-group", "g", "-stream", "s")
		if want := "cwzap: AWS_ENDPOINT_URL \"127.0.0.1:4566\" is not a URL like http://127.0.0.1:4566\n"; r.code != 1 || r.stderr != want {
			t.Errorf("exit %d, stderr %q, want %q", r.code, r.stderr, want)
		}
	})
}

func r2s(regions []string) string { return strings.Join(regions, " ") }
