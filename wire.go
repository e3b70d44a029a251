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
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// What goes on the wire besides the events: the entity of the requests
// (WithEntity) and gzip compression of their bodies (WithCompression), and
// the options of every call (callOptions): no retries of the SDK's, and
// answers read only so far.
//
// The entity and compression are set up on the client when the Syncer is
// made: a *cloudwatchlogs.Client is remade from its own options with one
// more build-step middleware (wireMiddleware), so it is still a
// *cloudwatchlogs.Client and keeps the fast path; any other Client is
// wrapped to set PutLogEventsInput.Entity.

// wire is what a Syncer's client does besides the SDK's work.
type wire struct {
	compress   bool
	entity     *types.Entity // for clients other than the SDK's
	entityJSON []byte        // `"entity":{…},`, for the fast path's body
	rep        *reporter

	rejected atomic.Uint64 // puts whose entity the service rejected
}

// newWire returns the wire of requests compressed or not and carrying
// entity (nil for none), or nil when there is nothing to do.
func newWire(compress bool, entity *types.Entity, rep *reporter) *wire {
	if !compress && entity == nil {
		return nil
	}
	w := &wire{compress: compress, entity: entity, rep: rep}
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

// wireClient returns c set up for w's compression and entity.
func wireClient(c Client, w *wire) Client {
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
