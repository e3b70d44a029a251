package cwzap

import (
	"math"
	"time"
	"unicode/utf8"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// This file holds the zapcore.ArrayEncoder methods, which write array
// elements and the values of a custom EncodeTime.

// AppendArray implements zapcore.ArrayEncoder. A panicking MarshalLogArray
// is recovered: the array is closed and the panic returned as an error.
func (e *encoder) AppendArray(arr zapcore.ArrayMarshaler) (err error) {
	e.addElementSeparator()
	depth, ns := e.depth, e.openNamespaces
	e.depth++
	e.openNamespaces = 0
	e.buf.AppendByte('[')
	defer func() {
		if r := recover(); r != nil {
			e.repair()
			err = panicError(r)
		}
		e.closeOpenNamespaces() // none in arrays; kept for symmetry
		e.buf.AppendByte(']')
		e.depth, e.openNamespaces = depth, ns
	}()
	return arr.MarshalLogArray(e)
}

// AppendObject implements zapcore.ArrayEncoder. A panicking
// MarshalLogObject is recovered: the object (and namespaces it opened) is
// closed and the panic returned as an error.
func (e *encoder) AppendObject(obj zapcore.ObjectMarshaler) (err error) {
	e.addElementSeparator()
	depth, ns := e.depth, e.openNamespaces
	e.depth++
	e.openNamespaces = 0
	e.buf.AppendByte('{')
	defer func() {
		if r := recover(); r != nil {
			e.repair()
			err = panicError(r)
		}
		e.closeOpenNamespaces()
		e.buf.AppendByte('}')
		e.depth, e.openNamespaces = depth, ns
	}()
	return obj.MarshalLogObject(e)
}

// AppendReflected implements zapcore.ArrayEncoder.
func (e *encoder) AppendReflected(val any) error {
	b, err := e.encodeReflected(val)
	if err != nil {
		return err
	}
	e.addElementSeparator()
	e.buf.Write(b)
	return nil
}

// AppendBool implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendBool(val bool) {
	e.addElementSeparator()
	e.buf.AppendBool(val)
}

// AppendByteString implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendByteString(val []byte) {
	e.addElementSeparator()
	e.buf.AppendByte('"')
	appendJSONEscaped(e.buf, (*buffer.Buffer).AppendBytes, utf8.DecodeRune, val)
	e.buf.AppendByte('"')
}

func (e *encoder) appendComplex(val complex128, precision int) {
	e.addElementSeparator()
	r, i := real(val), imag(val)
	e.buf.AppendByte('"')
	e.buf.AppendFloat(r, precision) // quoted: NaN and Inf need no care
	if i >= 0 || math.IsNaN(i) {
		e.buf.AppendByte('+')
	}
	e.buf.AppendFloat(i, precision)
	e.buf.AppendString(`i"`)
}

// AppendComplex128 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendComplex128(val complex128) { e.appendComplex(val, 64) }

// AppendComplex64 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendComplex64(val complex64) { e.appendComplex(complex128(val), 32) }

// AppendDuration implements zapcore.ArrayEncoder: seconds as a number.
func (e *encoder) AppendDuration(val time.Duration) {
	e.appendFloat(val.Seconds(), 64)
}

func (e *encoder) appendFloat(val float64, bitSize int) {
	e.addElementSeparator()
	switch {
	case math.IsNaN(val):
		e.buf.AppendString(`"NaN"`)
	case math.IsInf(val, 1):
		e.buf.AppendString(`"+Inf"`)
	case math.IsInf(val, -1):
		e.buf.AppendString(`"-Inf"`)
	default:
		e.buf.AppendFloat(val, bitSize)
	}
}

// AppendFloat64 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendFloat64(val float64) { e.appendFloat(val, 64) }

// AppendFloat32 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendFloat32(val float32) { e.appendFloat(float64(val), 32) }

// AppendInt implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt(val int) { e.AppendInt64(int64(val)) }

// AppendInt64 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt64(val int64) {
	e.addElementSeparator()
	e.buf.AppendInt(val)
}

// AppendInt32 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt32(val int32) { e.AppendInt64(int64(val)) }

// AppendInt16 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt16(val int16) { e.AppendInt64(int64(val)) }

// AppendInt8 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendInt8(val int8) { e.AppendInt64(int64(val)) }

// AppendString implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendString(val string) {
	e.addElementSeparator()
	e.buf.AppendByte('"')
	e.safeAddString(val)
	e.buf.AppendByte('"')
}

// AppendTime implements zapcore.ArrayEncoder: EncodeTime, or RFC 3339 with
// nanoseconds.
func (e *encoder) AppendTime(val time.Time) {
	e.addElementSeparator()
	if e.set.encodeTime != nil {
		e.appendCustomTime(val)
		return
	}
	e.buf.AppendByte('"')
	e.buf.AppendTime(val, time.RFC3339Nano)
	e.buf.AppendByte('"')
}

// AppendTimeLayout lets zap's layout-based TimeEncoders format without
// allocating.
func (e *encoder) AppendTimeLayout(t time.Time, layout string) {
	e.addElementSeparator()
	e.buf.AppendByte('"')
	start := e.buf.Len()
	e.buf.AppendTime(t, layout)
	if needsEscape(e.buf.Bytes()[start:]) {
		s := string(e.buf.Bytes()[start:])
		truncate(e.buf, start)
		e.safeAddString(s)
	}
	e.buf.AppendByte('"')
}

// AppendUint implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint(val uint) { e.AppendUint64(uint64(val)) }

// AppendUint64 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint64(val uint64) {
	e.addElementSeparator()
	e.buf.AppendUint(val)
}

// AppendUint32 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint32(val uint32) { e.AppendUint64(uint64(val)) }

// AppendUint16 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint16(val uint16) { e.AppendUint64(uint64(val)) }

// AppendUint8 implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUint8(val uint8) { e.AppendUint64(uint64(val)) }

// AppendUintptr implements zapcore.PrimitiveArrayEncoder.
func (e *encoder) AppendUintptr(val uintptr) { e.AppendUint64(uint64(val)) }

// valueEncoder is what EncodeTime writes to: it counts the values so that
// the encoder can keep the result one JSON value.
type valueEncoder struct {
	e *encoder
	n int
}

var _ zapcore.PrimitiveArrayEncoder = (*valueEncoder)(nil)

func (v *valueEncoder) AppendBool(x bool) { v.n++; v.e.AppendBool(x) }

func (v *valueEncoder) AppendByteString(x []byte) { v.n++; v.e.AppendByteString(x) }

func (v *valueEncoder) AppendComplex128(x complex128) { v.n++; v.e.AppendComplex128(x) }

func (v *valueEncoder) AppendComplex64(x complex64) { v.n++; v.e.AppendComplex64(x) }

func (v *valueEncoder) AppendFloat64(x float64) { v.n++; v.e.AppendFloat64(x) }

func (v *valueEncoder) AppendFloat32(x float32) { v.n++; v.e.AppendFloat32(x) }

func (v *valueEncoder) AppendInt(x int) { v.n++; v.e.AppendInt(x) }

func (v *valueEncoder) AppendInt64(x int64) { v.n++; v.e.AppendInt64(x) }

func (v *valueEncoder) AppendInt32(x int32) { v.n++; v.e.AppendInt32(x) }

func (v *valueEncoder) AppendInt16(x int16) { v.n++; v.e.AppendInt16(x) }

func (v *valueEncoder) AppendInt8(x int8) { v.n++; v.e.AppendInt8(x) }

func (v *valueEncoder) AppendString(x string) { v.n++; v.e.AppendString(x) }

func (v *valueEncoder) AppendUint(x uint) { v.n++; v.e.AppendUint(x) }

func (v *valueEncoder) AppendUint64(x uint64) { v.n++; v.e.AppendUint64(x) }

func (v *valueEncoder) AppendUint32(x uint32) { v.n++; v.e.AppendUint32(x) }

func (v *valueEncoder) AppendUint16(x uint16) { v.n++; v.e.AppendUint16(x) }

func (v *valueEncoder) AppendUint8(x uint8) { v.n++; v.e.AppendUint8(x) }

func (v *valueEncoder) AppendUintptr(x uintptr) { v.n++; v.e.AppendUintptr(x) }

func (v *valueEncoder) AppendTimeLayout(t time.Time, l string) { v.n++; v.e.AppendTimeLayout(t, l) }
