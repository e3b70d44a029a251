// Package cwzap ships go.uber.org/zap log entries to an AWS CloudWatch Logs
// stream.
//
// # Use
//
// A [Syncer] batches events for one log group and stream and sends them
// with PutLogEvents; [NewCore] turns it into a zapcore.Core:
//
//	ws, err := cwzap.NewSyncer("my-group", "my-stream")
//	if err != nil {
//		return err
//	}
//	defer ws.Close()
//	logger := zap.New(cwzap.NewCore(ws, zap.InfoLevel))
//	defer logger.Sync()
//
// logger.Sync is the purge: it returns once every earlier entry is
// delivered or has failed for good. An entry carrying [Purge], or any entry
// above ErrorLevel, is a purge on its own.
//
// # Name templates and routing
//
// A group or stream name may hold placeholders: {date} (the event's own
// UTC date, YYYY-MM-DD), {hostname}, {pid}, {function}
// (AWS_LAMBDA_FUNCTION_NAME, else the program's name), {logger} (the
// entry's logger name) and {field:KEY} (the string form of the entry's
// field KEY, or its logger's With field). NewSyncer expands {hostname},
// {pid} and {function} once; {date} is expanded from each event's
// timestamp, so "orders-{date}" rolls over to a new stream at midnight
// UTC, by the events' times and not the clock's. {logger} and {field:KEY}
// send each entry to the stream its own values name:
//
//	ws, err := cwzap.NewSyncer("/app/orders", "{field:tenant}/{date}")
//
// An unnamed logger's {logger} is "root"; an entry without the field (and
// anything written with Write or WriteEntry) takes "-" for it. Values are
// made valid names: a character the service refuses there becomes '_',
// and a name is cut to 512 characters. At most [WithMaxStreams] routes are
// open at once, each with a batch of its own; Sync covers every stream,
// each new stream is created on first use, and Stats add up over all of
// them. An unknown placeholder is an error at construction.
//
// # Duplicates
//
// A put whose answer is lost is retried, and the service may then hold its
// events twice. [WithSequenceKey] adds a "seq" key to every entry, a
// random writer id and a counter, so that one Logs Insights query finds
// such copies (see the README).
//
// # Options
//
// A [SyncerOption] configures delivery and goes to [NewSyncer]; a
// [CoreOption] configures the encoding and goes to [NewCore]. Giving one to
// the other constructor does not compile. [New] and [Spec.Build] take
// [Option], which both kinds are. A [Spec]'s fields and the query keys of a
// cloudwatch:// URL ([SinkScheme]) are the same options, checked by the
// same code; an error names the value as it was written: the option
// ("WithRetention(13)"), the Spec field
// ("logging.cloud-watch.group-class"), or the URL key ("synctimeout=-1s").
//
// # AWS configuration
//
// Without [WithClient], [NewSyncer] and the sink load the default AWS
// configuration (or use [WithAWSConfig]'s). A configured region wins; with
// none, a client with an endpoint (AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,
// AWS_ENDPOINT_URL, aws.Config.BaseEndpoint, the sink's endpoint=) uses
// us-east-1, which a local endpoint such as cwlogstest ignores; with
// neither, it is an error naming AWS_REGION and AWS_PROFILE. Error texts
// carry no credentials: access key ids, secret keys, session tokens and
// signatures are removed by their shape, and request ids, names and paths
// stay.
//
// # Presets
//
// A [Spec] describes a logger in data (class, level, group, stream,
// format). [ParseSpec] reads one from JSON and [Spec.Build] makes the
// logger; [New] does both for a spec already in Go, and takes a string as
// a class name only. [SyncerOf] returns the *Syncer of such a logger, and
// [ClassCode] its class.
//
// # zap.Config and log/slog
//
// Importing the package registers the encoding [EncodingName] and the sink
// scheme [SinkScheme] with zap, so a zap.Config can ship to CloudWatch; the
// encoding writes the layout whatever the config's EncoderConfig says. For
// log/slog, zap's bridge go.uber.org/zap/exp/zapslog wraps a Core from
// [NewCore] in a slog.Handler.
//
// # The layout
//
// By default each entry is one CloudWatch event holding one JSON object
// with the keys timestamp, level, location, message and, when there is an
// error or a stack, exception, followed by the fields. A top-level field
// named like one of these keys is written with a "_" prefix. [NewEncoder]
// documents every rule; the encoder is also registered with zap as "cwzap".
//
// # Text formats
//
// [WithFormat] selects a text event instead: a prefix, the message, then the
// fields as one JSON object. The prefix is [FormatStandard], [FormatShort],
// [FormatSimple], [FormatMini], or a template using {level}, {func} and
// {caller}; [WithPrefixFunc] computes it in Go. [WithFunction] sets {func}.
//
// # Delivery
//
// A [Syncer] copies each event, already escaped, into the arena of the open
// batch and sends it when the batch is full, when its oldest event is
// [WithFlushInterval] old, on Sync, or on a purge, with up to
// [WithConcurrency] puts in flight. A put creates the group and stream when
// they are missing and retries what can be retried for up to
// [WithPutTimeout]. An entry larger than [MaxEventBytes] becomes several
// events that reassemble byte for byte. Memory is bounded by
// [WithBufferLimit]; past it, [WithOverflow] decides.
//
// Every event accepted ends delivered, in the fallback writer
// ([WithFallback], stderr by default), or counted as dropped
// ([OverflowDrop] only): after Sync, [Stats] adds up. Each failure reaches
// [WithErrorHandler], from a goroutine of the Syncer's, once a cause and
// episode, and the error of the next Sync, which adds up everything since
// the previous one. Logging never waits on CloudWatch, on the error
// handler or on the fallback writer beyond the deadlines the options
// state. docs/architecture.md maps the inside.
//
// # The end of work
//
// Sync, Close and purges share one deadline, [WithSyncTimeout] (10 s by
// default), however much is pending; [Syncer.SyncContext] and
// [Syncer.CloseContext] also take a context, and the earlier deadline
// wins. When it passes, what they were waiting for goes to the fallback
// writer and their error counts it. [Syncer.Flush] waits for delivery
// like SyncContext but gives nothing up when its context ends, for a caller
// that will come back. A process must Sync or Close before it exits: what
// is still buffered then is lost, at most [WithBufferLimit], unless
// [WithSpool] keeps it for the next process.
//
// # Testing
//
// Package [github.com/cwzap/cwzap/cwlogstest] is an in-process CloudWatch
// Logs endpoint for tests: give its Client to [WithClient].
//
// # Concurrency
//
// A Core, and every Core derived from it with With, is safe for concurrent
// use when its WriteSyncer is; a *Syncer is. The caller owns the Syncer and
// closes it after the last entry.
package cwzap
