package cwlogstest

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"unicode/utf8"
)

// Metrics in the Embedded Metric Format: like the service, the server
// extracts metrics from the events of a PutLogEvents request that carries
// the header x-amzn-logs-format: json/emf, following the specification
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
// An event that is not a JSON object, or has no "_aws", is a plain log
// event. An EMF document that breaks a rule yields no metric and counts in
// EMFErrors, as the service counts it in its AWS/Logs EMFValidationErrors
// metric.

// LogFormatHeader is the request header that marks EMF events, and
// LogFormatEMF its value.
const (
	LogFormatHeader = "X-Amzn-Logs-Format"
	LogFormatEMF    = "json/emf"
)

// EMF limits from the specification.
const (
	emfMaxMetrics    = 100  // MetricDefinitions per directive
	emfMaxValues     = 100  // values of an array metric target
	emfMaxDimensions = 30   // keys per DimensionSet
	emfMaxName       = 255  // characters of a namespace, metric or dimension name
	emfMaxDimValue   = 1024 // characters of a dimension value
)

var emfUnits = []string{
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
	"Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits",
	"Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
	"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
	"Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
	"Count/Second", "None",
}

// A MetricDatum is one metric extracted from one EMF event, for one of its
// dimension sets.
type MetricDatum struct {
	Group, Stream string // where the event was put
	Namespace     string
	Name          string
	Unit          string            // "None" when the document gives none
	Dimensions    map[string]string // the dimension set's keys and their values; empty for an empty set
	Values        []float64         // one, or the target array's values
	Timestamp     int64             // _aws.Timestamp, milliseconds since the Unix epoch

	// StorageResolution is the MetricDefinition's: 1 for a high-resolution
	// metric (stored per second), 60 for a standard one, and 60 when the
	// document gives none.
	StorageResolution int
}

// The storage resolutions a MetricDefinition may give: an integer, 1 (high
// resolution) or 60 (standard, the default), as the specification's
// MetricDefinition and CloudWatch's MetricDatum have them. Any other value,
// a string "1" included, makes the document invalid.
const (
	emfHighResolution     = 1
	emfStandardResolution = 60
)

// emfStore keeps the extracted metrics.
type emfStore struct {
	mu      sync.Mutex // guards metrics and invalid
	metrics []MetricDatum
	invalid int
}

// Metrics returns the metrics extracted so far in namespace, in the order
// they were stored ("" returns every namespace).
func (s *Server) Metrics(namespace string) []MetricDatum {
	s.emf.mu.Lock()
	defer s.emf.mu.Unlock()
	var out []MetricDatum
	for _, m := range s.emf.metrics {
		if namespace == "" || m.Namespace == namespace {
			out = append(out, m)
		}
	}
	return out
}

// EMFErrors returns the number of EMF events that broke a rule of the
// specification and yielded no metric.
func (s *Server) EMFErrors() int {
	s.emf.mu.Lock()
	defer s.emf.mu.Unlock()
	return s.emf.invalid
}

// extractMetrics extracts the metrics of the stored events msgs.
func (s *Server) extractMetrics(group, stream string, msgs [][]byte) {
	var out []MetricDatum
	invalid := 0
	for _, m := range msgs {
		if !bytes.Contains(m, []byte(`"_aws"`)) {
			continue
		}
		ds, ok := ExtractMetrics(m)
		if !ok {
			invalid++
			continue
		}
		for i := range ds {
			ds[i].Group, ds[i].Stream = group, stream
		}
		out = append(out, ds...)
	}
	if len(out) == 0 && invalid == 0 {
		return
	}
	s.emf.mu.Lock()
	s.emf.metrics = append(s.emf.metrics, out...)
	s.emf.invalid += invalid
	s.emf.mu.Unlock()
}

// ExtractMetrics reads one log event as the service reads an EMF event.
// It returns the metrics (nil for a plain event, with ok true) and whether
// the event is valid: ok is false for a document with "_aws" at its root
// that breaks a rule of the specification, which yields no metric.
func ExtractMetrics(msg []byte) (metrics []MetricDatum, ok bool) {
	var root map[string]json.RawMessage
	if json.Unmarshal(msg, &root) != nil {
		return nil, true // not a JSON object: a plain event
	}
	raw, has := root["_aws"]
	if !has {
		return nil, true
	}
	var meta struct {
		Timestamp         *json.Number
		CloudWatchMetrics []struct {
			Namespace  *string
			Dimensions [][]string
			Metrics    []struct {
				Name              *string
				Unit              *string
				StorageResolution json.RawMessage
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&meta) != nil || meta.Timestamp == nil || meta.CloudWatchMetrics == nil {
		return nil, false
	}
	ts, err := meta.Timestamp.Int64()
	if err != nil {
		return nil, false
	}
	for _, d := range meta.CloudWatchMetrics {
		if d.Namespace == nil || !nameOK(*d.Namespace) || d.Dimensions == nil || d.Metrics == nil || len(d.Metrics) > emfMaxMetrics {
			return nil, false
		}
		for _, set := range d.Dimensions {
			if len(set) > emfMaxDimensions {
				return nil, false
			}
			for _, key := range set {
				var v string
				if !nameOK(key) || json.Unmarshal(root[key], &v) != nil || v == "" || utf8.RuneCountInString(v) > emfMaxDimValue {
					return nil, false
				}
			}
		}
		for _, m := range d.Metrics {
			if m.Name == nil || !nameOK(*m.Name) {
				return nil, false
			}
			unit := "None"
			if m.Unit != nil {
				if !slices.Contains(emfUnits, *m.Unit) {
					return nil, false
				}
				unit = *m.Unit
			}
			resolution, ok := storageResolution(m.StorageResolution)
			if !ok {
				return nil, false
			}
			values, ok := metricTarget(root[*m.Name])
			if !ok {
				return nil, false
			}
			for _, set := range d.Dimensions {
				dims := make(map[string]string, len(set))
				for _, key := range set {
					var v string
					_ = json.Unmarshal(root[key], &v)
					dims[key] = v
				}
				metrics = append(metrics, MetricDatum{
					Namespace: *d.Namespace, Name: *m.Name, Unit: unit,
					Dimensions: dims, Values: values, Timestamp: ts,
					StorageResolution: resolution,
				})
			}
		}
	}
	return metrics, true
}

// storageResolution reads a MetricDefinition's StorageResolution: absent
// is standard resolution; present, it must be a JSON number of value 1 or
// 60 (an integer as JSON Schema's "integer" has it, so 60.0 is one; "60",
// a string, and null are not).
func storageResolution(raw json.RawMessage) (int, bool) {
	if raw == nil {
		return emfStandardResolution, true
	}
	var v float64
	if json.Unmarshal(raw, &v) != nil {
		return 0, false
	}
	switch v {
	case emfHighResolution:
		return emfHighResolution, true
	case emfStandardResolution:
		return emfStandardResolution, true
	}
	return 0, false
}

func nameOK(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= emfMaxName
}

// metricTarget reads a metric's target member: a number, or an array of
// at most 100 numbers.
func metricTarget(raw json.RawMessage) ([]float64, bool) {
	if raw == nil {
		return nil, false
	}
	var v float64
	if json.Unmarshal(raw, &v) == nil {
		return []float64{v}, !math.IsInf(v, 0)
	}
	var vs []float64
	if json.Unmarshal(raw, &vs) != nil || len(vs) == 0 || len(vs) > emfMaxValues {
		return nil, false
	}
	return vs, true
}
