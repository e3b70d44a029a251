package cwzap

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync/atomic"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Metrics in the Embedded Metric Format (EMF): an entry carrying Metric
// fields becomes a document from which CloudWatch extracts the metrics
// itself, with no PutMetricData call. The specification:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
//
// In the JSON layout the entry keeps its keys and fields, its metric fields
// move to the end, and "_aws" comes before them:
//
//	{"timestamp":…,"level":"INFO",…,"route":"/pay",
//	 "_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"shop",
//	   "Dimensions":[["route"]],"Metrics":[{"Name":"latency","Unit":"Milliseconds"}]}]},
//	 "latency":12.5}

// EMF limits from the specification and the CloudWatch API reference
// (MetricDatum, Dimension).
const (
	_emfMaxMetrics    = 100  // MetricDefinitions per MetricDirective
	_emfMaxValues     = 100  // values of one metric in one document
	_emfMaxDimensions = 30   // keys per DimensionSet
	_emfMaxName       = 255  // characters of a namespace, metric or dimension name
	_emfMaxDimValue   = 1024 // characters of a dimension value
)

// DefaultMetricNamespace is the namespace of metrics when neither
// WithMetricNamespace nor the AWS_EMF_NAMESPACE environment variable (the
// one awslabs' EMF libraries read) names one; it is also their default.
const DefaultMetricNamespace = "aws-embedded-metrics"

// A Unit is the unit of a Metric: one of CloudWatch's units (MetricDatum).
type Unit string

// CloudWatch's metric units.
const (
	UnitNone               Unit = "None"
	UnitSeconds            Unit = "Seconds"
	UnitMicroseconds       Unit = "Microseconds"
	UnitMilliseconds       Unit = "Milliseconds"
	UnitBytes              Unit = "Bytes"
	UnitKilobytes          Unit = "Kilobytes"
	UnitMegabytes          Unit = "Megabytes"
	UnitGigabytes          Unit = "Gigabytes"
	UnitTerabytes          Unit = "Terabytes"
	UnitBits               Unit = "Bits"
	UnitKilobits           Unit = "Kilobits"
	UnitMegabits           Unit = "Megabits"
	UnitGigabits           Unit = "Gigabits"
	UnitTerabits           Unit = "Terabits"
	UnitPercent            Unit = "Percent"
	UnitCount              Unit = "Count"
	UnitBytesPerSecond     Unit = "Bytes/Second"
	UnitKilobytesPerSecond Unit = "Kilobytes/Second"
	UnitMegabytesPerSecond Unit = "Megabytes/Second"
	UnitGigabytesPerSecond Unit = "Gigabytes/Second"
	UnitTerabytesPerSecond Unit = "Terabytes/Second"
	UnitBitsPerSecond      Unit = "Bits/Second"
	UnitKilobitsPerSecond  Unit = "Kilobits/Second"
	UnitMegabitsPerSecond  Unit = "Megabits/Second"
	UnitGigabitsPerSecond  Unit = "Gigabits/Second"
	UnitTerabitsPerSecond  Unit = "Terabits/Second"
	UnitCountPerSecond     Unit = "Count/Second"
)

var _units = [...]Unit{
	UnitNone, UnitSeconds, UnitMicroseconds, UnitMilliseconds, UnitBytes,
	UnitKilobytes, UnitMegabytes, UnitGigabytes, UnitTerabytes, UnitBits,
	UnitKilobits, UnitMegabits, UnitGigabits, UnitTerabits, UnitPercent,
	UnitCount, UnitBytesPerSecond, UnitKilobytesPerSecond,
	UnitMegabytesPerSecond, UnitGigabytesPerSecond, UnitTerabytesPerSecond,
	UnitBitsPerSecond, UnitKilobitsPerSecond, UnitMegabitsPerSecond,
	UnitGigabitsPerSecond, UnitTerabitsPerSecond, UnitCountPerSecond,
}

// A unitMark in a field's Interface makes a Float64 field a metric: its
// unit and storage resolution. The marks are static, so Metric allocates
// nothing; a unit CloudWatch does not know has a bad mark, and its text
// rides in the field's String for the report.
type unitMark struct {
	unit Unit
	high bool // high resolution: StorageResolution 1
	bad  bool // not one of CloudWatch's units
}

// _unitMarks are the marks of the units at standard ([0]) and high ([1])
// resolution; _badUnits those of an unknown unit.
var (
	_unitMarks = func() (m [2][len(_units)]unitMark) {
		for i, u := range _units {
			m[0][i] = unitMark{unit: u}
			m[1][i] = unitMark{unit: u, high: true}
		}
		return m
	}()
	_badUnits = [2]unitMark{{bad: true}, {high: true, bad: true}}
)

func markOf(u Unit, high bool) *unitMark {
	r := 0
	if high {
		r = 1
	}
	if u == "" {
		return &_unitMarks[r][0]
	}
	for i := range _units {
		if _units[i] == u {
			return &_unitMarks[r][i]
		}
	}
	return &_badUnits[r]
}

// _highResolution is the StorageResolution of a high-resolution metric,
// in seconds; standard resolution, 60, is the default, which a
// MetricDefinition leaves out.
const _highResolution = 1

// Metric returns a field that makes the entry carrying it an EMF document:
// CloudWatch extracts value as the metric name, in unit ("" means
// UnitNone), in the namespace of WithMetricNamespace, with the dimensions
// of WithMetricDimensions. The same name given twice in one entry is one
// metric with an array of values.
//
// To every other encoder (a console core in a tee, zap's own JSON) the
// field is zap.Float64(name, value). In the JSON layout a metric is written
// at the end of the entry, after "_aws". A metric is not extracted, and is
// written as a plain field (reported once to the error handler), when its
// name is empty, longer than 255 bytes, or taken by a layout key, "_aws",
// a dimension key or another field of the entry or its context (then the
// field is written as "_<name>"); when its value is NaN or infinite; or
// when its unit is not one of the Unit constants; or when the entry gives
// the name with two units, or at two resolutions (Metric and
// MetricHighResolution), which one metric cannot have: then every value
// of the name is written, as a plain field, an array. A metric given to
// With is a plain field of every entry; text formats write metrics as
// plain fields and CloudWatch extracts nothing from them.
//
// The metric has standard resolution (one minute); MetricHighResolution
// makes a high-resolution one.
func Metric(name string, value float64, unit Unit) zap.Field {
	return metricField(name, value, unit, false)
}

// MetricHighResolution is Metric for a high-resolution metric: CloudWatch
// stores it at a resolution of one second ("StorageResolution": 1 in its
// definition), so that queries of its last three hours can use periods of
// 1, 5, 10, 20 or 30 seconds and alarms periods of 10, 20 or 30 seconds
// (high-resolution alarms, which cost more). Everything else is as for
// Metric, whose rules apply; a name given by both in one entry is not
// extracted.
func MetricHighResolution(name string, value float64, unit Unit) zap.Field {
	return metricField(name, value, unit, true)
}

func metricField(name string, value float64, unit Unit, high bool) zap.Field {
	// String keeps the unit for the report of an unknown one; zap's
	// Float64 ignores it.
	return zap.Field{Key: name, Type: zapcore.Float64Type, Integer: int64(math.Float64bits(value)),
		String: string(unit), Interface: markOf(unit, high)}
}

// metricUnit returns the mark of a Metric field, or nil for any other.
func metricUnit(f *zapcore.Field) *unitMark {
	if f.Type != zapcore.Float64Type || f.Interface == nil {
		return nil
	}
	m, _ := f.Interface.(*unitMark)
	return m
}

func metricValue(f *zapcore.Field) float64 {
	return math.Float64frombits(uint64(f.Integer))
}

// What the EMF code reports, each once per Core (and the Cores derived
// from it).
const (
	_emfBadConfig uint32 = 1 << iota
	_emfBadMetric
	_emfMissingDimension
	_emfTooManyValues
	_emfTooLarge
	_emfUnitConflict
	_emfResolutionConflict
)

// emfSettings is the compiled metric configuration, shared by an encoder
// and its clones.
type emfSettings struct {
	off        bool     // the namespace or dimensions are invalid: no metric is extracted
	dims       []string // dimension keys, valid and distinct
	layoutDims uint32   // bit i: dims[i] is level or location, which every entry has
	directive  lit      // `{"Namespace":…,"Dimensions":[[…]],"Metrics":[`, in the encoder's form
	cfgErr     error    // why off

	// report receives each kind of problem once: a Core's Syncer's
	// reporter, or stderr.
	report   func(error)
	reported atomic.Uint32
}

func newEMFSettings(ns string, dims []string, owns func(key string) bool, report func(error)) *emfSettings {
	if report == nil {
		report = defaultErrorHandler
	}
	s := &emfSettings{report: report}
	if ns == "" {
		ns = os.Getenv("AWS_EMF_NAMESPACE")
	}
	if ns == "" {
		ns = DefaultMetricNamespace
	}
	if err := validateEMF(ns, dims, owns); err != nil {
		s.off, s.cfgErr = true, err
		return s
	}
	s.dims = dims
	for i, d := range dims {
		if d == "level" || d == "location" {
			s.layoutDims |= 1 << i
		}
	}
	b := []byte(`{"Namespace":`)
	b = appendJSONString(b, ns)
	b = append(b, `,"Dimensions":[[`...)
	for i, d := range dims {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, d)
	}
	s.directive = lit{s: string(append(b, `]],"Metrics":[`...))}
	return s
}

// setWire puts the directive in the wire form.
func (s *emfSettings) setWire() {
	if s.directive.s != "" {
		s.directive = wireLit(s.directive.s)
	}
}

// validateEMF checks a namespace and dimension keys against the
// specification and CloudWatch's rules, so that a typo fails at
// construction and not silently in CloudWatch. owns tells the keys the
// layout writes itself (EncoderConfig.layoutOwns); nil means the layout's
// fixed keys.
func validateEMF(ns string, dims []string, owns func(key string) bool) error {
	if owns == nil {
		owns = isLayoutKey
	}
	if n := utf8.RuneCountInString(ns); n > _emfMaxName || !utf8.ValidString(ns) || ns[0] == ':' {
		return fmt.Errorf("cwzap: WithMetricNamespace(%q): want 1 to %d characters of valid UTF-8, not starting with ':'", ns, _emfMaxName)
	}
	if len(dims) > _emfMaxDimensions {
		return fmt.Errorf("cwzap: WithMetricDimensions: %d keys; a dimension set holds at most %d", len(dims), _emfMaxDimensions)
	}
	for i, d := range dims {
		if d == "" || utf8.RuneCountInString(d) > _emfMaxName || !utf8.ValidString(d) || d[0] == ':' {
			return fmt.Errorf("cwzap: WithMetricDimensions: key %q: want 1 to %d characters of valid UTF-8, not starting with ':'", d, _emfMaxName)
		}
		if owns(d) && d != "level" && d != "location" {
			return fmt.Errorf("cwzap: WithMetricDimensions: key %q: the layout writes it (timestamp, message, exception, _aws; seq with WithSequenceKey; trace_id, span_id with WithTraceContext); of its keys only level and location can be dimensions", d)
		}
		for _, o := range dims[:i] {
			if o == d {
				return fmt.Errorf("cwzap: WithMetricDimensions: key %q given twice", d)
			}
		}
	}
	return nil
}

// reportConfig reports, once, why metrics are off, if they are.
func (s *emfSettings) reportConfig() {
	if s.cfgErr != nil {
		s.once(_emfBadConfig, s.cfgErr)
	}
}

// told reports whether a problem of this kind was reported already, so
// that the error is built only once.
func (s *emfSettings) told(kind uint32) bool { return s.reported.Load()&kind != 0 }

// once reports err unless a problem of this kind was reported before.
func (s *emfSettings) once(kind uint32, err error) {
	for {
		old := s.reported.Load()
		if old&kind != 0 {
			return
		}
		if s.reported.CompareAndSwap(old, old|kind) {
			break
		}
	}
	s.report(err)
}

// emfContext is what an encoder knows of its context fields (With) that
// metrics care about: the top-level keys, which a metric must not take,
// and which dimensions hold a string.
type emfContext struct {
	keys []string
	dims uint32 // bit i: dims[i] is in the context as a string
}

// note records a context field written at the top level.
func (c *emfContext) note(s *emfSettings, f *zapcore.Field) {
	if f.Type == zapcore.SkipType {
		return
	}
	c.keys = append(c.keys[:len(c.keys):len(c.keys)], f.Key) // never share a parent's array
	if i := dimIndex(s, f.Key); i >= 0 {
		if dimValueOK(f) {
			c.dims |= 1 << i
		} else {
			c.dims &^= 1 << i
		}
	}
}

func dimIndex(s *emfSettings, key string) int {
	for i, d := range s.dims {
		if d == key {
			return i
		}
	}
	return -1
}

// dimValueOK reports whether f writes a string CloudWatch takes as a
// dimension value.
func dimValueOK(f *zapcore.Field) bool {
	switch f.Type {
	case zapcore.StringType:
		return f.String != "" && (len(f.String) <= _emfMaxDimValue || utf8.RuneCountInString(f.String) <= _emfMaxDimValue)
	case zapcore.StringerType:
		return true
	}
	return false
}

// metricProblem says why the metric field at i is not extracted ("" when
// it is), and whether its name collides with another key.
func (e *encoder) metricProblem(ctx *encoder, fields []zapcore.Field, i int) (problem string, collides bool) {
	f := &fields[i]
	name := f.Key
	switch {
	case name == "" || len(name) > _emfMaxName || !utf8.ValidString(name):
		return "want a name of 1 to 255 bytes of valid UTF-8", false
	case e.set.owns(name):
		return "the layout owns the name", true
	case dimIndex(e.set.emf, name) >= 0:
		return "the name is a dimension key", true
	}
	for _, k := range ctx.emfCtx.keys {
		if k == name {
			return "a context field has the name", true
		}
	}
	inNS := false
	for j := range fields {
		g := &fields[j]
		if g.Type == zapcore.NamespaceType {
			inNS = true
		}
		if !inNS && j != i && g.Key == name && metricUnit(g) == nil && g.Type != zapcore.SkipType && !e.isTraceContext(g) {
			return "another field has the name", true
		}
	}
	v := metricValue(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "the value is not a finite number", false
	}
	if metricUnit(f).bad {
		return _unknownUnit, false
	}
	return "", false
}

// _unknownUnit is the problem of a metric whose unit is not a Unit
// constant; its report quotes the unit.
const _unknownUnit = "unknown unit"

// validName reports whether a valid metric has the name key, whose value
// is then written under it.
func validName(fields []zapcore.Field, valid []bool, key string) bool {
	for j := range fields {
		if valid[j] && fields[j].Key == key {
			return true
		}
	}
	return false
}

// sameMetric reports whether the field at j is a metric of the name of
// the metric at i, and extracted (valid) as it is or not as it is not.
func sameMetric(fields []zapcore.Field, valid []bool, i, j int) bool {
	return valid[j] == valid[i] && fields[j].Key == fields[i].Key && metricUnit(&fields[j]) != nil
}

// firstOf reports whether the metric field at i is the first of its name
// among the metrics extracted, or among those not extracted.
func firstOf(fields []zapcore.Field, valid []bool, i int) bool {
	for j := range i {
		if sameMetric(fields, valid, i, j) {
			return false
		}
	}
	return true
}

// metricFunc names the function that made the metric field f.
func metricFunc(f *zapcore.Field) string {
	if metricUnit(f).high {
		return "MetricHighResolution"
	}
	return "Metric"
}

// dropConflicts unmarks, and reports once, the valid metrics of a name
// given with two units or at two resolutions: one metric has one
// definition, and picking one would file some values under the wrong
// unit. It returns how many metrics stay valid.
func dropConflicts(set *emfSettings, fields []zapcore.Field, valid []bool, n int) int {
	for i := range fields {
		if !valid[i] {
			continue
		}
		m := metricUnit(&fields[i])
		for j := i + 1; j < len(fields); j++ {
			if !sameMetric(fields, valid, i, j) {
				continue
			}
			o := metricUnit(&fields[j])
			switch {
			case o.unit != m.unit && !set.told(_emfUnitConflict):
				set.once(_emfUnitConflict, fmt.Errorf("cwzap: metric %q given in units %q and %q in one entry; give one unit: its values are written as a plain field and not extracted", fields[i].Key, m.unit, o.unit))
			case o.high != m.high && o.unit == m.unit && !set.told(_emfResolutionConflict):
				set.once(_emfResolutionConflict, fmt.Errorf("cwzap: metric %q given by both Metric and MetricHighResolution in one entry; give one resolution: its values are written as a plain field and not extracted", fields[i].Key))
			}
			if o.unit == m.unit && o.high == m.high {
				continue
			}
			for k := i; k < len(fields); k++ {
				if k != i && sameMetric(fields, valid, i, k) {
					valid[k] = false
					n--
				}
			}
			valid[i] = false
			n--
			break
		}
	}
	return n
}

// appendMetricValues writes the values of the metrics of the name of the
// one at i, extracted or not as it is: a number, or an array when the
// name repeats, of at most limit values. It returns how many there are.
func (e *encoder) appendMetricValues(fields []zapcore.Field, valid []bool, i, limit int) int {
	count := 1
	for j := i + 1; j < len(fields); j++ {
		if sameMetric(fields, valid, i, j) {
			count++
		}
	}
	if count == 1 {
		e.appendFloat(metricValue(&fields[i]), 64)
		return 1
	}
	e.buf.AppendByte('[')
	written := 0
	for j := i; j < len(fields) && written < limit; j++ {
		if j == i || sameMetric(fields, valid, i, j) {
			e.appendFloat(metricValue(&fields[j]), 64)
			written++
		}
	}
	e.buf.AppendByte(']')
	return count
}

// _maxStackMetrics is how many fields the metric pass tracks without
// allocating.
const _maxStackMetrics = 64

// appendEMF ends the root object of a JSON entry that has metric fields:
// "_aws" with the directive when the metrics can be extracted, then the
// metric values. The caller has closed every namespace.
func (e *encoder) appendEMF(ctx *encoder, ent zapcore.Entry, fields []zapcore.Field) {
	set := e.set.emf
	var stack [_maxStackMetrics]bool
	valid := stack[:0]
	if len(fields) > len(stack) {
		valid = make([]bool, 0, len(fields))
	}
	valid = valid[:len(fields)]
	n := 0
	for i := range fields {
		if metricUnit(&fields[i]) == nil {
			continue
		}
		problem, _ := e.metricProblem(ctx, fields, i)
		if problem != "" {
			if !set.told(_emfBadMetric) {
				f := &fields[i]
				if problem == _unknownUnit {
					problem += " " + strconv.Quote(f.String) + "; use a Unit constant"
				}
				set.once(_emfBadMetric, fmt.Errorf("cwzap: %s(%q): %s; it is written as a plain field and not extracted", metricFunc(f), f.Key, problem))
			}
			continue
		}
		valid[i] = true
		n++
	}
	n = dropConflicts(set, fields, valid, n)
	extract := n > 0 && !set.off
	if extract {
		have := ctx.emfCtx.dims
		inNS := e.depth > 0 // a namespace from With
		for i := range fields {
			f := &fields[i]
			if f.Type == zapcore.NamespaceType {
				inNS = true
			}
			if inNS || e.isTraceContext(f) {
				continue
			}
			if d := dimIndex(set, f.Key); d >= 0 {
				if dimValueOK(f) {
					have |= 1 << d
				} else {
					have &^= 1 << d
				}
			}
		}
		have |= set.layoutDims // a field named level is written as _level
		if want := uint32(1)<<len(set.dims) - 1; have != want {
			for d, key := range set.dims {
				if have&(1<<d) == 0 && !set.told(_emfMissingDimension) {
					set.once(_emfMissingDimension, fmt.Errorf("cwzap: an entry with metrics lacks dimension %q (a string field of the entry or of With, at most 1024 characters); its metrics are written as plain fields and not extracted", key))
					break
				}
			}
			extract = false
		}
	}
	buf, t := e.buf, &e.set.t.emf
	awsStart, awsLess := buf.Len(), e.less
	if extract {
		e.lit(t.aws)
		buf.AppendInt(ent.Time.UnixMilli())
		e.lit(t.cwMetrics)
		e.lit(e.set.emf.directive)
		k := 0
		for i := range fields {
			if !valid[i] || !firstOf(fields, valid, i) {
				continue
			}
			if k > 0 && k%_emfMaxMetrics == 0 {
				// A directive holds at most 100 metrics: start another.
				e.lit(t.nextDirective)
				e.lit(e.set.emf.directive)
			} else if k > 0 {
				buf.AppendByte(',')
			}
			k++
			e.lit(t.name)
			e.safeAddString(fields[i].Key)
			e.lit(t.unit)
			m := metricUnit(&fields[i])
			buf.AppendString(string(m.unit))
			if m.high {
				e.lit(t.unitEndHigh)
			} else {
				e.lit(t.unitEnd) // standard resolution: the default, left out
			}
		}
		e.lit(t.awsEnd)
	}
	awsEnd, awsLess := buf.Len(), e.less-awsLess
	// The values: one per name, an array when the name repeats.
	for i := range fields {
		if !valid[i] || !firstOf(fields, valid, i) {
			continue
		}
		f := &fields[i]
		e.lit(t.member)
		e.safeAddString(f.Key)
		e.lit(e.set.t.keyEnd)
		if count := e.appendMetricValues(fields, valid, i, _emfMaxValues); count > _emfMaxValues && !set.told(_emfTooManyValues) {
			set.once(_emfTooManyValues, fmt.Errorf("cwzap: %s(%q) given %d times in one entry; CloudWatch takes %d values, the rest are left out", metricFunc(f), f.Key, count, _emfMaxValues))
		}
	}
	// The rest: metrics that are not extracted, as plain fields, one per
	// name as above.
	for i := range fields {
		f := &fields[i]
		if valid[i] || metricUnit(f) == nil || !firstOf(fields, valid, i) {
			continue
		}
		e.addElementSeparator()
		if _, collides := e.metricProblem(ctx, fields, i); collides || validName(fields, valid, f.Key) {
			e.lit(e.set.t.keyLayout)
		} else {
			e.quote()
		}
		e.safeAddString(f.Key)
		e.lit(e.set.t.keyEnd)
		e.appendMetricValues(fields, valid, i, len(fields))
	}
	// The whole event must fit in one CloudWatch event: otherwise the
	// Syncer would cut it into parts, and no part must carry a directive.
	if extract && e.textLen()+len("}") > MaxEventBytes {
		b := buf.Bytes()
		copy(b[awsStart:], b[awsEnd:])
		truncate(buf, len(b)-(awsEnd-awsStart))
		e.less -= awsLess
		extract = false
		set.once(_emfTooLarge, errors.New("cwzap: an entry with metrics is larger than one CloudWatch event ("+strconv.Itoa(MaxEventBytes)+" bytes); its metrics are written as plain fields and not extracted, so that no part of it carries them"))
	}
	e.metrics = extract
}
