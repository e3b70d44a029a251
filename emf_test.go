package cwzap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// metricLogger returns a logger writing through the fixture's Syncer.
func (f *fixture) metricLogger(opts ...cwzap.CoreOption) *zap.Logger {
	return zap.New(cwzap.NewCore(f.syncer, zap.InfoLevel, opts...))
}

// syncOK syncs the fixture and fails the test on an error.
func (f *fixture) syncOK(t *testing.T) {
	t.Helper()
	if err := f.syncer.Sync(); err != nil {
		t.Fatal(err)
	}
}

// docs reads the stream's events as JSON objects.
func (f *fixture) docs(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range f.messages(t) {
		var doc map[string]any
		if err := json.Unmarshal([]byte(m), &doc); err != nil {
			t.Fatalf("event is not a JSON object: %v\n%s", err, m)
		}
		out = append(out, doc)
	}
	return out
}

// duplicateKey returns a top-level key that the JSON object obj holds
// twice, or "".
func duplicateKey(t *testing.T, obj string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", obj)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("decode %s: %v", obj, err)
		}
		if k := tok.(string); seen[k] {
			return k
		} else {
			seen[k] = true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("decode %s: %v", obj, err)
		}
	}
	return ""
}

func TestMetricDocumentIsExtractedByTheService(t *testing.T) {
	f := newFixture(t)
	logger := f.metricLogger(cwzap.WithMetricNamespace("shop"), cwzap.WithMetricDimensions("route", "level")).
		With(zap.String("route", "/pay"))
	at := time.Date(2026, 12, 4, 10, 0, 0, 123e6, time.UTC)
	if time.Since(at) > 13*24*time.Hour || time.Until(at) > time.Hour {
		at = time.Now().Truncate(time.Millisecond) // keep the event in the service's window
	}
	if ce := logger.Check(zap.InfoLevel, "paid"); ce != nil {
		ce.Time = at
		ce.Write(cwzap.Metric("latency", 12.5, cwzap.UnitMilliseconds), zap.Int("items", 3),
			cwzap.Metric("orders", 1, cwzap.UnitCount), cwzap.Metric("latency", 7.25, cwzap.UnitMilliseconds))
	}
	f.syncOK(t)

	got := f.srv.Metrics("shop")
	want := []cwlogstest.MetricDatum{
		{Group: f.group, Stream: f.stream, Namespace: "shop", Name: "latency", Unit: "Milliseconds",
			Dimensions: map[string]string{"route": "/pay", "level": "INFO"}, Values: []float64{12.5, 7.25}, Timestamp: at.UnixMilli(), StorageResolution: 60},
		{Group: f.group, Stream: f.stream, Namespace: "shop", Name: "orders", Unit: "Count",
			Dimensions: map[string]string{"route": "/pay", "level": "INFO"}, Values: []float64{1}, Timestamp: at.UnixMilli(), StorageResolution: 60},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("extracted metrics:\n got %+v\nwant %+v", got, want)
	}
	if n := f.srv.EMFErrors(); n != 0 {
		t.Errorf("%d EMF documents broke the specification", n)
	}
	msgs := f.messages(t)
	if len(msgs) != 1 {
		t.Fatalf("stream holds %d events, want 1", len(msgs))
	}
	// The layout's keys come first and stay as they are; the fields
	// follow; "_aws" and the values end the object.
	m := msgs[0]
	if !strings.HasPrefix(m, `{"timestamp":"`) || !strings.Contains(m, `"level":"INFO","location":"root","message":"paid","route":"/pay","items":3,"_aws":{"Timestamp":`+strconv.FormatInt(at.UnixMilli(), 10)+`,`) ||
		!strings.HasSuffix(m, `"latency":[12.5,7.25],"orders":1}`) {
		t.Errorf("document = %s", m)
	}
	if len(f.errs.all()) != 0 {
		t.Errorf("error handler got %v", f.errs.all())
	}
}

// A high-resolution metric's definition says "StorageResolution": 1; a
// standard one's says nothing, which the service reads as 60.
func TestMetricHighResolutionIsExtractedByTheService(t *testing.T) {
	f := newFixture(t)
	logger := f.metricLogger(cwzap.WithMetricNamespace("shop"), cwzap.WithMetricDimensions("route")).
		With(zap.String("route", "/pay"))
	logger.Info("paid", cwzap.MetricHighResolution("latency", 12.5, cwzap.UnitMilliseconds),
		cwzap.Metric("orders", 1, cwzap.UnitCount), cwzap.MetricHighResolution("latency", 7.25, cwzap.UnitMilliseconds),
		cwzap.MetricHighResolution("queue", 3, ""))
	f.syncOK(t)

	got := f.srv.Metrics("shop")
	resolutions := map[string]int{}
	for _, m := range got {
		resolutions[m.Name] = m.StorageResolution
	}
	if want := map[string]int{"latency": 1, "orders": 60, "queue": 1}; len(got) != 3 || !reflect.DeepEqual(resolutions, want) {
		t.Errorf("extracted %+v; want resolutions %v", got, want)
	}
	if len(got) == 3 && (!reflect.DeepEqual(got[0].Values, []float64{12.5, 7.25}) || got[0].Unit != "Milliseconds" || got[2].Unit != "None") {
		t.Errorf("extracted %+v; want latency's two values in Milliseconds, queue in None", got)
	}
	if n := f.srv.EMFErrors(); n != 0 {
		t.Errorf("%d EMF documents broke the specification", n)
	}
	m := f.messages(t)[0]
	if !strings.Contains(m, `"Metrics":[{"Name":"latency","Unit":"Milliseconds","StorageResolution":1},{"Name":"orders","Unit":"Count"},{"Name":"queue","Unit":"None","StorageResolution":1}]`) {
		t.Errorf("document = %s", m)
	}
	if errs := f.errs.all(); len(errs) != 0 {
		t.Errorf("error handler got %v", errs)
	}
}

// With WithTraceContext, trace_id and span_id are the layout's: no metric
// takes them.
func TestMetricNamedTraceID(t *testing.T) {
	f := newFixture(t)
	logger := f.metricLogger(cwzap.WithMetricNamespace("ns"), cwzap.WithTraceContext(func(context.Context) (string, string) { return "t", "s" }))
	logger.Info("m", zap.Any("ctx", context.Background()), cwzap.Metric("trace_id", 1, cwzap.UnitCount), cwzap.Metric("n", 2, cwzap.UnitCount))
	f.syncOK(t)
	msgs := f.messages(t)
	if len(msgs) != 1 || !strings.Contains(msgs[0], `"message":"m","trace_id":"t","span_id":"s","_aws":`) || !strings.HasSuffix(msgs[0], `"n":2,"_trace_id":1}`) {
		t.Errorf("events = %q, want the ids and the metric as _trace_id", msgs)
	}
	if got := f.srv.Metrics("ns"); len(got) != 1 || got[0].Name != "n" {
		t.Errorf("metrics = %+v, want n only", got)
	}
	if errs := f.errs.all(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `Metric("trace_id"): the layout owns the name`) {
		t.Errorf("error handler got %v", errs)
	}
}

// With WithTraceContext a context field is not written, so it neither
// takes a metric's name nor gives a dimension its value.
func TestMetricContextFieldIsNotAField(t *testing.T) {
	f := newFixture(t)
	hook := cwzap.WithTraceContext(func(context.Context) (string, string) { return "t", "s" })
	logger := f.metricLogger(cwzap.WithMetricNamespace("ns"), cwzap.WithMetricDimensions("route"), hook)
	logger.Info("a", zap.String("route", "/a"), zap.Any("n", context.Background()), cwzap.Metric("n", 1, cwzap.UnitCount))
	logger.Info("b", zap.Any("route", context.Background()), cwzap.Metric("n", 2, cwzap.UnitCount))
	f.syncOK(t)
	if got := f.srv.Metrics("ns"); len(got) != 1 || got[0].Name != "n" || got[0].Values[0] != 1 {
		t.Errorf("metrics = %+v, want n of the first entry", got)
	}
	if n := f.srv.EMFErrors(); n != 0 {
		t.Errorf("%d documents broke the specification", n)
	}
	if errs := f.errs.all(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `lacks dimension "route"`) {
		t.Errorf("error handler got %v, want the second entry's missing dimension", errs)
	}
}

func TestMetricEntryWithoutMetricsHasNoAWS(t *testing.T) {
	f := newFixture(t)
	f.metricLogger(cwzap.WithMetricDimensions("route")).Info("plain", zap.Float64("latency", 3))
	f.syncOK(t)
	if m := f.messages(t); len(m) != 1 || strings.Contains(m[0], "_aws") || !strings.Contains(m[0], `"latency":3`) {
		t.Errorf("events = %q, want one plain entry", m)
	}
	if got := f.srv.Metrics(""); len(got) != 0 {
		t.Errorf("metrics from a plain entry: %+v", got)
	}
}

func TestMetricDefaultNamespace(t *testing.T) {
	t.Run("the default", func(t *testing.T) {
		t.Setenv("AWS_EMF_NAMESPACE", "")
		f := newFixture(t)
		f.metricLogger().Info("m", cwzap.Metric("n", 1, ""))
		f.syncOK(t)
		got := f.srv.Metrics(cwzap.DefaultMetricNamespace)
		if len(got) != 1 || got[0].Unit != "None" || len(got[0].Dimensions) != 0 {
			t.Errorf("metrics = %+v, want one in %s without unit or dimensions", got, cwzap.DefaultMetricNamespace)
		}
	})
	t.Run("AWS_EMF_NAMESPACE", func(t *testing.T) {
		t.Setenv("AWS_EMF_NAMESPACE", "from-env")
		f := newFixture(t)
		f.metricLogger().Info("m", cwzap.Metric("n", 1, cwzap.UnitCount))
		f.syncOK(t)
		if got := f.srv.Metrics("from-env"); len(got) != 1 {
			t.Errorf("metrics in from-env = %+v, want 1 (all: %+v)", got, f.srv.Metrics(""))
		}
	})
}

func TestMetricMissingDimensionIsReportedOnce(t *testing.T) {
	f := newFixture(t)
	logger := f.metricLogger(cwzap.WithMetricNamespace("shop"), cwzap.WithMetricDimensions("route", "tenant"))
	logger.Info("a", zap.String("route", "/a"), cwzap.Metric("latency", 1, cwzap.UnitMilliseconds))
	logger.Info("b", zap.String("route", "/b"), zap.Int("tenant", 7), cwzap.Metric("latency", 2, cwzap.UnitMilliseconds))
	logger.Info("c", zap.String("route", "/c"), zap.String("tenant", "t1"), cwzap.Metric("latency", 3, cwzap.UnitMilliseconds))
	f.syncOK(t)

	docs := f.docs(t)
	if len(docs) != 3 {
		t.Fatalf("%d events, want 3: every entry is logged", len(docs))
	}
	for i, d := range docs[:2] {
		if _, ok := d["_aws"]; ok || d["latency"] != float64(i+1) {
			t.Errorf("entry %d = %v, want its metric as a plain field and no _aws", i, d)
		}
	}
	got := f.srv.Metrics("shop")
	if len(got) != 1 || got[0].Values[0] != 3 || got[0].Dimensions["tenant"] != "t1" {
		t.Errorf("metrics = %+v, want only the entry with both dimensions", got)
	}
	errs := f.errs.all()
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "cwzap: ") || !strings.Contains(errs[0].Error(), `"tenant"`) {
		t.Errorf("error handler got %v, want one report naming tenant", errs)
	}
}

func TestMetricNotExtractedIsAPlainField(t *testing.T) {
	tests := []struct {
		name      string
		give      []zap.Field
		wantKey   string // where the value is written
		wantValue any
		wantErr   string // the start of the report
	}{
		{"a layout key", []zap.Field{cwzap.Metric("level", 3, cwzap.UnitCount)}, "_level", float64(3), `cwzap: Metric("level"): the layout owns`},
		{"another field's key", []zap.Field{zap.String("user", "ann"), cwzap.Metric("user", 4, cwzap.UnitCount)}, "_user", float64(4), `cwzap: Metric("user"): another field`},
		{"NaN", []zap.Field{cwzap.Metric("ratio", math.NaN(), cwzap.UnitPercent)}, "ratio", "NaN", `cwzap: Metric("ratio"): the value`},
		{"NaN twice", []zap.Field{cwzap.Metric("ratio", math.NaN(), cwzap.UnitPercent), cwzap.Metric("ratio", math.Inf(1), cwzap.UnitPercent)},
			"ratio", []any{"NaN", "+Inf"}, `cwzap: Metric("ratio"): the value`},
		{"an unknown unit", []zap.Field{cwzap.Metric("distance", 5, "Parsecs")}, "distance", float64(5), `cwzap: Metric("distance"): unknown unit "Parsecs"; use a Unit constant;`},
		{"an unknown unit at high resolution", []zap.Field{cwzap.MetricHighResolution("distance", 5, "parsec\"")}, "distance", float64(5),
			`cwzap: MetricHighResolution("distance"): unknown unit "parsec\""; use a Unit constant;`},
		{"an empty name", []zap.Field{cwzap.Metric("", 6, cwzap.UnitCount)}, "", float64(6), `cwzap: Metric(""): want a name`},
		{"two units", []zap.Field{cwzap.Metric("latency", 1500, cwzap.UnitMilliseconds), cwzap.Metric("latency", 1.5, cwzap.UnitSeconds)},
			"latency", []any{float64(1500), 1.5}, `cwzap: metric "latency" given in units "Milliseconds" and "Seconds" in one entry;`},
		{"two resolutions", []zap.Field{cwzap.MetricHighResolution("latency", 1, cwzap.UnitMilliseconds), cwzap.Metric("latency", 2, cwzap.UnitMilliseconds),
			cwzap.MetricHighResolution("latency", 3, cwzap.UnitMilliseconds)},
			"latency", []any{float64(1), float64(2), float64(3)}, `cwzap: metric "latency" given by both Metric and MetricHighResolution in one entry;`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			logger := f.metricLogger(cwzap.WithMetricNamespace("ns"))
			fields := append(tt.give, cwzap.Metric("ok", 1, cwzap.UnitCount))
			logger.Info("m", fields...)
			logger.Info("m", fields...)
			f.syncOK(t)
			for _, m := range f.messages(t) {
				if k := duplicateKey(t, m); k != "" {
					t.Errorf("key %q twice in %s", k, m)
				}
			}
			for _, d := range f.docs(t) {
				if !reflect.DeepEqual(d[tt.wantKey], tt.wantValue) {
					t.Errorf("%q = %v, want %v, in %v", tt.wantKey, d[tt.wantKey], tt.wantValue, d)
				}
			}
			got := f.srv.Metrics("ns")
			if len(got) != 2 || got[0].Name != "ok" || got[1].Name != "ok" {
				t.Errorf("metrics = %+v, want the valid metric of each entry", got)
			}
			if n := f.srv.EMFErrors(); n != 0 {
				t.Errorf("%d documents broke the specification", n)
			}
			if errs := f.errs.all(); len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tt.wantErr) {
				t.Errorf("error handler got %v, want one report starting %s", errs, tt.wantErr)
			}
		})
	}
}

func TestMetricManyMetricsMakeSeveralDirectives(t *testing.T) {
	f := newFixture(t)
	var fields []zap.Field
	for i := range 150 {
		fields = append(fields, cwzap.Metric("m"+strconv.Itoa(i), float64(i), cwzap.UnitCount))
	}
	for range 120 {
		fields = append(fields, cwzap.Metric("repeated", 1, cwzap.UnitCount))
	}
	f.metricLogger(cwzap.WithMetricNamespace("many")).Info("m", fields...)
	f.syncOK(t)
	got := f.srv.Metrics("many")
	if len(got) != 151 || f.srv.EMFErrors() != 0 {
		t.Fatalf("%d metrics, %d invalid documents; want 151 and 0", len(got), f.srv.EMFErrors())
	}
	for _, m := range got {
		if m.Name == "repeated" && len(m.Values) != 100 {
			t.Errorf("repeated metric has %d values, want the 100 CloudWatch takes", len(m.Values))
		}
	}
	var doc struct {
		AWS struct {
			CloudWatchMetrics []struct{ Metrics []any }
		} `json:"_aws"`
	}
	if err := json.Unmarshal([]byte(f.messages(t)[0]), &doc); err != nil {
		t.Fatal(err)
	}
	if d := doc.AWS.CloudWatchMetrics; len(d) != 2 || len(d[0].Metrics) != 100 || len(d[1].Metrics) != 51 {
		t.Errorf("directives = %+v, want 100 and 51 metrics", d)
	}
	if errs := f.errs.all(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "120 times") {
		t.Errorf("error handler got %v, want one report of the values left out", errs)
	}
}

func TestMetricEntryTooLargeCarriesNoDirective(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("x", cwzap.MaxEventBytes)
	logger := f.metricLogger(cwzap.WithMetricNamespace("big"))
	logger.Info("huge", zap.String("blob", big), cwzap.Metric("latency", 9, cwzap.UnitMilliseconds))
	logger.Info("huge again", zap.String("blob", big), cwzap.Metric("latency", 9, cwzap.UnitMilliseconds))
	f.syncOK(t)
	msgs := f.messages(t)
	if len(msgs) < 4 {
		t.Fatalf("%d events, want each entry in parts", len(msgs))
	}
	var joined strings.Builder
	for _, m := range msgs {
		var part struct{ Chunk string }
		if err := json.Unmarshal([]byte(m), &part); err != nil {
			t.Fatal(err)
		}
		joined.WriteString(part.Chunk)
	}
	if s := joined.String(); strings.Contains(s, "_aws") || !strings.Contains(s, `"latency":9}`) {
		t.Errorf("joined parts: want the metric as a plain field and no _aws; end: %q", s[len(s)-60:])
	}
	if got := f.srv.Metrics(""); len(got) != 0 || f.srv.EMFErrors() != 0 {
		t.Errorf("metrics %+v, %d invalid documents; want none", got, f.srv.EMFErrors())
	}
	if errs := f.errs.all(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "larger than one CloudWatch event") {
		t.Errorf("error handler got %v, want one report", errs)
	}
}

func TestMetricTextFormatWritesPlainFields(t *testing.T) {
	f := newFixture(t)
	f.metricLogger(cwzap.WithFormat(cwzap.FormatShort), cwzap.WithFunction("fn")).
		Warn("slow", cwzap.Metric("latency", 12.5, cwzap.UnitMilliseconds))
	f.syncOK(t)
	if m := f.messages(t); len(m) != 1 || m[0] != `WARNING: fn: slow {"latency":12.5}` {
		t.Errorf("events = %q", m)
	}
	if got := f.srv.Metrics(""); len(got) != 0 {
		t.Errorf("metrics from a text entry: %+v", got)
	}
}

func TestMetricIsAFloatToOtherEncoders(t *testing.T) {
	var buf bytes.Buffer
	enc := zapcore.NewJSONEncoder(zapcore.EncoderConfig{MessageKey: "msg"})
	logger := zap.New(zapcore.NewCore(enc, zapcore.AddSync(&buf), zap.InfoLevel))
	logger.Info("m", cwzap.Metric("latency", 12.5, cwzap.UnitMilliseconds), cwzap.MetricHighResolution("queue", 3, "Parsecs"))
	if got := strings.TrimSpace(buf.String()); got != `{"msg":"m","latency":12.5,"queue":3}` {
		t.Errorf("zap's JSON encoder wrote %s", got)
	}
}

func TestMetricOptionsAreValidated(t *testing.T) {
	tooMany := make([]string, 31)
	for i := range tooMany {
		tooMany[i] = "d" + strconv.Itoa(i)
	}
	tests := []struct {
		name string
		give []cwzap.Option
		want string
	}{
		{"a namespace too long", []cwzap.Option{cwzap.WithMetricNamespace(strings.Repeat("n", 256))}, "WithMetricNamespace"},
		{"a namespace starting with a colon", []cwzap.Option{cwzap.WithMetricNamespace(":ns")}, "WithMetricNamespace"},
		{"31 dimensions", []cwzap.Option{cwzap.WithMetricDimensions(tooMany...)}, "at most 30"},
		{"a dimension twice", []cwzap.Option{cwzap.WithMetricDimensions("a", "a")}, "twice"},
		{"a layout key", []cwzap.Option{cwzap.WithMetricDimensions("message")}, "layout"},
		{"trace_id with WithTraceContext", []cwzap.Option{cwzap.WithMetricDimensions("route", "trace_id"),
			cwzap.WithTraceContext(func(context.Context) (string, string) { return "", "" })}, `key "trace_id": the layout writes it`},
		{"seq with WithSequenceKey", []cwzap.Option{cwzap.WithSequenceKey(), cwzap.WithMetricDimensions("seq")}, `key "seq": the layout writes it`},
		{"an empty key", []cwzap.Option{cwzap.WithMetricDimensions("")}, "WithMetricDimensions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cwzap.New("#null", tt.give...)
			if err == nil || !strings.HasPrefix(err.Error(), "cwzap: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error about %s", err, tt.want)
			}
		})
	}
	t.Run("NewCore reports once and writes plain fields", func(t *testing.T) {
		f := newFixture(t)
		logger := f.metricLogger(cwzap.WithMetricDimensions("a", "a"))
		logger.Info("m", zap.String("a", "x"), cwzap.Metric("n", 1, cwzap.UnitCount))
		logger.Info("m", zap.String("a", "x"), cwzap.Metric("n", 1, cwzap.UnitCount))
		f.syncOK(t)
		for _, d := range f.docs(t) {
			if _, ok := d["_aws"]; ok || d["n"] != float64(1) {
				t.Errorf("entry = %v, want a plain field", d)
			}
		}
		if errs := f.errs.all(); len(errs) != 1 || !errors.Is(errs[0], errs[0]) || !strings.Contains(errs[0].Error(), "twice") {
			t.Errorf("error handler got %v, want one report", errs)
		}
	})
}

func TestMetricFieldNamedAWSIsRenamed(t *testing.T) {
	f := newFixture(t)
	logger := f.metricLogger(cwzap.WithMetricNamespace("ns"))
	logger.Info("m", zap.String("_aws", "mine"), cwzap.Metric("n", 1, cwzap.UnitCount))
	logger.With(zap.String("_aws", "ctx")).Info("m")
	f.syncOK(t)
	msgs := f.messages(t)
	if len(msgs) != 2 || strings.Count(msgs[0], `"_aws":`) != 1 || !strings.Contains(msgs[0], `"__aws":"mine"`) ||
		strings.Contains(msgs[1], `"_aws"`) || !strings.Contains(msgs[1], `"__aws":"ctx"`) {
		t.Errorf("events = %q, want the fields as __aws and one directive", msgs)
	}
	if got := f.srv.Metrics("ns"); len(got) != 1 || f.srv.EMFErrors() != 0 {
		t.Errorf("metrics = %+v, %d invalid; want the one metric", got, f.srv.EMFErrors())
	}
}

// FuzzMetricDocument: whatever the names, values, units, resolutions and
// fields, an entry is one valid JSON object, and when it carries "_aws"
// the service reads it as a valid EMF document.
func FuzzMetricDocument(f *testing.F) {
	f.Add("latency", 12.5, "Milliseconds", "route", "/pay", "latency", 7.0)
	f.Add("level", math.Inf(1), "Parsecs", "_aws", "x", "", 0.0)
	f.Add("a\"b\\c", math.Copysign(0, -1), "", "a\"b\\c", "\xff", "a\"b\\c", 1e308)
	f.Add("x", 1.0, "Seconds", "k", "v", "x", 2.0)
	f.Fuzz(func(t *testing.T, name string, v float64, unit, key, val, name2 string, v2 float64) {
		var buf bytes.Buffer
		core := cwzap.NewCore(zapcore.AddSync(&buf), zap.InfoLevel,
			cwzap.WithMetricNamespace("ns"), cwzap.WithMetricDimensions("route"))
		core = core.With([]zap.Field{zap.String("route", "/r")})
		logger := zap.New(core)
		logger.Info("m", cwzap.Metric(name, v, cwzap.Unit(unit)), zap.String(key, val), cwzap.Metric(name2, v2, cwzap.UnitCount),
			cwzap.MetricHighResolution(name2, v, cwzap.Unit(unit)))
		out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if !json.Valid(out) {
			t.Fatalf("not valid JSON: %s", out)
		}
		if _, ok := cwlogstest.ExtractMetrics(out); !ok {
			t.Fatalf("an EMF document that breaks the specification: %s", out)
		}
	})
}
