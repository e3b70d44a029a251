package cwzap

import (
	"bytes"
	"context"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A PutLogEvents request that carries EMF events must say so with the
// header x-amzn-logs-format: json/emf, or CloudWatch stores them as plain
// events and extracts no metric. The Syncer learns it from the request
// itself: just before the request is sent (and signed), emfHeader looks
// through the events of its span for an EMF root member, so the header goes
// exactly on the requests that need it, whichever Core (or plain Write)
// produced the events, and no state is kept.

// _emfMember is what an event object in the arena holds when its message
// is an EMF document: the "_aws" key, escaped once as the message string's
// content (its opening \" is checked apart: searching from the rare '_'
// is several times faster than from the backslash, which escaped JSON is
// full of). A message holding the text of an EMF document inside one of
// its strings is escaped twice (_aws\\\":) and does not match.
var _emfMember = []byte(`_aws\":`)

// hasEMF reports whether any event of span [lo, hi) of b is an EMF
// document. One pass over the whole arena answers for most batches, which
// hold none; only a batch that holds some is looked at event by event.
func (b *batch) hasEMF(lo, hi int) bool {
	if !hasEMFMember(b.arena) {
		return false
	}
	for _, e := range b.events[lo:hi] {
		if hasEMFMember(b.arena[e.off:e.end]) {
			return true
		}
	}
	return false
}

// hasEMFMember reports whether obj holds \"_aws\": once escaped.
func hasEMFMember(obj []byte) bool {
	for {
		i := bytes.Index(obj, _emfMember)
		if i < 0 {
			return false
		}
		if i >= 2 && obj[i-2] == '\\' && obj[i-1] == '"' && (i < 3 || obj[i-3] != '\\') {
			return true
		}
		obj = obj[i+len(_emfMember):]
	}
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
