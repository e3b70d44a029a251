package cwlogstest_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	"github.com/cwzap/cwzap/cwlogstest"
)

// post sends a raw JSON-protocol request, as a client that writes its
// own body would.
func post(t *testing.T, srv *cwlogstest.Server, op string, body []byte, gz bool) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "Logs_20140328."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestGzipBodies(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write([]byte(`{"logGroupName":"zipped"}`))
	w.Close()
	if resp := post(t, srv, "CreateLogGroup", z.Bytes(), true); resp.StatusCode != http.StatusOK {
		t.Fatalf("gzip CreateLogGroup: %s", resp.Status)
	}
	if g := srv.Groups(); len(g) != 1 || g[0].Name != "zipped" {
		t.Errorf("groups = %+v, want the one the gzip body named", g)
	}
	if resp := post(t, srv, "CreateLogGroup", []byte(`{"logGroupName":"x"}`), true); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a body that is not gzip: %s, want 400", resp.Status)
	}
	// The size limit applies to what the body holds.
	var big bytes.Buffer
	w = gzip.NewWriter(&big)
	w.Write([]byte(`{"logGroupName":"` + strings.Repeat("a", cwlogstest.DefaultMaxRequestBytes) + `"}`))
	w.Close()
	if resp := post(t, srv, "CreateLogGroup", big.Bytes(), true); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a gzip body over the limit once unzipped: %s, want 413", resp.Status)
	}
}
