// Package cwzaplambda delivers a cwzap.Syncer's entries from AWS Lambda
// without making the caller wait for CloudWatch, and without losing what is
// buffered when the environment is frozen, times out, panics or shuts
// down.
//
// # How
//
// Lambda returns a function's response as soon as the runtime posts it, but
// freezes the environment only once the runtime and every registered
// extension have asked for the next event. WrapHandler (any handler
// shape) and Wrap (the typed func(ctx, T) (R, error)) register an internal
// extension (a goroutine of the function's own process) for INVOKE events.
// When a handler returns, its response goes out at once; the extension
// then syncs the Syncer and only afterwards asks for the next event, so
// nothing is buffered when the environment freezes.
//
//	ws, err := cwzaplambda.NewSyncer("/app/orders", "orders")
//	if err != nil { ... }
//	lambda.Start(cwzaplambda.WrapHandler(ws, lambda.NewHandler(handler)))
//
// The invocation's deadline bounds every flush. A handler still running
// WithMargin before its deadline has what it logged so far flushed then,
// so a timeout loses nothing logged before it. A handler that panics syncs
// before the panic goes on (aws-lambda-go reports it and ends the
// process), bounded by the deadline. Registering an extension makes
// Lambda send the process SIGTERM before shutting it down; Wrap then
// closes the Syncer within WithShutdownTimeout, and whatever is not
// delivered by then goes to the Syncer's fallback writer (NewSyncer makes
// that standard output, the function's own log group).
//
// # Quota
//
// Every function of an account shares one PutLogEvents quota (5,000 calls
// per second per Region by default). Unless WithMaxDeferral is 0, the
// extension's flush after an invocation leaves what it cannot deliver by
// WithMargin before the deadline pending in the Syncer (Syncer.Flush),
// its puts still retrying, instead of handing it to the fallback writer;
// and once puts are throttled, an environment invoked often lets itself
// be frozen without flushing, so that a later invocation's flush takes
// the entries of both. The bound: once a flush has left entries pending,
// the first invocation that ends WithMaxDeferral (4 s) or more after the
// oldest unsettled invocation flushes for good (SyncContext: delivered,
// or to the fallback writer by its deadline); so do an invocation that
// runs into its margin or panics, and SIGTERM's Close. The risk: entries
// left in a frozen environment wait for a later invocation or the SIGTERM
// flush, and are lost if the environment dies without SIGTERM.
// WithMaxDeferral(0) flushes every invocation for good.
//
// # Lambda's logging controls
//
// Under the JSON log format (AWS_LAMBDA_LOG_FORMAT=JSON) the fallback
// lines of NewSyncer carry Lambda's level names and an RFC 3339
// timestamp, so that the application log level (AWS_LAMBDA_LOG_LEVEL)
// filters them as it should; the default logger is at that level too.
// WithLogBuffer holds DEBUG detail per invocation and delivers it only
// when the invocation goes wrong.
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
// function_request_id, cold_start, function_name, function_version,
// xray_trace_id and tenant_id, the keys Powertools for AWS Lambda uses.
package cwzaplambda
