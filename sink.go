package cwzap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"
)

// SinkScheme is the URL scheme cwzap registers with zap.RegisterSink, so a
// zap.Config can name a log stream among its OutputPaths:
//
//	cloudwatch://GROUP/STREAM?region=us-east-1&flush=2s
//
// The group is everything between "cloudwatch://" and the last '/', and
// the stream everything after it, as written:
//
//	cloudwatch://app/s                  group "app", stream "s"
//	cloudwatch://app/orders/s           group "app/orders"
//	cloudwatch:///aws/lambda/app/s      group "/aws/lambda/app"
//
// so a group that starts with '/', as AWS's own do, takes three slashes and
// one without takes two. Names may be templates (NewSyncer), with the
// braces percent-encoded: cloudwatch://app/orders-%7Bdate%7D is stream
// "orders-{date}". Write '/' inside a stream name as %2F, and '#',
// '?', ':' and '%' in any name percent-encoded; the first segment of a
// group without a leading '/' is the URL's host, where Go allows no
// percent-encoding, so a group that needs it must start with '/'.
//
// Query keys, each at most once; any other key is an error:
//
//	region       AWS region (config.WithRegion); default from the environment
//	profile      shared config profile (config.WithSharedConfigProfile)
//	endpoint     base URL of the service, e.g. a cwlogstest server or
//	             "cwzap serve" (the client's BaseEndpoint)
//	anonymous    true: send unsigned requests, for local endpoints
//	flush        WithFlushInterval, a Go duration ("2s")
//	timeout      WithPutTimeout, a Go duration
//	synctimeout  WithSyncTimeout, a Go duration
//	retention    WithRetention, in days: 1, 3, 5, 7, 14, 30, … 3653
//	concurrency  WithConcurrency
//	create       WithCreateGroup ("false" requires the group to exist)
//	class        WithLogGroupClass: STANDARD or INFREQUENT_ACCESS
//	protect      WithDeletionProtection ("true")
//
// Each of the last eight keys is the option it names, checked as that
// option is; a value the option would take for its default (a duration or
// concurrency <= 0, retention 0) is an error here: leave the key out for
// the default. Errors name the key and the value as written
// ("cwzap: sink: synctimeout=-1s: …").
//
// The sink loads the default AWS configuration (AWS_REGION, AWS_PROFILE,
// credentials, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS) with the URL's keys
// applied over it. Its region rule is NewSyncer's: with an endpoint
// (endpoint=, or one the configuration names) and no region, the region is
// us-east-1; with neither, it is an error. With an endpoint but without
// anonymous=true, zap.Config.Build (or zap.Open) looks up credentials at
// once and fails, naming anonymous=true, when there are none: a local
// endpoint such as cwlogstest or "cwzap serve" wants anonymous=true.
//
// The sink is a *Syncer. zap writes it through its own core, so it gets
// Write, not WriteEntry: the event time is the time of the write, not the
// entry's (a zap.Config cannot hand the entry's time to a sink). Use New or
// NewCore to keep entry times. zap.Config.Build never closes its sinks: call
// the logger's Sync before exiting, which delivers everything; after it the
// Syncer holds no goroutine. zap.Open returns a close function that calls
// Syncer.Close.
const SinkScheme = "cloudwatch"

func init() {
	// RegisterSink only fails when the scheme is taken; the first
	// registration stays rather than panicking in init.
	_ = zap.RegisterSink(SinkScheme, newSink)
}

func newSink(u *url.URL) (zap.Sink, error) {
	sc, err := parseSinkURL(u)
	if err != nil {
		return nil, err
	}
	client, release, err := sc.client(context.Background())
	if err != nil {
		return nil, err
	}
	s, err := NewSyncer(sc.group, sc.stream, append(sc.opts, withBuiltClient(client, release))...)
	if err != nil {
		release()
		return nil, err
	}
	return s, nil
}

// sinkConfig is a parsed sink URL.
type sinkConfig struct {
	group, stream string

	// The client's keys.
	region, profile, endpoint string
	anonymous                 bool

	// The Syncer's keys, as the options they name, each labelled with its
	// key and value (options.go checks them), in the order of the keys.
	opts []SyncerOption
}

// sinkError reports a bad sink URL in zap's style: lowercase, the bad value
// quoted. zap.Open already names the URL ("open sink %q: …").
func sinkError(format string, args ...any) error {
	return fmt.Errorf("cwzap: sink: "+format, args...)
}

func parseSinkURL(u *url.URL) (sinkConfig, error) {
	var sc sinkConfig
	switch {
	case u.Opaque != "":
		return sc, sinkError("want cloudwatch://GROUP/STREAM")
	case u.User != nil:
		return sc, sinkError("user information not allowed")
	case u.Fragment != "":
		return sc, sinkError("fragment not allowed: write '#' in names as %%23")
	}
	if u.Port() != "" {
		return sc, sinkError("group %q: ':' not allowed", u.Host)
	}
	// Split the escaped path, so %2F stays inside a name. Without a host
	// the path's leading '/' is the group's own (cloudwatch:///aws/...).
	rest := u.Host + u.EscapedPath()
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return sc, sinkError("want cloudwatch://GROUP/STREAM")
	}
	var err error
	if sc.group, err = url.PathUnescape(rest[:i]); err != nil {
		return sc, sinkError("group: %v", err)
	}
	if sc.stream, err = url.PathUnescape(rest[i+1:]); err != nil {
		return sc, sinkError("stream: %v", err)
	}
	if sc.group == "" {
		return sc, sinkError("no log group")
	}
	if sc.stream == "" {
		return sc, sinkError("no log stream")
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return sc, sinkError("query: %v", err)
	}
	for _, key := range slices.Sorted(maps.Keys(q)) {
		vals := q[key]
		if len(vals) != 1 {
			return sc, sinkError("query key %q given %d times", key, len(vals))
		}
		if err := sc.set(key, vals[0]); err != nil {
			return sc, err
		}
	}
	// The options' own check, now, rather than after the AWS configuration
	// is loaded.
	o := buildSyncerOptions(sc.opts)
	return sc, o.err()
}

// set reads one query key: the client's, or a Syncer option's, parsed from
// text into the option's type; the option checks the value.
func (sc *sinkConfig) set(key, val string) error {
	at := origin{door: doorURL, key: key, text: val}
	var opt SyncerOption
	switch key {
	case "region":
		sc.region = val
	case "profile":
		sc.profile = val
	case "endpoint":
		e, err := url.Parse(val)
		if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
			return at.errorf("want an http or https URL such as http://127.0.0.1:4566")
		}
		sc.endpoint = val
	case "anonymous", "create", "protect":
		b, err := strconv.ParseBool(val)
		if err != nil {
			return at.errorf("want true or false")
		}
		switch key {
		case "anonymous":
			sc.anonymous = b
		case "create":
			opt = WithCreateGroup(b)
		default:
			opt = WithDeletionProtection(b)
		}
	case "flush", "timeout", "synctimeout":
		d, err := time.ParseDuration(val)
		if err != nil {
			return at.errorf("want a Go duration such as \"2s\"")
		}
		switch key {
		case "flush":
			opt = WithFlushInterval(d)
		case "timeout":
			opt = WithPutTimeout(d)
		default:
			opt = WithSyncTimeout(d)
		}
	case "retention":
		n, err := strconv.ParseInt(val, 10, 32)
		if err != nil {
			return at.errorf("want one of %v days", _retentionDays)
		}
		opt = WithRetention(int32(n))
	case "concurrency":
		n, err := strconv.Atoi(val)
		if err != nil {
			return at.errorf("want a positive integer")
		}
		opt = WithConcurrency(n)
	case "class":
		opt = WithLogGroupClass(LogGroupClass(val))
	default:
		return at.errorf("unknown key (want region, profile, endpoint, anonymous, flush, timeout, synctimeout, retention, concurrency, create, class or protect)")
	}
	if opt != nil {
		sc.opts = append(sc.opts, written(opt, doorURL, key, val))
	}
	return nil
}

// client returns the CloudWatch Logs client of the URL's region, profile,
// endpoint and anonymous, over the default AWS configuration, under the
// region rule of awsconfig.go.
func (sc sinkConfig) client(ctx context.Context) (*cloudwatchlogs.Client, func(), error) {
	var load []func(*config.LoadOptions) error
	if sc.region != "" {
		load = append(load, config.WithRegion(sc.region))
	}
	if sc.profile != "" {
		load = append(load, config.WithSharedConfigProfile(sc.profile))
	}
	if sc.anonymous {
		load = append(load, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	client, release, err := newClient(ctx, clientSource{sink: true, load: load, endpoint: sc.endpoint})
	if err != nil {
		return nil, nil, err
	}
	if ep := client.Options().BaseEndpoint; ep != nil && !sc.anonymous {
		// Found now rather than at the first Sync, where the SDK would
		// report an EC2 metadata error far from its cause.
		if err := hasCredentials(ctx, client.Options().Credentials); err != nil {
			release()
			return nil, nil, wrapRedacted(fmt.Sprintf("cwzap: sink: endpoint %s: no AWS credentials; add anonymous=true for a local endpoint such as cwlogstest, or configure credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID)", *ep), err)
		}
	}
	return client, release, nil
}

// _credentialsTimeout bounds the look-up of credentials for a sink with an
// endpoint; off EC2 the metadata service answers nothing.
const _credentialsTimeout = 5 * time.Second

func hasCredentials(ctx context.Context, creds aws.CredentialsProvider) error {
	if creds == nil {
		return errors.New("no credentials provider")
	}
	ctx, cancel := context.WithTimeout(ctx, _credentialsTimeout)
	defer cancel()
	_, err := creds.Retrieve(ctx)
	return err
}
