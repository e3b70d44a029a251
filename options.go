package cwzap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// An Option configures New and Spec.Build. Options come in two kinds, so
// that an option given to a constructor that cannot use it does not
// compile: a SyncerOption configures delivery and goes to NewSyncer, a
// CoreOption configures the encoding and goes to NewCore. Each With…
// function returns its kind, and both kinds are Options. A list of mixed
// options for New is a []Option.
type Option interface {
	cwzapOption()
}

// A SyncerOption configures NewSyncer (and the Syncer that New builds for
// the cloud-watch class).
type SyncerOption interface {
	Option
	applySyncer(*syncerOptions)
}

// A CoreOption configures NewCore and the encoder (and the Core that New
// builds).
type CoreOption interface {
	Option
	applyCore(*coreOptions)
}

// A syncerSetting is a SyncerOption: the value of one With… call, where
// the user wrote it, and the function that checks it and stores it. That
// check is the only one the value gets, whichever way it came in: a With…
// call, a key of the cloudwatch:// URL (sink.go) or a field of a Spec
// (spec.go). The URL and the Spec make the same options, labelled with the
// key or field they came from, so that an error names what the user wrote.
type syncerSetting struct {
	at  origin
	set func(o *syncerOptions, at origin)
}

func (syncerSetting) cwzapOption() {}

func (s syncerSetting) applySyncer(o *syncerOptions) {
	if o.origins == nil {
		o.origins = make(map[string]origin)
	}
	o.origins[s.at.option] = s.at
	s.set(o, s.at)
}

// A coreSetting is a CoreOption, as a syncerSetting is a SyncerOption.
type coreSetting struct {
	at  origin
	set func(o *coreOptions, at origin)
}

func (coreSetting) cwzapOption() {}

func (s coreSetting) applyCore(o *coreOptions) { s.set(o, s.at) }

// syncerOption adapts a function to a SyncerOption that nothing refuses or
// names.
type syncerOption func(*syncerOptions)

func (syncerOption) cwzapOption()                   {}
func (f syncerOption) applySyncer(o *syncerOptions) { f(o) }

// newSyncerSetting returns the option named option, given arg (as Go
// prints it; "" when it cannot be printed usefully), stored by set.
func newSyncerSetting(option, arg string, set func(o *syncerOptions, at origin)) SyncerOption {
	return syncerSetting{at: origin{option: option, arg: arg}, set: set}
}

func newCoreSetting(option, arg string, set func(o *coreOptions, at origin)) CoreOption {
	return coreSetting{at: origin{option: option, arg: arg}, set: set}
}

// An origin is where the user wrote an option's value: a With… call, a
// key of the cloudwatch:// URL, or a field of a Spec.
type origin struct {
	option string // the With… function, "WithSyncTimeout"; set by every door
	arg    string // its argument as Go prints it: "2s", `"STANDARD"`
	field  string // the EncoderConfig field, when WithEncoderConfig set it
	door   door
	key    string // doorURL: the query key; doorSpec: the field's path
	text   string // doorURL, doorSpec: the value as written there
}

// A door is the way a value came in.
type door uint8

const (
	doorOption door = iota // a With… call
	doorURL                // a query key of a cloudwatch:// URL
	doorSpec               // a field of a Spec
)

// written returns opt labelled as written at a URL key or a Spec field;
// other options are returned as they are.
func written[O Option](opt O, d door, key, text string) O {
	switch s := any(opt).(type) {
	case syncerSetting:
		s.at.door, s.at.key, s.at.text = d, key, text
		return any(s).(O)
	case coreSetting:
		s.at.door, s.at.key, s.at.text = d, key, text
		return any(s).(O)
	}
	return opt
}

// String names the value as the user wrote it: "WithSyncTimeout(2s)",
// "synctimeout=2s" (a URL key), `logging.cloud-watch.group-class "x"` (a
// Spec field).
func (at origin) String() string {
	switch at.door {
	case doorURL:
		return at.key + "=" + at.text
	case doorSpec:
		return at.key + " " + strconv.Quote(at.text)
	}
	if at.arg == "" {
		return at.option
	}
	return at.option + "(" + at.arg + ")"
}

// where names where the value was written, without it, for a message that
// quotes it: "WithFormat", "logging.cloud-watch.format".
func (at origin) where() string {
	switch {
	case at.door != doorOption:
		return at.key
	case at.field != "":
		return at.option + ": " + at.field
	}
	return at.option
}

// prefix is the error prefix of the door: "cwzap: sink: ", "cwzap: spec: ".
func (at origin) prefix() string {
	switch at.door {
	case doorURL:
		return "cwzap: sink: "
	case doorSpec:
		return "cwzap: spec: "
	}
	return "cwzap: "
}

// errorf returns an error naming the value as written, then the reason.
func (at origin) errorf(format string, args ...any) error {
	return fmt.Errorf("%s%s: %s", at.prefix(), at, fmt.Sprintf(format, args...))
}

// wrap returns err, from a check whose message quotes the value (such as
// Format.Validate), as an error naming where the value was written.
func (at origin) wrap(err error) error {
	text := strings.TrimPrefix(err.Error(), "cwzap: ")
	if at.door == doorOption && at.field == "" && strings.HasPrefix(text, at.option) {
		return err // it names the option already
	}
	return errors.New(at.prefix() + at.where() + ": " + text)
}

// inText reports whether the value was written as text, in a URL or a
// Spec, where leaving a key out is how to ask for the default: there, a
// value the With… function would take as "the default" (a duration or
// count <= 0) is a mistake to report.
func (at origin) inText() bool { return at.door != doorOption }

// splitOptions sorts New's options into the two kinds.
func splitOptions(opts []Option) ([]SyncerOption, []CoreOption) {
	var so []SyncerOption
	var co []CoreOption
	for _, opt := range opts {
		switch opt := opt.(type) {
		case SyncerOption:
			so = append(so, opt)
		case CoreOption:
			co = append(co, opt)
		}
	}
	return so, co
}

// OverflowPolicy says what a Syncer does with an event that arrives while
// its buffer holds WithBufferLimit bytes.
type OverflowPolicy int

const (
	// OverflowFallback writes the event to the fallback writer, so nothing
	// is lost. It is the default.
	OverflowFallback OverflowPolicy = iota
	// OverflowBlock makes the caller wait until a put frees room, at most
	// the flush interval; if there is still no room, the event goes to the
	// fallback writer.
	OverflowBlock
	// OverflowDrop discards the event and counts it in Stats.Dropped.
	OverflowDrop
)

// String returns "fallback", "block" or "drop".
func (p OverflowPolicy) String() string {
	switch p {
	case OverflowFallback:
		return "fallback"
	case OverflowBlock:
		return "block"
	case OverflowDrop:
		return "drop"
	}
	return "OverflowPolicy(" + strconv.Itoa(int(p)) + ")"
}

// Defaults of the Syncer's options.
const (
	DefaultFlushInterval = 5 * time.Second
	DefaultBufferLimit   = 64 << 20 // 64 MiB of batches (WithBufferLimit)
	DefaultConcurrency   = 4
	DefaultMaxStreams    = 100 // routes open at once (WithMaxStreams)
	DefaultPutTimeout    = time.Minute
	// DefaultSyncTimeout bounds Sync, Close and purges (WithSyncTimeout):
	// a third of the 30 s a Kubernetes pod gets after SIGTERM, leaving the
	// rest for draining requests.
	DefaultSyncTimeout = 10 * time.Second
	// DefaultSpoolLimit bounds a spool's files (WithSpoolLimit): 256 MiB.
	DefaultSpoolLimit = 256 << 20
	// MinSpoolLimit is the smallest WithSpoolLimit: 1 MiB.
	MinSpoolLimit = 1 << 20
)

// _retentionDays are the retention periods, in days, that the service
// accepts (PutRetentionPolicy), and so the values WithRetention takes
// besides 0. Unexported so that no importer can change it; the errors that
// refuse a value list it.
var _retentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

type syncerOptions struct {
	client        Client
	release       func() // for a client cwzap built (the sink's): releases its connections
	awsConfig     *aws.Config
	flushInterval time.Duration
	maxEvents     int
	maxBytes      int
	bufferLimit   int
	overflow      OverflowPolicy
	fallback      io.Writer
	onError       func(error)
	group         groupOptions // settings of a group the Syncer creates
	concurrency   int
	maxStreams    int // WithMaxStreams
	putTimeout    time.Duration
	syncTimeout   time.Duration
	wire          wireOptions  // compression and entity (wire.go)
	spool         spoolOptions // WithSpool (spool.go)

	errs    []error           // values no constructor can honour
	origins map[string]origin // by option name: where each value was written
}

// spoolOptions are WithSpool's and WithSpoolLimit's.
type spoolOptions struct {
	dir   string // "" for none
	limit int64
	fs    spoolFS // nil: the operating system's; the tests set others
}

// groupOptions are the settings of a log group the Syncer creates.
type groupOptions struct {
	create    bool // WithCreateGroup
	retention int32
	kmsKey    string
	tags      map[string]string
	class     LogGroupClass // "": the service's default
	protect   bool          // deletion protection
}

func defaultSyncerOptions() syncerOptions {
	return syncerOptions{
		flushInterval: DefaultFlushInterval,
		maxEvents:     MaxBatchEvents,
		maxBytes:      MaxBatchBytes,
		bufferLimit:   DefaultBufferLimit,
		overflow:      OverflowFallback,
		group:         groupOptions{create: true},
		concurrency:   DefaultConcurrency,
		maxStreams:    DefaultMaxStreams,
		putTimeout:    DefaultPutTimeout,
		syncTimeout:   DefaultSyncTimeout,
		spool:         spoolOptions{limit: DefaultSpoolLimit},
	}
}

// err reports the option values that cannot be honoured, one line each.
func (o *syncerOptions) err() error { return errors.Join(o.errs...) }

// refuse records that the value at cannot be honoured, and why.
func (o *syncerOptions) refuse(at origin, format string, args ...any) {
	o.errs = append(o.errs, at.errorf(format, args...))
}

// written names the option (its With… name, "WithSyncTimeout") as the
// user set it, for a message about its value at run time: the URL key
// ("synctimeout=2s"), the Spec field, or the call ("WithSyncTimeout(2s)");
// the bare name when it was left at its default.
func (o *syncerOptions) written(option string) string {
	if at, ok := o.origins[option]; ok {
		return at.String()
	}
	return option
}

// positive returns v, or def when v <= 0: the default a With… function
// documents. Written as text (a URL key), such a value is refused instead:
// leaving the key out is how to ask for the default there.
func positive[T int | int64 | time.Duration](o *syncerOptions, at origin, v, def T, want string) T {
	if v > 0 {
		return v
	}
	if at.inText() {
		o.refuse(at, "want %s; leave it out for the default", want)
	}
	return def
}

func buildSyncerOptions(opts []SyncerOption) syncerOptions {
	o := defaultSyncerOptions()
	for _, opt := range opts {
		if opt != nil {
			opt.applySyncer(&o)
		}
	}
	return o
}

// coreOptions are what NewCore reads: the encoder configuration.
type coreOptions struct {
	encoder EncoderConfig

	// Where the checked values were written (zero: their defaults).
	formatAt, namespaceAt, dimensionsAt origin
}

// err reports the encoder configuration that New and Spec.Build refuse,
// one line each, naming where each value was written. NewCore, which
// cannot fail, encodes it anyway (see NewCore); the checks are the
// encoder's own: Format.Validate and the metrics' rules.
func (o *coreOptions) err() error {
	var errs []error
	if err := o.encoder.Format.Validate(); err != nil {
		errs = append(errs, o.formatAt.wrap(err))
	}
	if ns := o.encoder.MetricNamespace; ns != "" {
		if err := validateEMF(ns, nil, nil); err != nil {
			errs = append(errs, o.namespaceAt.wrap(err))
		}
	}
	if dims := o.encoder.MetricDimensions; len(dims) > 0 {
		if err := validateEMF(DefaultMetricNamespace, dims, o.encoder.layoutOwns); err != nil {
			errs = append(errs, o.dimensionsAt.wrap(err))
		}
	}
	return errors.Join(errs...)
}

// checkOptions applies opts as New does and reports every value it cannot
// honour; it returns the encoder's options.
func checkOptions(opts []Option) (coreOptions, error) {
	so, co := splitOptions(opts)
	c, o := buildCoreOptions(co), buildSyncerOptions(so)
	return c, errors.Join(c.err(), o.err())
}

func buildCoreOptions(opts []CoreOption) coreOptions {
	var o coreOptions
	for _, opt := range opts {
		if opt != nil {
			opt.applyCore(&o)
		}
	}
	return o
}

// WithClient sets the CloudWatch Logs client a Syncer uses. Without it,
// NewSyncer builds one from WithAWSConfig or, failing that, from
// config.LoadDefaultConfig. A *cloudwatchlogs.Client gets the fast request
// path (the Syncer writes the request body itself); any other Client
// receives ordinary inputs.
func WithClient(c Client) SyncerOption {
	return newSyncerSetting("WithClient", "", func(o *syncerOptions, _ origin) { o.client = c })
}

// withBuiltClient gives the Syncer a client cwzap built for it, which the
// Syncer owns: Close calls release.
func withBuiltClient(c Client, release func()) SyncerOption {
	return syncerOption(func(o *syncerOptions) { o.client, o.release = c, release })
}

// WithAWSConfig builds the Syncer's client from cfg instead of the default
// configuration. Ignored when WithClient is given.
func WithAWSConfig(cfg aws.Config) SyncerOption {
	return newSyncerSetting("WithAWSConfig", "", func(o *syncerOptions, _ origin) { o.awsConfig = &cfg })
}

// WithFlushInterval sets the time an event waits in the open batch before
// it is sent. Each batch draws its own wait within a tenth of it either
// way, so that writers started together spread their puts. Defaults to
// DefaultFlushInterval (5 s); a value <= 0 keeps the default.
func WithFlushInterval(d time.Duration) SyncerOption {
	return newSyncerSetting("WithFlushInterval", d.String(), func(o *syncerOptions, at origin) {
		o.flushInterval = positive(o, at, d, DefaultFlushInterval, `a positive duration such as "2s"`)
	})
}

// WithMaxBatchEvents caps the events in one PutLogEvents call. Defaults to
// MaxBatchEvents (10,000), the service's limit; a value <= 0 keeps the
// default, and one above the limit is an error.
func WithMaxBatchEvents(n int) SyncerOption {
	return newSyncerSetting("WithMaxBatchEvents", strconv.Itoa(n), func(o *syncerOptions, at origin) {
		switch {
		case n > MaxBatchEvents:
			o.refuse(at, "the service takes at most %d events per call; want 1 to %d, or <= 0 for the default", MaxBatchEvents, MaxBatchEvents)
		default:
			o.maxEvents = positive(o, at, n, MaxBatchEvents, "1 to "+strconv.Itoa(MaxBatchEvents))
		}
	})
}

// WithMaxBatchBytes caps the size of one PutLogEvents call, counted as the
// service counts it (message bytes plus EventOverhead per event). Defaults
// to MaxBatchBytes (1 MiB), the service's limit; a value <= 0 keeps the
// default, and one above the limit or too small for a one-byte event is an
// error. A smaller cap still admits one event of up to MaxEventBytes.
func WithMaxBatchBytes(n int) SyncerOption {
	return newSyncerSetting("WithMaxBatchBytes", strconv.Itoa(n), func(o *syncerOptions, at origin) {
		switch {
		case n > 0 && n <= EventOverhead, n > MaxBatchBytes:
			o.refuse(at, "want %d to %d bytes, or <= 0 for the default", EventOverhead+1, MaxBatchBytes)
		default:
			o.maxBytes = positive(o, at, n, MaxBatchBytes, fmt.Sprintf("%d to %d bytes", EventOverhead+1, MaxBatchBytes))
		}
	})
}

// WithBufferLimit bounds the log data a Syncer holds, counted as
// CloudWatch counts it (message bytes plus EventOverhead an event): the
// batch taking events, sealed batches waiting to be sent and those in
// flight. When it is reached the overflow policy applies; by then the
// buffer holds the limit but for at most one batch's worth
// (WithMaxBatchBytes). The memory behind it is larger: the request body's
// escaping and framing and a 16-byte index an event add about a fifth for
// entries of a few hundred bytes (more for tiny ones, up to twice), and
// the Go runtime's heap grows past the live data between collections.
// Logging 4 L of 300-byte entries into an outage with a limit of L raised
// the peak RSS by 1.3 L (64 MiB) to 1.5 L (16 MiB) under the default GOGC
// (bench/README.md, BenchmarkOutageMemory). Defaults to DefaultBufferLimit
// (64 MiB); a value <= 0 keeps the default, and values below two full
// batches are raised to two.
func WithBufferLimit(bytes int) SyncerOption {
	return newSyncerSetting("WithBufferLimit", strconv.Itoa(bytes), func(o *syncerOptions, at origin) {
		o.bufferLimit = positive(o, at, bytes, DefaultBufferLimit, "a positive number of bytes")
	})
}

// WithSpool makes the Syncer crash safe: every event is appended to a
// file in dir before Write returns, and marked settled there once it is
// delivered (or in the fallback writer, or dropped). NewSyncer replays
// what a process that ended without Close (SIGKILL, a panic, the OOM
// killer, a power loss) left unsettled in dir, with the events' own
// times, before it returns; then the events follow the usual path.
//
// Writing costs callers a copy: a goroutine of the Syncer's writes the
// files with write(2), whose data the kernel keeps when a process dies;
// when events are rare (their times a millisecond or more apart) the
// caller writes its own before Write returns. When the goroutine falls
// 256 KiB behind, callers wait for it, up to WithSyncTimeout.
// Nothing waits for fsync: files are fsynced when a 4 MiB segment is full,
// at most a second after a write while events keep coming, and at Close;
// so only a power loss or a kernel crash can lose events, about the last
// second of them. A delivered batch is never replayed; but PutLogEvents
// has no idempotency key, so a batch the service stored while the process
// died waiting for the answer is stored again, as is what a replaying
// process replays if it dies before removing the old files.
//
// dir is created if missing, and is locked (flock) while the Syncer is
// open: a second Syncer or process on it gets an error from NewSyncer.
// Use it for long-running services with a persistent volume, not on
// Lambda (the file system does not outlive the execution environment:
// cwzaplambda flushes at the end of each invocation instead). Defaults
// to no spool; dir must not be empty. Close removes the files once every
// event is settled. Not supported on platforms without flock.
func WithSpool(dir string) SyncerOption {
	return newSyncerSetting("WithSpool", strconv.Quote(dir), func(o *syncerOptions, at origin) {
		if dir == "" {
			o.refuse(at, "want a directory")
			return
		}
		o.spool.dir = dir
	})
}

// WithSpoolLimit bounds the spool's files (WithSpool): what is not yet
// settled, plus settled events whose 4 MiB segment still holds unsettled
// ones. An event that finds the spool full follows the overflow policy,
// as if the buffer were full (OverflowBlock does not wait for the spool),
// and is counted in SpoolStats.Refused. Defaults to DefaultSpoolLimit
// (256 MiB); a value <= 0 keeps the default; a value below MinSpoolLimit
// is an error.
func WithSpoolLimit(bytes int64) SyncerOption {
	return newSyncerSetting("WithSpoolLimit", strconv.FormatInt(bytes, 10), func(o *syncerOptions, at origin) {
		switch {
		case bytes > 0 && bytes < MinSpoolLimit:
			o.refuse(at, "want at least MinSpoolLimit (%d bytes), or <= 0 for the default", MinSpoolLimit)
		default:
			o.spool.limit = positive(o, at, bytes, DefaultSpoolLimit, fmt.Sprintf("at least %d bytes", MinSpoolLimit))
		}
	})
}

// WithOverflow sets what happens to an event that finds the buffer full.
// Defaults to OverflowFallback; a value other than the three policies is
// an error.
func WithOverflow(p OverflowPolicy) SyncerOption {
	return newSyncerSetting("WithOverflow", strconv.Itoa(int(p)), func(o *syncerOptions, at origin) {
		if p < OverflowFallback || p > OverflowDrop {
			o.refuse(at, "unknown policy; want OverflowFallback, OverflowBlock or OverflowDrop")
			return
		}
		o.overflow = p
	})
}

// WithFallback sets where events go that cannot be delivered: failed for
// good, rejected by the service, written after Close, or overflowing under
// OverflowFallback. Each event is one line, and each call holds whole
// lines (one, or a run of a batch's events). Defaults to os.Stderr; the
// Syncer serialises its calls.
func WithFallback(w io.Writer) SyncerOption {
	return newSyncerSetting("WithFallback", "", func(o *syncerOptions, _ origin) { o.fallback = w })
}

// WithErrorHandler sets the function that receives errors from the
// background: a batch that failed for good or events the service rejected
// (a *DeliveryError), events a deadline handed to the fallback writer, an
// overflow of the buffer (ErrBufferFull), the spool losing its files, a
// failed retention call. Reports of one cause are added up: the first
// comes at once, the rest as one report when the episode ends (a put to
// the stream succeeds again, the buffer has room again) or at the next
// Sync or Close; a deadline is one report a stream.
//
// It is called from a goroutine of the Syncer's own, one report at a time,
// with no lock held: it may log through the logger whose Syncer reports to
// it, and one that is slow or never returns holds no writer and no Sync
// (reports wait for it, bounded in number; Close waits for it only until
// its deadline). Defaults to writing the error as one line to os.Stderr.
func WithErrorHandler(f func(error)) SyncerOption {
	return newSyncerSetting("WithErrorHandler", "", func(o *syncerOptions, _ origin) { o.onError = f })
}

// WithCreateGroup says whether a missing log group is created. Defaults to
// true; with false, a missing group fails the batch for good (the stream is
// still created when the group exists).
func WithCreateGroup(create bool) SyncerOption {
	return newSyncerSetting("WithCreateGroup", strconv.FormatBool(create), func(o *syncerOptions, _ origin) { o.group.create = create })
}

// WithRetention sets the retention in days applied when the Syncer creates
// the log group. Defaults to 0: the group keeps events forever. Any value
// but 0 and the service's list (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180,
// 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653) is an error
// that lists them.
func WithRetention(days int32) SyncerOption {
	return newSyncerSetting("WithRetention", strconv.Itoa(int(days)), func(o *syncerOptions, at origin) {
		switch {
		case days == 0 && !at.inText(), slices.Contains(_retentionDays, days):
			o.group.retention = days
		case at.inText():
			o.refuse(at, "want one of %v days; leave it out to keep events forever", _retentionDays)
		default:
			o.refuse(at, "the service accepts %v days, or 0 to keep events forever", _retentionDays)
		}
	})
}

// WithKMSKey sets the KMS key ARN used when the Syncer creates the log group.
// Defaults to none.
func WithKMSKey(arn string) SyncerOption {
	return newSyncerSetting("WithKMSKey", strconv.Quote(arn), func(o *syncerOptions, _ origin) { o.group.kmsKey = arn })
}

// WithTags sets the tags applied when the Syncer creates the log group.
// Defaults to none. The map is copied.
func WithTags(tags map[string]string) SyncerOption {
	cp := maps.Clone(tags)
	if cp == nil {
		cp = map[string]string{}
	}
	return newSyncerSetting("WithTags", "", func(o *syncerOptions, _ origin) { o.group.tags = cp })
}

// A LogGroupClass is a log group class the Syncer may create a group in.
type LogGroupClass string

// The classes WithLogGroupClass takes. The service has others: DELIVERY
// keeps events one day and answers no Logs Insights query, and ESSENTIALS
// is not tested with cwzap; a group of either class, made beforehand, can
// still be written to.
const (
	// LogGroupClassStandard has every CloudWatch Logs feature; the
	// service's default.
	LogGroupClassStandard LogGroupClass = "STANDARD"
	// LogGroupClassInfrequentAccess costs less to ingest and store, and
	// lacks some features (metric filters, live tail, subscriptions);
	// Logs Insights queries still work.
	LogGroupClassInfrequentAccess LogGroupClass = "INFREQUENT_ACCESS"
)

// WithLogGroupClass sets the class of a log group the Syncer creates. A
// group that already exists keeps its class (the service cannot change
// it). Defaults to "": the service's default, STANDARD. The class is
// matched without regard to case; any other than LogGroupClassStandard and
// LogGroupClassInfrequentAccess is an error.
func WithLogGroupClass(class LogGroupClass) SyncerOption {
	return newSyncerSetting("WithLogGroupClass", strconv.Quote(string(class)), func(o *syncerOptions, at origin) {
		c := LogGroupClass(strings.ToUpper(string(class)))
		switch c {
		case "", LogGroupClassStandard, LogGroupClassInfrequentAccess:
			o.group.class = c
		default:
			o.refuse(at, "unknown log group class; want %s or %s", LogGroupClassStandard, LogGroupClassInfrequentAccess)
		}
	})
}

// WithDeletionProtection turns deletion protection on for a log group the
// Syncer creates: the service then refuses to delete the group until it is
// turned off. A group that already exists keeps its setting. Defaults to
// false.
func WithDeletionProtection(on bool) SyncerOption {
	return newSyncerSetting("WithDeletionProtection", strconv.FormatBool(on), func(o *syncerOptions, _ origin) { o.group.protect = on })
}

// WithConcurrency sets how many PutLogEvents calls may be in flight at once
// on the stream. Defaults to DefaultConcurrency (4); a value <= 0 keeps
// the default. Events keep their own timestamps, and order inside each
// batch holds.
func WithConcurrency(n int) SyncerOption {
	return newSyncerSetting("WithConcurrency", strconv.Itoa(n), func(o *syncerOptions, at origin) {
		o.concurrency = positive(o, at, n, DefaultConcurrency, "a positive number of puts")
	})
}

// WithMaxStreams bounds the routes a Syncer whose names take values from
// entries ({logger}, {field:KEY}) keeps open at once: each has a batch
// taking its events, and up to this many streams are written to at once.
// When an entry of another route comes, the route least recently used is
// sealed (its batch sent as it is) and gives up its place; nothing is
// lost, but a program that cycles through more routes than this sends
// small batches. Open batches share half of WithBufferLimit: each opens
// with 1/(2n) of it and, while they hold less than half, grows up to
// WithMaxBatchBytes, so a few routes open still send full requests.
// Defaults to DefaultMaxStreams (100); a value <= 0 keeps the default. A
// Syncer whose names take nothing from entries writes to one stream (or
// one a day) and ignores it.
func WithMaxStreams(n int) SyncerOption {
	return newSyncerSetting("WithMaxStreams", strconv.Itoa(n), func(o *syncerOptions, at origin) {
		o.maxStreams = positive(o, at, n, DefaultMaxStreams, "a positive number of streams")
	})
}

// WithPutTimeout bounds the time spent on one batch sent in the background
// (full, or aged by WithFlushInterval), retries and group or stream
// creation included, before it fails for good and goes to the fallback
// writer. Defaults to DefaultPutTimeout (1 minute); a value <= 0 keeps the
// default. A Sync, Close or purge waits no longer than WithSyncTimeout,
// whatever this is.
func WithPutTimeout(d time.Duration) SyncerOption {
	return newSyncerSetting("WithPutTimeout", d.String(), func(o *syncerOptions, at origin) {
		o.putTimeout = positive(o, at, d, DefaultPutTimeout, `a positive duration such as "30s"`)
	})
}

// WithSyncTimeout sets the one deadline of the end of work: Sync, Close and
// every purge (an entry carrying Purge, or above ErrorLevel) return within
// it, however many batches are pending. Before it passes, by the handover
// reserve (what writing the pending events to the fallback writer took
// last time, a tenth to a half of the wait), the events the call was
// waiting for that are not yet delivered go to the fallback writer, their
// puts are cancelled, and the call returns a *DeliveryError that counts
// them. In an outage that a deadline already gave up on, with no put
// succeeding since, a call gives up after a quarter of it instead, unless
// a put succeeds meanwhile: a program that syncs and closes against an
// endpoint that is down waits about one WithSyncTimeout, not two.
// SyncContext and CloseContext keep the earlier of this and their
// context's deadline. Defaults to DefaultSyncTimeout (10 s); a value <= 0
// keeps the default.
func WithSyncTimeout(d time.Duration) SyncerOption {
	return newSyncerSetting("WithSyncTimeout", d.String(), func(o *syncerOptions, at origin) {
		o.syncTimeout = positive(o, at, d, DefaultSyncTimeout, `a positive duration such as "2s"`)
	})
}

// WithFormat selects the encoding: FormatJSON (the default) or a text
// prefix format. Use the Format constants or ParseFormat; see Format for
// what an invalid format does.
func WithFormat(f Format) CoreOption {
	return newCoreSetting("WithFormat", strconv.Quote(string(f)), func(o *coreOptions, at origin) {
		o.encoder.Format, o.formatAt = f, at
	})
}

// WithPrefixFunc sets a function that computes the text prefix; it selects
// the text encoding whatever the Format.
func WithPrefixFunc(f PrefixFunc) CoreOption {
	return newCoreSetting("WithPrefixFunc", "", func(o *coreOptions, _ origin) { o.encoder.PrefixFunc = f })
}

// WithFunction sets the {func} of text formats, such as the Lambda
// function's name.
func WithFunction(name string) CoreOption {
	return newCoreSetting("WithFunction", strconv.Quote(name), func(o *coreOptions, _ origin) { o.encoder.Function = name })
}

// WithSequenceKey adds a "seq" key to every entry, so that duplicates can
// be found: a put whose answer is lost is retried, and the service may
// then hold its events twice. The value is "<writer id>-<n>": 8 random
// characters drawn when the Core is made, and a counter from 1 shared by
// every Core derived from it with With. In the JSON layout it follows
// exception; in a text format it opens the fields object. Off by default;
// it costs no allocation. Find duplicates with Logs Insights:
//
//	fields @timestamp, seq | stats count(*) as n by seq | filter n > 1
func WithSequenceKey() CoreOption {
	return newCoreSetting("WithSequenceKey", "", func(o *coreOptions, _ origin) { o.encoder.SequenceKey = true })
}

// WithEncoderConfig replaces the whole encoder configuration. Options given
// after it still apply on top.
func WithEncoderConfig(cfg EncoderConfig) CoreOption {
	cfg.MetricDimensions = slices.Clone(cfg.MetricDimensions)
	return newCoreSetting("WithEncoderConfig", "", func(o *coreOptions, at origin) {
		o.encoder = cfg
		o.formatAt, o.namespaceAt, o.dimensionsAt = at, at, at
		o.formatAt.field, o.namespaceAt.field, o.dimensionsAt.field = "Format", "MetricNamespace", "MetricDimensions"
	})
}

// WithTraceContext joins entries to traces: an entry carrying a
// context.Context field, under any key (zap.Any("ctx", ctx), as
// OpenTelemetry's zap bridge otelzap reads it), gets the trace and span
// ids that f reads from that context, as "trace_id" and "span_id", the
// keys OpenTelemetry specifies for log formats other than OTLP. Module
// github.com/cwzap/cwzap/cwzapotel gives f for OpenTelemetry.
//
// In the JSON layout the ids follow the layout's keys (after exception and
// seq), before the context and entry fields; in a text format they open
// the fields object (after seq and formatError). An empty id is left out,
// and the context field itself is not written. An entry with several
// context fields uses the last one. A context field given to With is read
// once, by With, and its ids go to every entry of that logger that carries
// no context of its own; an entry's own context wins, even one without a
// span. Fields keyed trace_id or span_id take a "_" prefix, as those
// colliding with the layout do, and no metric or dimension may use these
// names.
//
// f runs on the logging goroutine, possibly concurrently, once per entry
// that carries a context field; a panic in it is contained, and its text
// written under "trace_idError". Defaults to nil: a context field is an
// ordinary field, written as zap writes it. Entries without a context
// field cost nothing more.
func WithTraceContext(f func(ctx context.Context) (traceID, spanID string)) CoreOption {
	return newCoreSetting("WithTraceContext", "", func(o *coreOptions, _ origin) { o.encoder.TraceContext = f })
}

// WithMetricNamespace sets the CloudWatch namespace of the metrics that
// Metric fields carry. Defaults to the AWS_EMF_NAMESPACE environment
// variable, else DefaultMetricNamespace ("aws-embedded-metrics"). A
// namespace CloudWatch refuses (more than 255 characters, or starting with
// ':') is an error from New and Spec.Build; NewCore reports it once to the
// error handler and writes metrics as plain fields.
func WithMetricNamespace(ns string) CoreOption {
	return newCoreSetting("WithMetricNamespace", strconv.Quote(ns), func(o *coreOptions, at origin) {
		o.encoder.MetricNamespace, o.namespaceAt = ns, at
	})
}

// WithMetricDimensions sets the keys of the fields whose values form the
// dimension set of every metric: each entry with Metric fields must carry
// each key as a string field, of its own or from With, at the top level;
// "level" and "location" name the layout's own values. Defaults to none
// (metrics without dimensions). More than 30 keys, a key given twice or a
// key CloudWatch refuses is an error from New and Spec.Build; NewCore
// reports it once and writes metrics as plain fields. The keys are copied.
func WithMetricDimensions(keys ...string) CoreOption {
	keys = slices.Clone(keys)
	return newCoreSetting("WithMetricDimensions", "", func(o *coreOptions, at origin) {
		o.encoder.MetricDimensions, o.dimensionsAt = keys, at
	})
}
