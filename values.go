package cwzap

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"time"

	"go.uber.org/zap/zapcore"
)

// This file holds the field encoding: addField for zap's field types, and
// the zapcore.ObjectEncoder methods that write "key":value pairs.

// errorText returns err.Error(), surviving a panicking Error method the
// way zap does.
func errorText(v any) (s string) {
	err, _ := v.(error)
	if err == nil {
		return "<nil>"
	}
	defer func() {
		if r := recover(); r != nil {
			if rv := reflect.ValueOf(err); rv.Kind() == reflect.Pointer && rv.IsNil() {
				s = "<nil>"
				return
			}
			s = fmt.Sprintf("PANIC=%v", r)
		}
	}()
	return err.Error()
}

func panicError(r any) error {
	return fmt.Errorf("PANIC=%v", r)
}

// addField writes one field, like zapcore.Field.AddTo but with direct calls
// for the common types and panics contained.
func (e *encoder) addField(f *zapcore.Field) {
	switch f.Type {
	case zapcore.StringType:
		e.AddString(f.Key, f.String)
	case zapcore.Int64Type, zapcore.Int32Type, zapcore.Int16Type, zapcore.Int8Type:
		e.AddInt64(f.Key, f.Integer) // zap stores narrower ints sign-extended
	case zapcore.Uint64Type, zapcore.UintptrType:
		e.AddUint64(f.Key, uint64(f.Integer))
	case zapcore.Uint32Type:
		e.AddUint64(f.Key, uint64(uint32(f.Integer)))
	case zapcore.Uint16Type:
		e.AddUint64(f.Key, uint64(uint16(f.Integer)))
	case zapcore.Uint8Type:
		e.AddUint64(f.Key, uint64(uint8(f.Integer)))
	case zapcore.BoolType:
		e.AddBool(f.Key, f.Integer == 1)
	case zapcore.Float64Type:
		e.AddFloat64(f.Key, math.Float64frombits(uint64(f.Integer)))
	case zapcore.Float32Type:
		e.AddFloat32(f.Key, math.Float32frombits(uint32(f.Integer)))
	case zapcore.DurationType:
		e.AddDuration(f.Key, time.Duration(f.Integer))
	case zapcore.TimeType:
		t := time.Unix(0, f.Integer)
		if loc, ok := f.Interface.(*time.Location); ok && loc != nil {
			t = t.In(loc)
		}
		e.AddTime(f.Key, t)
	case zapcore.SkipType:
	case zapcore.ObjectMarshalerType:
		if err := e.AddObject(f.Key, f.Interface.(zapcore.ObjectMarshaler)); err != nil {
			e.AddString(f.Key+"Error", err.Error())
		}
	case zapcore.ArrayMarshalerType:
		if err := e.AddArray(f.Key, f.Interface.(zapcore.ArrayMarshaler)); err != nil {
			e.AddString(f.Key+"Error", err.Error())
		}
	case zapcore.InlineMarshalerType:
		if err := e.marshalInline(f.Interface.(zapcore.ObjectMarshaler)); err != nil {
			e.AddString(f.Key+"Error", err.Error())
		}
	default:
		// Errors, Stringers, reflected values, binary and whatever zap adds
		// later: zap's own code, which recovers Stringer and Error panics.
		f.AddTo(e)
	}
}

func (e *encoder) marshalInline(m zapcore.ObjectMarshaler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e.repair()
			err = panicError(r)
		}
	}()
	return m.MarshalLogObject(e)
}

// repair makes the buffer end on a complete value after a panic cut a
// field short.
func (e *encoder) repair() {
	n := e.buf.Len()
	if n == 0 {
		return
	}
	switch e.buf.Bytes()[n-1] {
	case ':':
		e.buf.AppendString("null")
	case ',':
		truncate(e.buf, n-1)
	}
}

func (e *encoder) addKey(key string) {
	e.addElementSeparator()
	if e.depth == 0 && (!e.set.text && isLayoutKey(key) || e.set.seq != nil && key == SequenceKey) {
		e.buf.AppendString(`"_`)
	} else {
		e.buf.AppendByte('"')
	}
	e.safeAddString(key)
	e.buf.AppendString(`":`)
}

func (e *encoder) addElementSeparator() {
	last := e.buf.Len() - 1
	if last < 0 {
		return
	}
	switch e.buf.Bytes()[last] {
	case '{', '[', ':', ',':
		return
	default:
		e.buf.AppendByte(',')
	}
}

func (e *encoder) closeOpenNamespaces() {
	for range e.openNamespaces {
		e.buf.AppendByte('}')
	}
	e.depth -= e.openNamespaces
	e.openNamespaces = 0
}

// AddArray implements zapcore.ObjectEncoder.
func (e *encoder) AddArray(key string, arr zapcore.ArrayMarshaler) error {
	e.addKey(key)
	return e.AppendArray(arr)
}

// AddObject implements zapcore.ObjectEncoder.
func (e *encoder) AddObject(key string, obj zapcore.ObjectMarshaler) error {
	e.addKey(key)
	return e.AppendObject(obj)
}

// AddBinary implements zapcore.ObjectEncoder: base64, as zap.
func (e *encoder) AddBinary(key string, val []byte) {
	e.addKey(key)
	e.buf.AppendByte('"')
	var chunk [64]byte
	for len(val) > 0 {
		n := min(len(val), 48) // 48 bytes → 64 characters, no padding until the end
		base64.StdEncoding.Encode(chunk[:], val[:n])
		e.buf.Write(chunk[:base64.StdEncoding.EncodedLen(n)])
		val = val[n:]
	}
	e.buf.AppendByte('"')
}

// AddByteString implements zapcore.ObjectEncoder.
func (e *encoder) AddByteString(key string, val []byte) {
	e.addKey(key)
	e.AppendByteString(val)
}

// AddBool implements zapcore.ObjectEncoder.
func (e *encoder) AddBool(key string, val bool) {
	e.addKey(key)
	e.buf.AppendBool(val)
}

// AddComplex128 implements zapcore.ObjectEncoder.
func (e *encoder) AddComplex128(key string, val complex128) {
	e.addKey(key)
	e.AppendComplex128(val)
}

// AddComplex64 implements zapcore.ObjectEncoder.
func (e *encoder) AddComplex64(key string, val complex64) {
	e.addKey(key)
	e.AppendComplex64(val)
}

// AddDuration implements zapcore.ObjectEncoder: seconds as a number.
func (e *encoder) AddDuration(key string, val time.Duration) {
	e.addKey(key)
	e.AppendDuration(val)
}

// AddFloat64 implements zapcore.ObjectEncoder.
func (e *encoder) AddFloat64(key string, val float64) {
	e.addKey(key)
	e.appendFloat(val, 64)
}

// AddFloat32 implements zapcore.ObjectEncoder.
func (e *encoder) AddFloat32(key string, val float32) {
	e.addKey(key)
	e.appendFloat(float64(val), 32)
}

// AddInt implements zapcore.ObjectEncoder.
func (e *encoder) AddInt(key string, val int) { e.AddInt64(key, int64(val)) }

// AddInt64 implements zapcore.ObjectEncoder.
func (e *encoder) AddInt64(key string, val int64) {
	e.addKey(key)
	e.buf.AppendInt(val)
}

// AddInt32 implements zapcore.ObjectEncoder.
func (e *encoder) AddInt32(key string, val int32) { e.AddInt64(key, int64(val)) }

// AddInt16 implements zapcore.ObjectEncoder.
func (e *encoder) AddInt16(key string, val int16) { e.AddInt64(key, int64(val)) }

// AddInt8 implements zapcore.ObjectEncoder.
func (e *encoder) AddInt8(key string, val int8) { e.AddInt64(key, int64(val)) }

// AddString implements zapcore.ObjectEncoder.
func (e *encoder) AddString(key, val string) {
	e.addKey(key)
	e.buf.AppendByte('"')
	e.safeAddString(val)
	e.buf.AppendByte('"')
}

// AddTime implements zapcore.ObjectEncoder.
func (e *encoder) AddTime(key string, val time.Time) {
	e.addKey(key)
	e.AppendTime(val)
}

// AddUint implements zapcore.ObjectEncoder.
func (e *encoder) AddUint(key string, val uint) { e.AddUint64(key, uint64(val)) }

// AddUint64 implements zapcore.ObjectEncoder.
func (e *encoder) AddUint64(key string, val uint64) {
	e.addKey(key)
	e.buf.AppendUint(val)
}

// AddUint32 implements zapcore.ObjectEncoder.
func (e *encoder) AddUint32(key string, val uint32) { e.AddUint64(key, uint64(val)) }

// AddUint16 implements zapcore.ObjectEncoder.
func (e *encoder) AddUint16(key string, val uint16) { e.AddUint64(key, uint64(val)) }

// AddUint8 implements zapcore.ObjectEncoder.
func (e *encoder) AddUint8(key string, val uint8) { e.AddUint64(key, uint64(val)) }

// AddUintptr implements zapcore.ObjectEncoder.
func (e *encoder) AddUintptr(key string, val uintptr) { e.AddUint64(key, uint64(val)) }

// AddReflected implements zapcore.ObjectEncoder with encoding/json. A value
// that fails to marshal is left out and its error returned (zap's Field.AddTo
// then writes "<key>Error").
func (e *encoder) AddReflected(key string, obj any) error {
	b, err := e.encodeReflected(obj)
	if err != nil {
		return err
	}
	e.addKey(key)
	e.buf.Write(b)
	return nil
}

// OpenNamespace implements zapcore.ObjectEncoder: later fields go into a
// nested object, closed with the entry (or the enclosing object).
func (e *encoder) OpenNamespace(key string) {
	e.addKey(key)
	e.buf.AppendByte('{')
	e.openNamespaces++
	e.depth++
}

var _null = []byte("null")

func (e *encoder) encodeReflected(obj any) (b []byte, err error) {
	if obj == nil {
		return _null, nil
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, panicError(r)
		}
	}()
	if e.reflectBuf == nil {
		e.reflectBuf = _bufPool.Get()
		e.reflectEnc = json.NewEncoder(e.reflectBuf)
		e.reflectEnc.SetEscapeHTML(false)
	} else {
		e.reflectBuf.Reset()
	}
	if err := e.reflectEnc.Encode(obj); err != nil {
		return nil, err
	}
	e.reflectBuf.TrimNewline()
	return e.reflectBuf.Bytes(), nil
}
