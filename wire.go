package cwzap

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// What goes on the wire besides the events: the entity of the requests
// (WithEntity) and gzip compression of their bodies (WithCompression).
//
// Both are set up when the options are built, on the client: a
// *cloudwatchlogs.Client is remade from its own options with one more
// build-step middleware (wireMiddleware), so it is still a
// *cloudwatchlogs.Client and keeps the fast path; any other Client is
// wrapped to set PutLogEventsInput.Entity.

// DefaultCompression is whether PutLogEvents bodies are gzip-compressed
// when WithCompression is not given: off. Measured against `cwzap serve`
// (bench/README.md), gzip sends about 20 times fewer bytes but costs the
// client a quarter more CPU per event and a fifth of its events/s, and
// each put being compressed holds a 1.2 MB compressor outside
// WithBufferLimit. Turn it on where bytes leaving the host are paid for
// (a NAT gateway) or the link is slow.
const DefaultCompression = false

// wireOptions are the options of this file, kept in syncerOptions.
type wireOptions struct {
	compression int8 // 0: DefaultCompression; 1 on; -1 off
	entity      *types.Entity
}

// WithCompression says whether PutLogEvents request bodies are sent
// gzip-compressed (Content-Encoding: gzip), as the CloudWatch agent sends
// them. The signature covers the compressed body; the batch limits still
// count uncompressed bytes, as the service does. Each put being
// compressed holds about 1.2 MB of compressor state besides its batch.
// Defaults to DefaultCompression (off). It applies to *cloudwatchlogs.Client clients; another
// Client receives ordinary inputs.
func WithCompression(on bool) SyncerOption {
	return syncerOption(func(o *syncerOptions) {
		o.wire.compression = -1
		if on {
			o.wire.compression = 1
		}
	})
}

// The service's limits on an entity (PutLogEvents, Entity:
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_Entity.html).
const (
	_entityMinKeys     = 2
	_entityMaxKeys     = 4
	_entityMaxKeyLen   = 32
	_entityMaxAttrs    = 10
	_entityMaxAttrKey  = 256
	_entityMaxValueLen = 512
)

// _entityKeyAttributes are the key attribute names the service accepts in
// an entity. Unexported, so that no importer can change what WithEntity
// accepts; EntityKeyAttributeNames returns a copy.
var _entityKeyAttributes = []string{"Type", "ResourceType", "Identifier", "Name", "Environment"}

// EntityKeyAttributeNames returns the key attribute names the service
// accepts in an entity (WithEntity): Type, ResourceType, Identifier, Name
// and Environment. The slice is the caller's: changing it changes nothing
// in cwzap.
func EntityKeyAttributeNames() []string {
	return slices.Clone(_entityKeyAttributes)
}

// WithEntity sets the entity sent with every PutLogEvents call: the
// resource or service that wrote the events, which CloudWatch's "Explore
// related" view ties them to. keyAttributes identify it: 2 to 4 of the
// names EntityKeyAttributeNames returns (Type, ResourceType, Identifier,
// Name, Environment), values of 1 to 512 characters, for example
//
//	{"Type": "Service", "Name": "checkout", "Environment": "prod"}
//
// attributes describe it: at most 10, keys of 1 to 256 characters, values
// of 1 to 512. A value outside those rules is an error from NewSyncer that
// says what is wanted. The maps are copied. Defaults to none.
//
// An entity the service refuses for what it means (an unknown Type, a
// field its Type requires missing) never fails a put: the events are
// stored without it, and the error handler hears of the first refusal.
func WithEntity(keyAttributes, attributes map[string]string) SyncerOption {
	e := &types.Entity{KeyAttributes: maps.Clone(keyAttributes), Attributes: maps.Clone(attributes)}
	return newSyncerSetting("WithEntity", "", func(o *syncerOptions, at origin) {
		if err := validateEntity(e); err != nil {
			o.refuse(at, "%v", err)
			return
		}
		o.wire.entity = e
	})
}

// validateEntity says what is wrong with e, if anything, and what is
// wanted instead.
func validateEntity(e *types.Entity) error {
	names := strings.Join(_entityKeyAttributes, ", ")
	switch n := len(e.KeyAttributes); {
	case n == 1:
		return fmt.Errorf("1 key attribute; want %d to %d of %s", _entityMinKeys, _entityMaxKeys, names)
	case n < _entityMinKeys || n > _entityMaxKeys:
		return fmt.Errorf("%d key attributes; want %d to %d of %s", n, _entityMinKeys, _entityMaxKeys, names)
	}
	for _, k := range slices.Sorted(maps.Keys(e.KeyAttributes)) {
		if !slices.Contains(_entityKeyAttributes, k) {
			return fmt.Errorf("key attribute %q: want one of %s", k, names)
		}
		if v := e.KeyAttributes[k]; !lengthOK(v, _entityMaxValueLen) {
			return fmt.Errorf("key attribute %s = %q: want 1 to %d characters of valid UTF-8", k, v, _entityMaxValueLen)
		}
	}
	if len(e.Attributes) > _entityMaxAttrs {
		return fmt.Errorf("%d attributes; the service takes at most %d", len(e.Attributes), _entityMaxAttrs)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Attributes)) {
		if !lengthOK(k, _entityMaxAttrKey) {
			return fmt.Errorf("attribute %q: want a name of 1 to %d characters of valid UTF-8", k, _entityMaxAttrKey)
		}
		if v := e.Attributes[k]; !lengthOK(v, _entityMaxValueLen) {
			return fmt.Errorf("attribute %s = %q: want 1 to %d characters of valid UTF-8", k, v, _entityMaxValueLen)
		}
	}
	return nil
}

func lengthOK(s string, max int) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= max && utf8.ValidString(s)
}

// wire is what a Syncer's client does besides the SDK's work.
type wire struct {
	compress   bool
	entity     *types.Entity // for clients other than the SDK's
	entityJSON []byte        // `"entity":{…},`, for the fast path's body
	rep        *reporter

	rejected atomic.Uint64 // puts whose entity the service rejected
}

// newWire returns the wire of o, or nil when there is nothing to do.
func (o *syncerOptions) newWire(rep *reporter) *wire {
	w := &wire{compress: DefaultCompression, entity: o.wire.entity, rep: rep}
	if o.wire.compression != 0 {
		w.compress = o.wire.compression > 0
	}
	if !w.compress && w.entity == nil {
		return nil
	}
	if e := w.entity; e != nil {
		b := []byte(`"entity":{"keyAttributes":`)
		b = appendStringMap(b, e.KeyAttributes)
		if len(e.Attributes) > 0 {
			b = append(b, `,"attributes":`...)
			b = appendStringMap(b, e.Attributes)
		}
		w.entityJSON = append(b, "},"...)
	}
	return w
}

func appendStringMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// wireClient returns c set up for the options' compression and entity.
func (o *syncerOptions) wireClient(c Client, rep *reporter) Client {
	w := o.newWire(rep)
	if w == nil {
		return c
	}
	if sdk, ok := c.(*cloudwatchlogs.Client); ok {
		return cloudwatchlogs.New(sdk.Options(), func(opts *cloudwatchlogs.Options) {
			opts.APIOptions = append(opts.APIOptions, w.addMiddleware)
		})
	}
	if w.entity == nil {
		return c
	}
	return &entityClient{Client: c, w: w}
}

func (w *wire) addMiddleware(stack *middleware.Stack) error {
	return stack.Build.Add(wireMiddleware{w}, middleware.Before)
}

// wireMiddleware adds the entity to the body the Syncer wrote and
// compresses it, before the SDK measures and signs the request; then it
// reads the answer for a rejected entity.
type wireMiddleware struct{ w *wire }

var _ middleware.BuildMiddleware = wireMiddleware{}

func (wireMiddleware) ID() string { return "cwzap.Wire" }

func (m wireMiddleware) HandleBuild(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok || middleware.GetOperationName(ctx) != "PutLogEvents" {
		return next.HandleBuild(ctx, in)
	}
	stream := req.GetStream()
	if body, _ := ctx.Value(rawBodyKey{}).(*bodyReader); body != nil && m.w.entityJSON != nil {
		stream = newBodyReader(m.w.withEntity(body.header), body.b, body.lo, body.hi)
	}
	if stream != nil && m.w.compress {
		z, err := gzipBody(stream)
		if err != nil {
			return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("cwzap: compress the request: %w", err)
		}
		stream = bytes.NewReader(z)
		req.Header.Set("Content-Encoding", "gzip")
	}
	if stream != req.GetStream() {
		r, err := req.SetStream(stream)
		if err != nil {
			return middleware.BuildOutput{}, middleware.Metadata{}, err
		}
		in.Request = r
	}
	out, md, err := next.HandleBuild(ctx, in)
	if res, ok := out.Result.(*cloudwatchlogs.PutLogEventsOutput); ok && res != nil {
		m.w.checkEntity(res.RejectedEntityInfo)
	}
	return out, md, err
}

// withEntity returns a request body header with the entity before the
// events.
func (w *wire) withEntity(header []byte) []byte {
	const events = `"logEvents":[`
	h := header[:len(header)-len(events)]
	out := make([]byte, 0, len(header)+len(w.entityJSON))
	out = append(out, h...)
	out = append(out, w.entityJSON...)
	return append(out, events...)
}

// checkEntity counts a rejected entity and reports the first.
func (w *wire) checkEntity(info *types.RejectedEntityInfo) {
	if info == nil {
		return
	}
	if w.rejected.Add(1) == 1 {
		w.rep.report(reportSetup, "", fmt.Errorf("cwzap: the service stored the events but rejected the entity (%s); check WithEntity's key attributes for their Type. Reported once", info.ErrorType))
	}
}

var _gzipWriters = sync.Pool{New: func() any {
	z, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return z
}}

// gzipBody returns the gzip compression of r's content. Logs compress
// well, and BestSpeed costs a fraction of the default level's CPU for a
// few percent more bytes.
func gzipBody(r io.Reader) ([]byte, error) {
	var out bytes.Buffer
	if l, ok := r.(interface{ Len() int }); ok {
		out.Grow(l.Len()/4 + 64)
	}
	z := _gzipWriters.Get().(*gzip.Writer)
	defer _gzipWriters.Put(z)
	z.Reset(&out)
	if _, err := io.Copy(z, r); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// entityClient gives the entity to a Client other than the SDK's, which
// receives ordinary inputs.
type entityClient struct {
	Client
	w *wire
}

func (c *entityClient) PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error) {
	if in.Entity == nil {
		in.Entity = c.w.entity
	}
	out, err := c.Client.PutLogEvents(ctx, in, optFns...)
	if out != nil {
		c.w.checkEntity(out.RejectedEntityInfo)
	}
	return out, err
}

// callOptions are the per-call options of every call a Syncer makes: no
// retries of the SDK's own, so that each is counted and bounded by the
// Syncer's deadline rather than multiplied by the SDK's, and answers read
// up to MaxAnswerBytes.
func callOptions(o *cloudwatchlogs.Options) {
	o.RetryMaxAttempts = 1
	o.APIOptions = append(o.APIOptions, addAnswerLimit)
}

// MaxAnswerBytes is the most of an answer a Syncer reads: the service's
// answers to the calls it makes are a few hundred bytes (a
// DescribeLogStreams page of 50 streams, the largest, about 20 KB). An
// endpoint that answers with more gets its request failed, and the
// connection closed, rather than the Syncer's memory and time.
const MaxAnswerBytes = 64 << 10

// ErrAnswerTooLarge is the cause of a call whose answer is over
// MaxAnswerBytes.
var ErrAnswerTooLarge = errors.New("cwzap: the endpoint's answer is larger than MaxAnswerBytes (64 KiB); it is not a CloudWatch Logs endpoint, or a proxy in between answers instead")

func addAnswerLimit(stack *middleware.Stack) error {
	return stack.Deserialize.Add(answerLimit{}, middleware.After)
}

// answerLimit is a deserialize-step middleware next to the transport: it
// hands the SDK's deserializers the answer's body limited to
// MaxAnswerBytes. Reading the body is bounded by the call's context.
type answerLimit struct{}

var _ middleware.DeserializeMiddleware = answerLimit{}

func (answerLimit) ID() string { return "cwzap.AnswerLimit" }

func (answerLimit) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil && resp.Body != nil {
		resp.Body = &limitedBody{r: resp.Body, left: MaxAnswerBytes}
	}
	return out, md, err
}

// limitedBody reads up to left bytes of r, then fails with
// ErrAnswerTooLarge; closing it closes r.
type limitedBody struct {
	r    io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a larger one.
		var one [1]byte
		if n, err := b.r.Read(one[:]); n == 0 {
			return 0, err
		}
		return 0, ErrAnswerTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.r.Close() }
