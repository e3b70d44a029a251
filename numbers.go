package cwzap

import (
	"math"
	"time"
)

// Number formatting for the encoder, byte for byte what
// strconv.AppendFloat(b, f, 'f', -1, 64) writes, with fast paths for the
// values logs are made of: short decimals and durations. Whatever a fast
// path cannot prove exact goes to strconv. (Times stay with
// time.AppendFormat, whose RFC 3339 path a hand-written one did not beat.)

// _pow10 holds the powers of ten that are exact in a float64.
var _pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// _maxShort bounds the digits of a fast-path decimal to 15: any two
// decimals of at most 15 significant digits are further apart than one
// float64's rounding interval, so a decimal of that size that rounds to f
// is the shortest one that does, the one strconv writes.
const _maxShort = 1e15

// _shortLen bounds what the fast paths append: a sign, "0." and 15
// digits.
const _shortLen = 18

// appendShortFloat appends f as strconv.AppendFloat(b, f, 'f', -1, 64)
// does, at most _shortLen bytes, and reports true; or it appends nothing
// and reports false when f is not a decimal of at most 15 digits.
func appendShortFloat(b []byte, f float64) ([]byte, bool) {
	if f == 0 {
		if math.Signbit(f) {
			return append(b, '-', '0'), true
		}
		return append(b, '0'), true
	}
	a := math.Abs(f)
	if a < _maxShort && a >= 1e-9 {
		// The smallest k for which a·10^k is a whole m whose quotient
		// m/10^k, correctly rounded, is a again. float64(m)/10^k is one
		// IEEE division of exact operands, so it is the float nearest the
		// decimal m·10^-k.
		for k := 0; k <= 15; k++ {
			s := a * _pow10[k]
			if s >= _maxShort {
				break
			}
			m := math.Round(s)
			if m/_pow10[k] == a {
				if f < 0 {
					b = append(b, '-')
				}
				return appendDecimal(b, uint64(m), k), true
			}
		}
	}
	return b, false
}

// appendDecimal appends m·10^-k in plain notation without trailing zeros
// in the fraction; m has no more than 15 digits.
func appendDecimal(b []byte, m uint64, k int) []byte {
	for k > 0 && m%10 == 0 {
		m /= 10
		k--
	}
	var a [32]byte
	i := len(a)
	for j := 0; j < k; j++ {
		i--
		a[i] = byte('0' + m%10)
		m /= 10
	}
	if k > 0 {
		i--
		a[i] = '.'
	}
	for {
		i--
		a[i] = byte('0' + m%10)
		m /= 10
		if m == 0 {
			break
		}
	}
	return append(b, a[i:]...)
}

// appendShortSeconds appends d.Seconds() as appendShortFloat does.
func appendShortSeconds(b []byte, d time.Duration) ([]byte, bool) {
	n := int64(d)
	if n < 0 {
		n = -n // math.MinInt64 stays negative and takes the long way
	}
	// d/1e9 has at most 15 digits, and Seconds() is the float nearest it
	// when it equals one correctly rounded division: then its digits are
	// the shortest ones.
	if n >= 0 && n < _maxShort && float64(d)/1e9 == d.Seconds() {
		if d < 0 {
			b = append(b, '-')
		}
		return appendDecimal(b, uint64(n), 9), true
	}
	return appendShortFloat(b, d.Seconds())
}
