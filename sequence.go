package cwzap

import (
	"crypto/rand"
	"encoding/base32"
	"sync/atomic"

	"go.uber.org/zap/buffer"
)

// The sequence key: with EncoderConfig.SequenceKey (WithSequenceKey), each
// entry carries "seq": "<writer>-<n>", a writer id drawn at random when
// the encoder is made and a counter from 1, shared by every Core derived
// from it. An event stored twice (a put whose answer was lost, then
// retried) shows up as two events with one seq, which one Logs Insights
// query finds:
//
//	fields @timestamp, seq | stats count(*) as n by seq | filter n > 1

// _sequenceKey is the key of the sequence value.
const _sequenceKey = "seq"

// _writerIDLen is the length of a writer id: 8 base32 characters, 40
// random bits, so that a thousand writers share an id with a chance of
// about one in two million.
const _writerIDLen = 8

var _idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// sequence numbers the entries of one encoder and its clones.
type sequence struct {
	id string // the writer id
	n  atomic.Uint64
}

func newSequence() *sequence {
	var b [_writerIDLen * 5 / 8]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24 and later)
	return &sequence{id: _idEncoding.EncodeToString(b[:])}
}

// append writes the next value, k3j9x2ab-42; the caller quotes it.
func (s *sequence) append(buf *buffer.Buffer) {
	buf.AppendString(s.id)
	buf.AppendByte('-')
	buf.AppendUint(s.n.Add(1))
}
