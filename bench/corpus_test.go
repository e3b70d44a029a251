package bench

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// A corpus of entries no one tuned the encoder to: for each, ten fields
// of kinds and values drawn at random from a fixed seed. Integers and
// floats of every length and sign, strings of every length with quotes,
// backslashes, control bytes and non-ASCII text, errors, times, durations,
// booleans, nested objects and arrays. BenchmarkCorpus writes them, in
// turn, through each contender of encoder_test.go.

// _corpusSize is how many entries the corpus holds: more than a cache of
// branch histories keeps, fewer than the run writes.
const _corpusSize = 4096

func corpus() [][]zap.Field {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([][]zap.Field, _corpusSize)
	for i := range out {
		fields := make([]zap.Field, 10)
		for j := range fields {
			fields[j] = randomField(rng, j)
		}
		out[i] = fields
	}
	return out
}

var (
	_words  = []string{"alpha", "beta", "request", "user", "/api/v1/items", "eu-west-1", "résumé", "日本語", "naïve", "Ωmega", "emoji 🎉"}
	_quirks = []string{`"quoted"`, `back\slash`, "tab\there", "line\nbreak", "ctl\x01\x1f", `{"json":true}`, "</script>", "\u2028"}
)

func randomString(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.IntN(8); n >= 0; n-- {
		if rng.IntN(4) == 0 {
			b.WriteString(_quirks[rng.IntN(len(_quirks))])
		} else {
			b.WriteString(_words[rng.IntN(len(_words))])
		}
		if rng.IntN(2) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// randomInt has as many digits as chance gives, 1 to 19, either sign.
func randomInt(rng *rand.Rand) int64 {
	v := rng.Int64N(int64(math.Pow10(1 + rng.IntN(18))))
	if rng.IntN(2) == 0 {
		v = -v
	}
	return v
}

// randomFloat is any float64 a program logs: small, large, with many
// digits or few, now and then a whole number or not finite.
func randomFloat(rng *rand.Rand) float64 {
	switch rng.IntN(8) {
	case 0:
		return float64(rng.IntN(1000))
	case 1:
		return math.Inf(1 - 2*rng.IntN(2))
	case 2:
		return rng.Float64() * math.Pow10(rng.IntN(40)-20)
	}
	return (rng.Float64() - 0.5) * math.Pow10(rng.IntN(12))
}

type object struct {
	name  string
	n     int64
	items []string
}

func (o object) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("name", o.name)
	enc.AddInt64("n", o.n)
	return enc.AddArray("items", zapcore.ArrayMarshalerFunc(func(a zapcore.ArrayEncoder) error {
		for _, s := range o.items {
			a.AppendString(s)
		}
		return nil
	}))
}

// _kinds names the field kinds randomField draws from, by the number it
// draws: strings twice as often as the others.
var _kinds = [...]string{"string", "string", "int", "float", "error", "time", "duration", "bool", "object", "ints"}

// _keys are the fields' keys.
var _keys = [...]string{"user", "path", "count", "ratio", "err", "at", "took", "ok", "obj", "ids"}

func randomField(rng *rand.Rand, j int) zap.Field {
	key := _keys[(j+rng.IntN(3))%len(_keys)]
	return fieldOfKind(rng, key, rng.IntN(len(_kinds)))
}

// fieldOfKind returns a field of the kind _kinds[kind] with a random value.
func fieldOfKind(rng *rand.Rand, key string, kind int) zap.Field {
	switch kind {
	case 0, 1:
		return zap.String(key, randomString(rng))
	case 2:
		return zap.Int64(key, randomInt(rng))
	case 3:
		return zap.Float64(key, randomFloat(rng))
	case 4:
		return zap.Error(errors.New(randomString(rng)))
	case 5:
		return zap.Time(key, time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC())
	case 6:
		return zap.Duration(key, time.Duration(rng.Int64N(int64(time.Hour))))
	case 7:
		return zap.Bool(key, rng.IntN(2) == 0)
	case 8:
		return zap.Object(key, object{name: randomString(rng), n: randomInt(rng), items: []string{randomString(rng), randomString(rng)}})
	}
	ids := make([]int64, rng.IntN(6))
	for k := range ids {
		ids[k] = randomInt(rng)
	}
	return zap.Int64s(key, ids)
}

func BenchmarkCorpus(b *testing.B) {
	entries := corpus()
	for _, c := range contenders {
		b.Run(c.name, func(b *testing.B) { logEntries(b, c.core(), entries) })
	}
}

// logEntries logs entries in turn through core, one a loop.
func logEntries(b *testing.B, core zapcore.Core, entries [][]zap.Field) {
	logger := zap.New(core)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		logger.Info("request done", entries[i%len(entries)]...)
		i++
	}
}

// BenchmarkCorpusKinds writes entries of ten fields of one kind each, the
// corpus's values of that kind, through each contender: which kinds the
// encoder writes for less than zap's, and which cost both the same. The
// cost of a kind's ten fields is an entry's less that of ten booleans.
func BenchmarkCorpusKinds(b *testing.B) {
	for kind, name := range _kinds[1:] {
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			entries := make([][]zap.Field, _corpusSize)
			for i := range entries {
				entries[i] = make([]zap.Field, 10)
				for j := range entries[i] {
					entries[i][j] = fieldOfKind(rng, _keys[j], kind+1)
				}
			}
			for _, c := range contenders {
				b.Run(c.name, func(b *testing.B) { logEntries(b, c.core(), entries) })
			}
		})
	}
}
