// Package cwzaplambda delivers a cwzap.Syncer's entries from AWS Lambda
// without making the caller wait for CloudWatch, and without losing what is
// buffered when the environment is frozen, times out or shuts down.
//
// # How
//
// Lambda returns a function's response as soon as the runtime posts it, but
// freezes the environment only once the runtime and every registered
// extension have asked for the next event. Wrap registers an internal
// extension (a goroutine of the function's own process) for INVOKE events.
// When a handler returns, its response goes out at once; the extension then
// syncs the Syncer and only afterwards asks for the next event, so nothing
// is buffered when the environment freezes.
//
//	ws, err := cwzaplambda.NewSyncer("/app/orders", "orders")
//	if err != nil { ... }
//	lambda.Start(cwzaplambda.Wrap(ws, handler))
//
// The invocation's deadline bounds every flush. A handler still running
// WithMargin before its deadline has what it logged so far flushed then,
// so a timeout loses nothing logged before it. Registering an extension
// makes Lambda send the process SIGTERM before shutting it down; Wrap then
// closes the Syncer within WithShutdownTimeout, and whatever is not
// delivered by then goes to the Syncer's fallback writer (NewSyncer makes
// that standard output, the function's own log group).
//
// # Where the extension cannot run
//
// Outside Lambda (AWS_LAMBDA_RUNTIME_API unset), or when the registration
// is refused, each invocation syncs before its handler returns, bounded by
// the invocation's deadline; Wrap says so once, as one line.
//
// Under Lambda Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY above 1) one
// environment runs several invocations at once and is never frozen between
// them, and internal extensions may not subscribe to any event. There Wrap
// registers an extension with no events (so SIGTERM still comes), and
// starts each invocation's flush in the background when its handler
// returns: no response waits for a put, and no invocation waits for
// another's flush.
//
// # Entries and their invocation
//
// Logger(ctx) returns a logger whose entries carry the invocation's
// function_request_id, cold_start, function_name, function_version and
// xray_trace_id, the keys Powertools for AWS Lambda uses.
package cwzaplambda
