package cwzap

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// floatCases are values where a shortcut could go wrong: the shortest
// digits near powers of ten, ties, the limits of the fast path, negative
// zero, subnormals and numbers strconv prints with many digits.
var floatCases = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.75, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3, 2.0 / 3,
	1e-9, 1e-10, 9.999999999e-10, 1.5e-9, 123.456, -123.456, 1e15 - 1, 1e15, 1e15 + 1,
	999999999999999.9, 99999999999999.99, 1e16, 1e21, 1e22, 1e23, 1e300, 5e-324,
	math.MaxFloat64, math.SmallestNonzeroFloat64, 0.000123, 1234567.891, 3.141592653589793,
	2.718281828459045, 9007199254740993, 0.30000000000000004, 100, 1e-5, 4.35, 0.015,
	1.0000000000000002, 0.9999999999999999, 123456789012345.6, 12345678901234.56,
}

// appendFloat64 and appendSeconds are the encoder's use: the fast path, or
// strconv.
func appendFloat64(b []byte, f float64) []byte {
	if out, ok := appendShortFloat(b, f); ok {
		return out
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

func appendSeconds(b []byte, d time.Duration) []byte {
	if out, ok := appendShortSeconds(b, d); ok {
		return out
	}
	return strconv.AppendFloat(b, d.Seconds(), 'f', -1, 64)
}

func TestAppendFloat64(t *testing.T) {
	check := func(f float64) {
		t.Helper()
		want := strconv.AppendFloat(nil, f, 'f', -1, 64)
		if got, ok := appendShortFloat(nil, f); ok && len(got) > _shortLen {
			t.Fatalf("appendShortFloat(%v) = %s, longer than %d", f, got, _shortLen)
		}
		if got := appendFloat64(nil, f); string(got) != string(want) {
			t.Fatalf("appendFloat64(%v) = %s, want %s", f, got, want)
		}
	}
	for _, f := range floatCases {
		check(f)
		check(-f)
		check(math.Nextafter(f, math.Inf(1)))
		check(math.Nextafter(f, math.Inf(-1)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		check(math.Float64frombits(r.Uint64()))
		// Short decimals, the fast path's domain, and their neighbours.
		f := float64(r.Int64N(1e15)) / _pow10[r.IntN(16)]
		check(f)
		check(math.Nextafter(f, 2*f))
		check(r.Float64() * _pow10[r.IntN(23)])
	}
}

func TestAppendSeconds(t *testing.T) {
	check := func(d time.Duration) {
		t.Helper()
		want := strconv.AppendFloat(nil, d.Seconds(), 'f', -1, 64)
		if got, ok := appendShortSeconds(nil, d); ok && len(got) > _shortLen {
			t.Fatalf("appendShortSeconds(%d) = %s, longer than %d", int64(d), got, _shortLen)
		}
		if got := appendSeconds(nil, d); string(got) != string(want) {
			t.Fatalf("appendSeconds(%d) = %s, want %s", int64(d), got, want)
		}
	}
	for _, d := range []time.Duration{0, 1, -1, 999, 1500 * time.Microsecond, time.Second, 1e15 - 1, 1e15, 1e15 + 1,
		math.MaxInt64, math.MinInt64, math.MinInt64 + 1, 1<<53 - 1, 1 << 53, 1<<53 + 1, 86400 * time.Second * 365} {
		check(d)
		check(-d)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		check(time.Duration(r.Uint64()))
		check(time.Duration(r.Int64N(1e15)))
		check(time.Duration(r.Int64N(1e13)) - 5e12)
		check(time.Duration(r.Int64N(1 << 54)))
	}
}

func FuzzAppendNumbers(f *testing.F) {
	for _, fl := range floatCases {
		f.Add(fl, int64(fl))
	}
	f.Fuzz(func(t *testing.T, fl float64, n int64) {
		if want := strconv.AppendFloat(nil, fl, 'f', -1, 64); string(appendFloat64(nil, fl)) != string(want) {
			t.Fatalf("appendFloat64(%v) = %s, want %s", fl, appendFloat64(nil, fl), want)
		}
		d := time.Duration(n)
		if want := strconv.AppendFloat(nil, d.Seconds(), 'f', -1, 64); string(appendSeconds(nil, d)) != string(want) {
			t.Fatalf("appendSeconds(%d) = %s, want %s", n, appendSeconds(nil, d), want)
		}
	})
}

// TestAppendRFC3339Nano checks the encoder's time fields against
// time.AppendFormat: every day of years at the ends of the range and
// around leap days and eras, and random instants in zones of every kind
// (UTC, offsets of minutes and of seconds, negative, a zone with summer
// time, the local one).
func TestAppendRFC3339Nano(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 0), time.FixedZone("", 3600),
		time.FixedZone("", -30*60), time.FixedZone("", 5*3600+45*60), time.FixedZone("", -3661),
		time.FixedZone("", 99*3600+59*60), time.FixedZone("", 100*3600), time.FixedZone("", -100*3600)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny)
	}
	check := func(tm time.Time) {
		t.Helper()
		want := tm.AppendFormat([]byte("x"), time.RFC3339Nano)
		if got := appendRFC3339Nano([]byte("x"), tm); string(got) != string(want) {
			t.Fatalf("appendRFC3339Nano(%v) = %s, want %s", tm, got, want)
		}
	}
	for _, y := range []int{-1, 0, 1, 4, 99, 100, 399, 400, 401, 1600, 1899, 1900, 1969, 1970, 2000, 2024, 2100, 9999, 10000} {
		for d := range 367 {
			for _, z := range zones {
				check(time.Date(y, 1, 1+d, 0, 0, 0, 0, z))
				check(time.Date(y, 1, 1+d, 23, 59, 59, 999999999, z))
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200_000 {
		z := zones[r.IntN(len(zones))]
		ns := []int64{0, r.Int64N(1e9), r.Int64N(1000) * 1e6, r.Int64N(1e6) * 1e3}[r.IntN(4)]
		check(time.Unix(r.Int64N(2*_year10KSecs)-_year10KSecs, ns).In(z))
		check(time.Unix(0, r.Int64()).In(z))
	}
}
