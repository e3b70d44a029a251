package cwzap

import (
	"context"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A PutLogEvents request that carries EMF events must say so with the
// header x-amzn-logs-format: json/emf, or CloudWatch stores them as plain
// events and extracts no metric. Each event says whether it carries
// metrics (the Core's encoder knows; WriteEntry looks at the text), and
// the batch keeps it in the event's slot, so the header goes exactly on
// the requests that need it, whichever Core (or plain Write) produced the
// events.

// hasEMF reports whether any event of span [lo, hi) of b carries metrics.
// A batch with none, nearly every one, answers at once.
func (b *batch) hasEMF(lo, hi int) bool {
	if b.metrics == 0 {
		return false
	}
	for _, s := range b.slots[lo:hi] {
		if s.metrics() {
			return true
		}
	}
	return false
}

// Header names and value of the EMF marker.
const (
	_logFormatHeader = "X-Amzn-Logs-Format"
	_logFormatEMF    = "json/emf"
)

// emfHeader is a build-step middleware of the fast path: it adds the
// header to a PutLogEvents request whose body (see rawBody) holds EMF
// events. It runs before the SDK computes the length and signs.
type emfHeader struct{}

var _ middleware.BuildMiddleware = emfHeader{}

func (emfHeader) ID() string { return "cwzap.EMFHeader" }

func (emfHeader) HandleBuild(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
	body, _ := ctx.Value(rawBodyKey{}).(*bodyReader)
	if req, ok := in.Request.(*smithyhttp.Request); ok && body != nil && body.b.hasEMF(body.lo, body.hi) {
		req.Header.Set(_logFormatHeader, _logFormatEMF)
	}
	return next.HandleBuild(ctx, in)
}
