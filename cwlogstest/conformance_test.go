package cwlogstest_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
)

// TestBoto3Conformance runs testdata/conformance.py, a client written with
// boto3, against the server: legacy sequence tokens on an existing stream,
// rejected events, filter patterns and pagination as another SDK sees them
// (with sequence tokens checked and not), then the live tail and the
// entity of PutLogEvents. Without python3 and boto3 the test is skipped,
// except under CI=true. A group of checks whose operation the installed
// botocore lacks (Debian 12's botocore 1.29 has neither StartLiveTail nor
// the entity) is skipped, saying so: the script tells from botocore's own
// service model, and exits 77.
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
	tests := []struct {
		name           string
		checks         string
		sequenceTokens bool
	}{
		{"core", "core", false},
		{"core with sequence tokens", "core", true},
		{"live tail", "live-tail", false},
		{"entity", "entity", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := cwlogstest.NewUnstartedServer()
			ts.SequenceTokens = tt.sequenceTokens
			ts.LiveTailInterval = 10 * time.Millisecond
			ts.Start()
			defer ts.Close()
			out, code := runScript(t, python, script, ts.URL, tt.checks)
			switch code {
			case 0:
				t.Logf("%s", out)
			case skipped:
				if !strings.HasPrefix(out, "SKIP "+tt.checks+": botocore ") {
					t.Fatalf("%s exited %d without saying what botocore lacks:\n%s", python, code, out)
				}
				t.Skip(out)
			default:
				t.Errorf("%s: exit %d\n%s", python, code, out)
			}
		})
	}
}

// skipped is the script's exit code when botocore lacks what its checks
// need.
const skipped = 77

// runScript runs the conformance script with python against url, and
// returns its output and exit code.
func runScript(t *testing.T, python string, script []byte, url, checks string) (string, int) {
	t.Helper()
	// A guard against a hung interpreter, not a measure of speed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-", url, checks)
	cmd.Stdin = bytes.NewReader(script)
	home := t.TempDir()
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8",
		"AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
		"AWS_EC2_METADATA_DISABLED=true", "NO_PROXY=*",
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", python, err)
	}
	return strings.TrimSpace(string(out)), cmd.ProcessState.ExitCode()
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
