// Package cwlogstest provides an in-process CloudWatch Logs endpoint for
// tests, in the manner of net/http/httptest.
//
// A Server listens on loopback and speaks the service's JSON 1.1 protocol
// for CreateLogGroup, CreateLogStream, DeleteLogGroup, DeleteLogStream,
// DescribeLogGroups, DescribeLogStreams, PutLogEvents, GetLogEvents,
// FilterLogEvents, PutRetentionPolicy, ListTagsLogGroup,
// ListTagsForResource and StartLiveTail. It enforces the service's PutLogEvents limits and
// answers with the service's error shapes, so the real aws-sdk-go-v2 client
// returns the same typed errors (*types.ResourceNotFoundException and so on)
// as it would against AWS. A group keeps the class and deletion protection
// it was created with; DescribeLogGroups and Groups report them, and
// DeleteLogGroup refuses a protected group. Faults (throttling, 5xx answers, latency, dropped
// connections, outages, rate limits) can be injected at any time with
// SetFaults.
//
// A typical test:
//
//	ts := cwlogstest.NewServer()
//	defer ts.Close()
//	client := ts.Client() // a real *cloudwatchlogs.Client bound to ts
//
//	// ... create a group and stream, run the code under test with client ...
//
//	for _, e := range ts.Events("my-group", "my-stream") {
//		t.Log(e.Timestamp, e.Message)
//	}
//
// Code that builds its own client can use ts.Config() instead.
//
// # CloudWatch-native features
//
// PutLogEvents requests that carry x-amzn-logs-format: json/emf have their
// Embedded Metric Format events read as the service reads them: Metrics
// returns the extracted metrics (each with its unit and storage
// resolution) and EMFErrors counts documents that break the
// specification. FilterLogEvents answers searchedLogStreams empty, as the
// service has since 2020. An entity in a put is checked (Entity returns the
// last accepted; a bad one is answered with rejectedEntityInfo, never an
// error). Request bodies may be gzip-compressed (Content-Encoding: gzip).
// StartLiveTail streams new events over the event-stream protocol, so the
// SDK's own client reads them, and checks the request's constraints as
// the service does (InvalidParameterException).
//
// # Live tail from other clients
//
// The SDKs send StartLiveTail to "stream-" followed by the endpoint's
// host, a name that does not resolve for 127.0.0.1 or localhost. Config's
// clients turn that prefix off (smithyhttp.DisableEndpointHostPrefix in
// an Initialize middleware); other clients must do it themselves:
//
//	boto3:    boto3.client("logs", endpoint_url=url,
//	              config=botocore.config.Config(inject_host_prefix=False))
//	AWS CLI:  AWS_DISABLE_HOST_PREFIX_INJECTION=true aws logs start-live-tail --endpoint-url URL ...
//
// Recent botocore (and so boto3 and the AWS CLI, which has no flag for
// it) reads AWS_DISABLE_HOST_PREFIX_INJECTION=true, or
// disable_host_prefix_injection = true in the profile; older ones only
// take inject_host_prefix=False in code, and those before StartLiveTail
// (Debian 12's botocore 1.29) do not have the operation.
//
// # Filter patterns
//
// FilterLogEvents takes the service's filter-pattern syntax: terms, ?terms,
// -terms, "quoted phrases", %regex%, JSON patterns ({ $.a.b[0] = "x" &&
// $.n > 1 }, IS NULL, IS TRUE, IS FALSE, NOT EXISTS, * wildcards) and
// space-delimited patterns ([ip, ..., status = 4*, bytes > 1000]). Left
// out: selectors other than .name and [index] steps ($.* and $['key']),
// and the service's exact wording of pattern errors (the error type,
// InvalidParameterException, is the same). Regular expressions use Go's
// regexp syntax within the reference's limits (no parentheses, ASCII only,
// at most two in a JSON or space-delimited pattern). Everything
// is kept in memory and lost on Close; nothing leaves the machine.
package cwlogstest
