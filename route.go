package cwzap

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// Routes. A Syncer whose names take values from entries ({logger},
// {field:KEY}: names.go) sends each entry to the stream, or group, its
// own values name. An entry's route is those values, in the order the
// names hold them, joined by NUL: the accumulator keeps an open batch for
// each route (at most WithMaxStreams), and the targets expand the names of
// each route and day.
//
// The one rule for an entry without a value: {logger} of an unnamed logger
// is "root", as the layout's location says, and {field:KEY} of an entry
// whose fields and logger's With fields have no KEY, or only an empty one,
// is "-". Events written with Write or WriteEntry, which have no entry,
// take those too.
//
// A field's value is its string form: a string as it is, numbers and
// booleans as JSON writes them, a duration as time.Duration prints it,
// an error's Error, a Stringer's String, anything else as fmt prints it.
// Only fields at the top level count, not those inside a zap.Namespace; of
// an entry's fields with the key the last counts, and an entry's field
// counts before its logger's. The names are made fit when expanded (a
// character the service refuses there becomes '_'), so any value is
// accepted.

// _fieldPrefix starts the name of a field placeholder: {field:tenant}.
const _fieldPrefix = "field:"

// Values of an entry that has none, as the package doc says.
const (
	_noLogger = "root"
	_noField  = "-"
)

// _maxRouteValue bounds what a route keeps of one value: a name holds at
// most 512 characters, of 4 bytes at most.
const _maxRouteValue = 4 * _maxNameChars

// A routeKey is a value a Syncer's names take from each entry: the name of
// its logger, or a field.
type routeKey struct {
	field string // the field's key; "" for the logger's name
}

func (k routeKey) String() string {
	if k.field == "" {
		return "logger"
	}
	return _fieldPrefix + k.field
}

// parseRouteKey reads the name of a placeholder that takes a value from
// entries.
func parseRouteKey(name string) (routeKey, bool) {
	if name == "logger" {
		return routeKey{}, true
	}
	if f, ok := strings.CutPrefix(name, _fieldPrefix); ok && f != "" {
		return routeKey{field: f}, true
	}
	return routeKey{}, false
}

// routeKeys are the values a Syncer's names take from entries, in the
// order of a route.
type routeKeys struct {
	keys []routeKey
}

// index returns the place of k in a route, adding it if new.
func (r *routeKeys) index(k routeKey) int {
	if i := slices.Index(r.keys, k); i >= 0 {
		return i
	}
	r.keys = append(r.keys, k)
	return len(r.keys) - 1
}

// defaults returns the values of an entry that has none.
func (r routeKeys) defaults() []string {
	vals := make([]string, len(r.keys))
	for i, k := range r.keys {
		vals[i] = _noField
		if k.field == "" {
			vals[i] = _noLogger
		}
	}
	return vals
}

// none returns the route of an entry that has no value: the route of every
// event written with Write or WriteEntry.
func (r routeKeys) none() []byte {
	return []byte(strings.Join(r.defaults(), "\x00"))
}

// splitRoute returns the values of a route.
func splitRoute(route string) []string {
	if route == "" {
		return nil
	}
	return strings.Split(route, "\x00")
}

// withValues returns the route values of a logger's With fields, over
// those of its parent (prev; nil for none): for each key, the value of
// the last field with it, or prev's. nested says the fields are inside a
// namespace, where none counts.
func (r routeKeys) withValues(prev []string, fields []zapcore.Field, nested bool) []string {
	vals, copied := prev, false
	for i := range fields {
		f := &fields[i]
		if f.Type == zapcore.NamespaceType {
			nested = true
		}
		if nested || f.Key == "" {
			continue
		}
		for k, key := range r.keys {
			if key.field != f.Key {
				continue
			}
			if v, ok := appendFieldValue(nil, f); ok {
				if !copied {
					vals, copied = make([]string, len(r.keys)), true
					copy(vals, prev)
				}
				vals[k] = string(fitRouteValue(v, 0))
			}
		}
	}
	return vals
}

// appendRoute appends the route of an entry to dst: for each key, the
// entry's value, else its logger's (ctx, from withValues; nil for none),
// else the default. nested says the entry's fields are inside a namespace.
func (r routeKeys) appendRoute(dst []byte, ent *zapcore.Entry, fields []zapcore.Field, ctx []string, nested bool) []byte {
	for k, key := range r.keys {
		if k > 0 {
			dst = append(dst, 0)
		}
		start := len(dst)
		if key.field == "" {
			dst = append(dst, ent.LoggerName...)
		} else if !nested {
			dst = appendLastField(dst, fields, key.field)
		}
		if len(dst) == start && k < len(ctx) {
			dst = append(dst, ctx[k]...)
		}
		if len(dst) == start {
			dst = append(dst, r.defaultOf(key)...)
		}
		dst = fitRouteValue(dst, start)
	}
	return dst
}

func (r routeKeys) defaultOf(k routeKey) string {
	if k.field == "" {
		return _noLogger
	}
	return _noField
}

// appendLastField appends the value of the last top-level field keyed key.
func appendLastField(dst []byte, fields []zapcore.Field, key string) []byte {
	last := -1
	for i := range fields {
		if fields[i].Type == zapcore.NamespaceType {
			break
		}
		if fields[i].Key == key {
			last = i
		}
	}
	if last < 0 {
		return dst
	}
	start := len(dst)
	if v, ok := appendFieldValue(dst, &fields[last]); ok {
		return v
	}
	return dst[:start]
}

// fitRouteValue keeps a route's last value, from start, within
// _maxRouteValue bytes and free of NUL, which separates the values.
func fitRouteValue(dst []byte, start int) []byte {
	if len(dst)-start > _maxRouteValue {
		dst = dst[:start+_maxRouteValue]
	}
	for i := start; i < len(dst); i++ {
		if dst[i] == 0 {
			dst[i] = '_'
		}
	}
	return dst
}

// appendFieldValue appends the string form of f's value, and reports
// whether it has one that is not empty. A String or Error method that
// panics gives none.
func appendFieldValue(dst []byte, f *zapcore.Field) (_ []byte, ok bool) {
	start := len(dst)
	defer func() {
		if recover() != nil {
			dst, ok = dst[:start], false
		}
	}()
	switch f.Type {
	case zapcore.StringType:
		dst = append(dst, f.String...)
	case zapcore.ByteStringType:
		b, _ := f.Interface.([]byte)
		dst = append(dst, b...)
	case zapcore.Int64Type, zapcore.Int32Type, zapcore.Int16Type, zapcore.Int8Type:
		dst = strconv.AppendInt(dst, f.Integer, 10)
	case zapcore.Uint64Type, zapcore.UintptrType:
		dst = strconv.AppendUint(dst, uint64(f.Integer), 10)
	case zapcore.Uint32Type:
		dst = strconv.AppendUint(dst, uint64(uint32(f.Integer)), 10)
	case zapcore.Uint16Type:
		dst = strconv.AppendUint(dst, uint64(uint16(f.Integer)), 10)
	case zapcore.Uint8Type:
		dst = strconv.AppendUint(dst, uint64(uint8(f.Integer)), 10)
	case zapcore.BoolType:
		dst = strconv.AppendBool(dst, f.Integer == 1)
	case zapcore.Float64Type:
		dst = strconv.AppendFloat(dst, math.Float64frombits(uint64(f.Integer)), 'g', -1, 64)
	case zapcore.Float32Type:
		dst = strconv.AppendFloat(dst, float64(math.Float32frombits(uint32(f.Integer))), 'g', -1, 32)
	case zapcore.DurationType:
		dst = append(dst, time.Duration(f.Integer).String()...)
	case zapcore.StringerType:
		if s, isStringer := f.Interface.(fmt.Stringer); isStringer {
			dst = append(dst, s.String()...)
		}
	case zapcore.ErrorType:
		if err, isErr := f.Interface.(error); isErr {
			dst = append(dst, err.Error()...)
		}
	case zapcore.SkipType, zapcore.NamespaceType:
	default:
		if f.Interface != nil {
			dst = fmt.Append(dst, f.Interface)
		}
	}
	return dst, len(dst) > start
}
