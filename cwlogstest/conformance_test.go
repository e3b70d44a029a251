package cwlogstest_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
)

// TestBoto3Conformance runs testdata/conformance.py, a client written with
// boto3, against the server: legacy sequence tokens on an existing stream,
// rejected events, filter patterns and pagination as another SDK sees them.
// Without python3 and boto3 the test is skipped, except under CI=true.
func TestBoto3Conformance(t *testing.T) {
	python := findBoto3Python()
	if python == "" {
		msg := "python3 with boto3 not found (Debian: apt-get install python3-boto3)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Read here, so that go test's cache sees a change to the script.
	script, err := os.ReadFile("testdata/conformance.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, strict := range []bool{false, true} {
		ts := cwlogstest.NewUnstartedServer()
		ts.SequenceTokens = strict
		ts.Start()
		// A guard against a hung interpreter, not a measure of speed.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, python, "-", ts.URL)
		cmd.Stdin = bytes.NewReader(script)
		home := t.TempDir()
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8",
			"AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
			"AWS_EC2_METADATA_DISABLED=true", "NO_PROXY=*",
		}
		out, err := cmd.CombinedOutput()
		cancel()
		ts.Close()
		if err != nil {
			t.Errorf("SequenceTokens=%v: %s: %v\n%s", strict, python, err, out)
			continue
		}
		t.Logf("SequenceTokens=%v: %s", strict, strings.TrimSpace(string(out)))
	}
}

// findBoto3Python prefers Debian's /usr/bin/python3 (where python3-boto3
// installs) over whatever python3 comes first on PATH.
func findBoto3Python() string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import boto3").Run() == nil {
			return path
		}
	}
	return ""
}
