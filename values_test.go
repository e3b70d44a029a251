package cwzap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

type objFunc func(zapcore.ObjectEncoder) error

func (f objFunc) MarshalLogObject(e zapcore.ObjectEncoder) error { return f(e) }

type arrFunc func(zapcore.ArrayEncoder) error

func (f arrFunc) MarshalLogArray(e zapcore.ArrayEncoder) error { return f(e) }

type stringer string

func (s stringer) String() string { return string(s) }

type panicStringer struct{ p *int }

func (s *panicStringer) String() string { return fmt.Sprint(*s.p) }

func TestEncoderAllTypes(t *testing.T) {
	t1 := time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC)
	all := objFunc(func(e zapcore.ObjectEncoder) error {
		e.AddBinary("bin", []byte("hi"))
		e.AddByteString("bs", []byte("b\"s"))
		e.AddBool("b", true)
		e.AddComplex128("c128", complex(1, -2))
		e.AddComplex64("c64", complex64(complex(1.5, 2)))
		e.AddDuration("d", 1500*time.Millisecond)
		e.AddFloat64("f64", 1.25)
		e.AddFloat32("f32", 0.5)
		e.AddInt("i", -1)
		e.AddInt64("i64", math.MinInt64)
		e.AddInt32("i32", -32)
		e.AddInt16("i16", -16)
		e.AddInt8("i8", -8)
		e.AddString("s", "str")
		e.AddTime("t", t1)
		e.AddUint("u", 1)
		e.AddUint64("u64", math.MaxUint64)
		e.AddUint32("u32", 32)
		e.AddUint16("u16", 16)
		e.AddUint8("u8", 8)
		e.AddUintptr("up", 0x10)
		if err := e.AddReflected("r", map[string]int{"x": 1}); err != nil {
			return err
		}
		if err := e.AddArray("arr", arrFunc(func(a zapcore.ArrayEncoder) error {
			a.AppendBool(false)
			a.AppendByteString([]byte("x"))
			a.AppendComplex128(complex(0, 1))
			a.AppendComplex64(complex64(complex(2, -1)))
			a.AppendFloat64(2.5)
			a.AppendFloat32(-0.25)
			a.AppendInt(1)
			a.AppendInt64(2)
			a.AppendInt32(3)
			a.AppendInt16(4)
			a.AppendInt8(5)
			a.AppendString("s")
			a.AppendUint(6)
			a.AppendUint64(7)
			a.AppendUint32(8)
			a.AppendUint16(9)
			a.AppendUint8(10)
			a.AppendUintptr(11)
			a.AppendDuration(time.Second)
			a.AppendTime(t1)
			if err := a.AppendReflected([]int{1}); err != nil {
				return err
			}
			if err := a.AppendArray(arrFunc(func(a zapcore.ArrayEncoder) error { a.AppendInt(0); return nil })); err != nil {
				return err
			}
			return a.AppendObject(objFunc(func(e zapcore.ObjectEncoder) error { e.AddInt("k", 1); return nil }))
		})); err != nil {
			return err
		}
		e.OpenNamespace("ns")
		e.AddString("in", "ns")
		return nil
	})
	got := encode(t, NewEncoder(EncoderConfig{}), testEntry(zapcore.InfoLevel, "m"), zap.Object("all", all), zap.String("after", "x"))
	want := `{` + _ts + `,"level":"INFO","location":"root","message":"m","all":{` +
		`"bin":"aGk=","bs":"b\"s","b":true,"c128":"1-2i","c64":"1.5+2i","d":1.5,"f64":1.25,"f32":0.5,` +
		`"i":-1,"i64":-9223372036854775808,"i32":-32,"i16":-16,"i8":-8,"s":"str","t":"2020-01-02T03:04:05.000000006Z",` +
		`"u":1,"u64":18446744073709551615,"u32":32,"u16":16,"u8":8,"up":16,"r":{"x":1},` +
		`"arr":[false,"x","0+1i","2-1i",2.5,-0.25,1,2,3,4,5,"s",6,7,8,9,10,11,1,"2020-01-02T03:04:05.000000006Z",[1],[0],{"k":1}],` +
		`"ns":{"in":"ns"}},"after":"x"}` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestEncoderFieldTypes(t *testing.T) {
	t1 := time.Date(2020, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	tests := []struct {
		give zapcore.Field
		want string
	}{
		{zap.String("k", "v"), `"k":"v"`},
		{zap.Int("k", -5), `"k":-5`},
		{zap.Int32("k", -5), `"k":-5`},
		{zap.Int16("k", -5), `"k":-5`},
		{zap.Int8("k", -5), `"k":-5`},
		{zap.Uint64("k", math.MaxUint64), `"k":18446744073709551615`},
		{zap.Uint32("k", math.MaxUint32), `"k":4294967295`},
		{zap.Uint16("k", math.MaxUint16), `"k":65535`},
		{zap.Uint8("k", math.MaxUint8), `"k":255`},
		{zap.Uintptr("k", 7), `"k":7`},
		{zap.Bool("k", false), `"k":false`},
		{zap.Float64("k", 3.5), `"k":3.5`},
		{zap.Float32("k", 3.5), `"k":3.5`},
		{zap.Float64("k", math.NaN()), `"k":"NaN"`},
		{zap.Float64("k", math.Inf(1)), `"k":"+Inf"`},
		{zap.Float32("k", float32(math.Inf(-1))), `"k":"-Inf"`},
		{zap.Duration("k", 250*time.Millisecond), `"k":0.25`},
		{zap.Time("k", t1), `"k":"2020-01-02T03:04:05+01:00"`},
		{zap.Time("k", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)), `"k":"3000-01-01T00:00:00Z"`}, // TimeFullType
		{zap.Binary("k", bytes.Repeat([]byte{0xff}, 50)), `"k":"` + strings.Repeat("/", 64) + `//8="`},
		{zap.ByteString("k", []byte("a\x00\xff")), `"k":"a\u0000\ufffd"`},
		{zap.Complex128("k", complex(math.NaN(), math.Inf(1))), `"k":"NaN++Infi"`},
		{zap.Stringer("k", stringer("s")), `"k":"s"`},
		{zap.Stringer("k", &panicStringer{}), `"kError":"PANIC=runtime error: invalid memory address or nil pointer dereference"`},
		{zap.Stringer("k", (*panicStringer)(nil)), `"k":"<nil>"`},
		{zap.Any("k", struct{ A int }{1}), `"k":{"A":1}`},
		{zap.Reflect("k", math.NaN()), `"kError":"json: unsupported value: NaN"`},
		{zap.Reflect("k", nil), `"k":null`},
		{zap.Reflect("k", "<&>"), `"k":"<&>"`},
		{zap.Strings("k", []string{"a", "b"}), `"k":["a","b"]`},
		{zap.Ints("k", nil), `"k":[]`},
		{zap.Skip(), ``},
		{Purge(), ``},
		{zap.String("a\"\n\x01\xff", "v\t\\"), `"a\"\n\u0001\ufffd":"v\t\\"`},
		{zap.String("k", "é€😀"), `"k":"é€😀"`},
		{zap.Errors("k", []error{errors.New("a")}), `"k":[{"error":"a"}]`},
	}
	enc := NewEncoder(EncoderConfig{})
	for _, tt := range tests {
		t.Run(tt.give.Key, func(t *testing.T) {
			got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), tt.give)
			want := `{` + _ts + `,"level":"INFO","location":"root","message":"m"`
			if tt.want != "" {
				want += "," + tt.want
			}
			want += "}\n"
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestEncoderPanics(t *testing.T) {
	boom := func() { panic("boom") }
	tests := []struct {
		name string
		give zapcore.Field
		want string
	}{
		{"object", zap.Object("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddInt("a", 1)
			boom()
			return nil
		})), `"o":{"a":1},"oError":"PANIC=boom"`},
		{"object after namespace", zap.Object("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.OpenNamespace("ns")
			e.AddInt("a", 1)
			boom()
			return nil
		})), `"o":{"ns":{"a":1}},"oError":"PANIC=boom"`},
		{"nested object", zap.Object("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddInt("a", 1)
			err := e.AddObject("in", objFunc(func(e zapcore.ObjectEncoder) error {
				e.AddString("b", "x")
				boom()
				return nil
			}))
			e.AddInt("c", 2)
			return err
		})), `"o":{"a":1,"in":{"b":"x"},"c":2},"oError":"PANIC=boom"`},
		{"array", zap.Array("a", arrFunc(func(e zapcore.ArrayEncoder) error {
			e.AppendInt(1)
			boom()
			return nil
		})), `"a":[1],"aError":"PANIC=boom"`},
		{"object in array", zap.Array("a", arrFunc(func(e zapcore.ArrayEncoder) error {
			return e.AppendObject(objFunc(func(e zapcore.ObjectEncoder) error {
				e.AddInt("x", 1)
				boom()
				return nil
			}))
		})), `"a":[{"x":1}],"aError":"PANIC=boom"`},
		{"inline", zap.Inline(objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddInt("x", 1)
			boom()
			return nil
		})), `"x":1,"Error":"PANIC=boom"`},
		{"reflect error ignored by marshaler", zap.Object("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddInt("x", 1)
			e.AddReflected("r", json.RawMessage(`{`))
			return nil
		})), `"o":{"x":1}`},
		{"nil object marshaler", zap.Object("o", (*nilMarshaler)(nil)), `"o":{},"oError":"PANIC=runtime error: invalid memory address or nil pointer dereference"`},
	}
	enc := NewEncoder(EncoderConfig{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encode(t, enc, testEntry(zapcore.InfoLevel, "m"), tt.give, zap.Int("next", 1))
			want := `{` + _ts + `,"level":"INFO","location":"root","message":"m",` + tt.want + `,"next":1}` + "\n"
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

type nilMarshaler struct{ n int }

func (m *nilMarshaler) MarshalLogObject(e zapcore.ObjectEncoder) error {
	e.AddInt("n", m.n)
	return nil
}

// A panic in EncodeTime inside an object leaves a key without a value:
// repair must complete it.
func TestEncoderPanicAfterKey(t *testing.T) {
	enc := NewEncoder(EncoderConfig{EncodeTime: func(time.Time, zapcore.PrimitiveArrayEncoder) { panic("t") }})
	got, err := func() (s string, err error) {
		buf := enc.(*encoder).clone()
		defer putEncoder(buf)
		buf.buf.AppendByte('{')
		_ = buf.AddObject("o", objFunc(func(e zapcore.ObjectEncoder) error {
			e.AddTime("t", time.Time{})
			return nil
		}))
		buf.buf.AppendByte('}')
		return buf.buf.String(), nil
	}()
	if err != nil || got != `{"o":{"t":null}}` {
		t.Errorf("got %s, want {\"o\":{\"t\":null}}", got)
	}
}
