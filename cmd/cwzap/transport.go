package main

import (
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// The HTTP client of every request pipe and tail make is the SDK's own
// (a BuildableClient, to which the SDK applies AWS_CA_BUNDLE), with one
// difference: request bodies reach http.Transport without their
// io.WriterTo.
//
// The SDK (smithy-go's transport/http, Request.Build) wraps a request
// body in a safe closer whose WriteTo answers io.EOF once it is closed,
// and closes it as soon as the answer's headers have come (ClientDo).
// http.Transport, after writing a body of known length, drains it once
// more (transferWriter.writeBody: io.Copy(io.Discard, body)), and io.Copy
// prefers WriteTo. When the answer comes before that drain, as a fast
// endpoint's can, the drain gets io.EOF as an error, the transport takes
// the request's write for failed and closes the connection while the
// answer's body is still being read. A large answer (GetLogEvents of a
// split entry's parts) is then cut short: the SDK prints "WARN failed to
// discard remaining HTTP response body ... use of closed network
// connection", or the call fails. Read after close answers (0, io.EOF),
// which the drain takes for the end of the body.

// newHTTPClient returns the HTTP client to load the AWS configuration
// with: requests bounded by timeout.
func newHTTPClient(timeout time.Duration) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTimeout(timeout)
}

// readOnlyBodies is an HTTP client that hides the io.WriterTo of request
// bodies from the one under it. The configuration's client is wrapped in
// it once the configuration is loaded.
type readOnlyBodies struct{ aws.HTTPClient }

func (c readOnlyBodies) Do(r *http.Request) (*http.Response, error) {
	if _, ok := r.Body.(io.WriterTo); ok {
		r = r.Clone(r.Context())
		r.Body = readOnlyBody{r.Body}
	}
	return c.HTTPClient.Do(r)
}

// untimed returns c without its request timeout, for a live tail session:
// a body read for as long as tail runs.
func untimed(c aws.HTTPClient) aws.HTTPClient {
	if rb, ok := c.(readOnlyBodies); ok {
		if b, ok := rb.HTTPClient.(*awshttp.BuildableClient); ok {
			return readOnlyBodies{b.WithTimeout(0)}
		}
	}
	return c
}

// readOnlyBody is a request body with only Read and Close.
type readOnlyBody struct{ io.ReadCloser }
