package cwzap_test

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
	"go.uber.org/zap"
)

// normalized returns text's lines without indentation or blank lines.
func normalized(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func containsRun(haystack, needle []string) bool {
	for i := 0; i+len(needle) <= len(haystack); i++ {
		if slices.Equal(haystack[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}

// Every Go block of the README and of docs/ is code that runs: it is in
// example_test.go, where an Example or a test runs it, in a test of this
// file, in examples/slog, whose test runs it, or in cwzapotel's
// example_test.go, whose Example runs it. The Lambda block belongs to the
// cwzaplambda module and is run by examples/lambda.
func TestREADMESnippetsAreExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var sources [][]string
	for _, path := range []string{"example_test.go", "example_readme_test.go", "examples/slog/main.go", "cwzapotel/example_test.go"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, normalized(string(b)))
	}
	blocks := goBlocks(string(readme))
	if len(blocks) < 8 {
		t.Fatalf("found %d Go blocks in README.md; the parser is broken", len(blocks))
	}
	for _, path := range docs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, goBlocks(string(b))...)
	}
	for _, block := range blocks {
		want := normalized(block)
		if strings.Contains(block, "cwzaplambda.") {
			continue
		}
		if want[0] == "func main() {" {
			want[0] = "func readmeMain() {"
		}
		found := false
		for _, src := range sources {
			found = found || containsRun(src, want)
		}
		if !found {
			t.Errorf("README or docs/ block not found, as written, in example_test.go, example_readme_test.go, examples/slog/main.go or cwzapotel/example_test.go:\n%s", block)
		}
	}
}

// goBlocks returns the text of each Go block of a Markdown document.
func goBlocks(doc string) []string {
	var blocks []string
	sc := bufio.NewScanner(strings.NewReader(doc))
	var cur *strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && line == "```go":
			cur = &strings.Builder{}
		case cur != nil && line == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return blocks
}

// The README's tee prints every entry on stdout and sends INFO and above
// to CloudWatch.
func TestREADMETee(t *testing.T) {
	srv := cwlogstest.NewServer()
	t.Cleanup(srv.Close)
	ws, err := cwzap.NewSyncer("g", "s", cwzap.WithClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	logger := readmeTee(ws)
	os.Stdout = stdout
	logger.Debug("console only")
	logger.Info("both")
	if err := logger.Sync(); err != nil {
		t.Fatalf("Sync with stdout a pipe: %v", err)
	}
	w.Close()
	out, _ := io.ReadAll(r)
	if !strings.Contains(string(out), "DEBUG") || !strings.Contains(string(out), "console only") || !strings.Contains(string(out), "both") {
		t.Errorf("stdout = %q, want both entries", out)
	}
	events := srv.Events("g", "s")
	if len(events) != 1 || !strings.Contains(events[0].Message, `"message":"both"`) {
		t.Errorf("CloudWatch events = %+v, want only the INFO entry", events)
	}
}

// The README's "Testing your logging", as a test of its own.
func TestREADMETestingYourLogging(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	ws, err := cwzap.NewSyncer("g", "s", cwzap.WithClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))
	logger.Info("hello")
	if err := logger.Sync(); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Events("g", "s")); n != 1 {
		t.Errorf("CloudWatch holds %d events, want 1", n)
	}
}
