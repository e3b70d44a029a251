package cwzap

import (
	"math"
	"time"
)

// Number formatting for the encoder, byte for byte what
// strconv.AppendFloat(b, f, 'f', -1, 64) writes, with fast paths for the
// values logs are made of: short decimals and durations. Whatever a fast
// path cannot prove exact goes to strconv. Times of fields likewise, byte
// for byte what time.AppendFormat writes in RFC 3339 with nanoseconds,
// the date computed from the day number rather than by the calendar
// AppendFormat consults.

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
		// The most digits after the point k that keep a·10^k below
		// _maxShort. a is a decimal of at most 15 digits, m·10^-j
		// correctly rounded, with j <= k, exactly when M, a·10^k
		// rounded, gives a back: a·10^k is then within 0.25 of the whole
		// m·10^(k-j) (a's rounding, scaled, and the product's), and
		// float64(M)/10^k is one IEEE division of exact operands, so it
		// is the float nearest the decimal M·10^-k. That decimal, its
		// trailing zeros dropped, is the shortest one that rounds to a,
		// the one strconv writes: any two decimals of at most 15 digits
		// are further apart than one float64's rounding interval.
		k := 15
		for k > 0 && a >= _pow10[15-k] {
			k--
		}
		if m := math.Round(a * _pow10[k]); m < _maxShort && m/_pow10[k] == a {
			if f < 0 {
				b = append(b, '-')
			}
			return appendDecimal(b, uint64(m), k), true
		}
	}
	return b, false
}

// appendDecimal appends m·10^-k in plain notation without trailing zeros
// in the fraction; m has no more than 15 digits.
func appendDecimal(b []byte, m uint64, k int) []byte {
	// The trailing zeros, eight, four, two and one at a time: k <= 15.
	if k >= 8 && m%1e8 == 0 {
		m, k = m/1e8, k-8
	}
	if k >= 4 && m%1e4 == 0 {
		m, k = m/1e4, k-4
	}
	if k >= 2 && m%100 == 0 {
		m, k = m/100, k-2
	}
	if k >= 1 && m%10 == 0 {
		m, k = m/10, k-1
	}
	var a [24]byte
	i := len(a)
	for ; k >= 2; k -= 2 {
		i -= 2
		put2(a[i:i+2], int(m%100))
		m /= 100
	}
	if k == 1 {
		i--
		a[i] = byte('0' + m%10)
		m /= 10
	}
	if i < len(a) {
		i--
		a[i] = '.'
	}
	for m >= 10 {
		i -= 2
		put2(a[i:i+2], int(m%100))
		m /= 100
	}
	if m > 0 || i == len(a) || a[i] == '.' {
		i--
		a[i] = byte('0' + m)
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

// The seconds of the first and the last instant appendRFC3339Nano writes
// itself, in local time: years of four digits.
const (
	_year0Secs    = -62167219200 // 0000-01-01T00:00:00
	_year10KSecs  = 253402300800 // 10000-01-01T00:00:00
	_maxZoneSecs  = 100 * 3600   // offsets of two digits of hours
	_rfc3339Nano  = len("2006-01-02T15:04:05.999999999-07:00")
	_secondsOfDay = 86400
)

// appendRFC3339Nano appends t as t.AppendFormat(b, time.RFC3339Nano)
// does.
func appendRFC3339Nano(b []byte, t time.Time) []byte {
	_, offset := t.Zone()
	sec := t.Unix() + int64(offset)
	if sec < _year0Secs || sec >= _year10KSecs || offset <= -_maxZoneSecs || offset >= _maxZoneSecs {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	days := (sec - _year0Secs) / _secondsOfDay // from 0000-01-01: not negative
	sod := int(sec - _year0Secs - days*_secondsOfDay)
	y, m, d := civil(days)
	var a [_rfc3339Nano]byte
	put2(a[0:2], y/100)
	put2(a[2:4], y%100)
	a[4], a[7], a[10], a[13], a[16] = '-', '-', 'T', ':', ':'
	put2(a[5:7], m)
	put2(a[8:10], d)
	put2(a[11:13], sod/3600)
	put2(a[14:16], sod/60%60)
	put2(a[17:19], sod%60)
	n := 19
	if ns := t.Nanosecond(); ns != 0 {
		// Nine digits, less the trailing zeros.
		a[19] = '.'
		hi, lo := ns/100_000, ns%100_000 // 4 digits and 5
		put2(a[20:22], hi/100)
		put2(a[22:24], hi%100)
		a[24] = byte('0' + lo/10_000)
		put2(a[25:27], lo/100%100)
		put2(a[27:29], lo%100)
		n = 29
		for a[n-1] == '0' {
			n--
		}
	}
	if offset == 0 {
		a[n] = 'Z'
		return append(b, a[:n+1]...)
	}
	zone := offset / 60
	a[n] = '+'
	if zone < 0 {
		a[n], zone = '-', -zone
	}
	put2(a[n+1:n+3], zone/60)
	a[n+3] = ':'
	put2(a[n+4:n+6], zone%60)
	return append(b, a[:n+6]...)
}

// _pairs are the numbers 00 to 99 in two digits each.
const _pairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// put2 writes v, 0 to 99, in two digits.
func put2(b []byte, v int) {
	_ = b[1]
	b[0], b[1] = _pairs[2*v], _pairs[2*v+1]
}

// civil returns the date of the day days after 0000-01-01 in the
// proleptic Gregorian calendar (H. Hinnant's civil_from_days, counted from
// 0000-03-01 so that the leap day ends a year).
func civil(days int64) (year, month, day int) {
	z := int(days) - 60 // 0000-03-01 is day 60 of year 0, a leap year
	era := z / 146097   // 400-year eras; z >= -60 and year >= 0 keep it at 0 or more
	if z < 0 {
		era = -1
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	month = mp + 3
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}
