package cwzap

import (
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
)

func TestParseSpecForms(t *testing.T) {
	nested := Spec{Class: "cloud-watch", Level: "warning", CloudWatch: CloudWatchSpec{
		Group: "/app/orders", Stream: "s1", Function: "intake", Format: "#mini",
	}}
	nestedJSON := `{"logging": {"class": "cloud-watch", "level": "warning",
		"cloud-watch": {"group": "/app/orders", "stream": "s1", "function": "intake", "format": "#mini"}}}`
	tests := []struct {
		name       string
		give       any
		wantSpec   Spec
		wantPrefix string
	}{
		{"nil", nil, Spec{Class: "#null"}, ""},
		{"nil *Spec", (*Spec)(nil), Spec{Class: "#null"}, ""},
		{"class #null", "#null", Spec{Class: "#null"}, ""},
		{"class #print", "#print", Spec{Class: "#print"}, ""},
		{"class #standard-logger", "#standard-logger", Spec{Class: "#standard-logger"}, ""},
		{"class cloud-watch", "cloud-watch", Spec{Class: "cloud-watch"}, ""},
		{"class in another case", "Cloud-Watch", Spec{Class: "Cloud-Watch"}, ""},
		{"JSON text", []byte(nestedJSON), nested, "logging."},
		{"JSON text with leading space", []byte("  \n" + nestedJSON), nested, "logging."},
		{"JSON bytes", []byte(nestedJSON), nested, "logging."},
		{"json.RawMessage", json.RawMessage(nestedJSON), nested, "logging."},
		{"JSON class string", []byte(`"#print"`), Spec{Class: "#print"}, ""},
		{"JSON null", []byte(`null`), Spec{Class: "#null"}, ""},
		{"JSON short form", []byte(`{"class": "#print", "level": 30}`), Spec{Class: "#print", Level: "30"}, ""},
		{"JSON level 20.0", []byte(`{"level": 20.0}`), Spec{Level: "20.0"}, ""},
		{"JSON nulls are absent", []byte(`{"class": null, "level": null, "cloud-watch": null}`), Spec{}, ""},
		{"Spec", nested, nested, ""},
		{"*Spec", &nested, nested, ""},
		{
			"nested map, other keys ignored",
			map[string]any{"app": "orders", "logging": map[string]any{
				"class": "cloud-watch", "level": "warning",
				"cloud-watch": map[string]any{"group": "/app/orders", "stream": "s1", "function": "intake", "format": "#mini"},
			}},
			nested, "logging.",
		},
		{
			"nested map of strings",
			map[string]any{"logging": map[string]string{"class": "#print", "level": "debug"}},
			Spec{Class: "#print", Level: "debug"}, "logging.",
		},
		{
			"short form",
			map[string]any{"class": "cloud-watch", "level": "warning",
				"cloud-watch": map[string]string{"group": "/app/orders", "stream": "s1", "function": "intake", "format": "#mini"}},
			nested, "",
		},
		{
			"short form, destination at the top",
			map[string]any{"class": "cloud-watch", "level": "warning",
				"group": "/app/orders", "stream": "s1", "function": "intake", "format": "#mini"},
			nested, "",
		},
		{
			"short form, split between top and cloud-watch",
			map[string]any{"class": "cloud-watch", "level": "warning", "group": "/app/orders", "stream": "s1",
				"cloud-watch": map[string]any{"function": "intake", "format": "#mini"}},
			nested, "",
		},
		{
			"map[string]string",
			map[string]string{"class": "cloud-watch", "level": "warning",
				"group": "/app/orders", "stream": "s1", "function": "intake", "format": "#mini"},
			nested, "",
		},
		{"level int", map[string]any{"level": 40}, Spec{Level: "40"}, ""},
		{"level int64", map[string]any{"level": int64(10)}, Spec{Level: "10"}, ""},
		{"level uint8", map[string]any{"level": uint8(50)}, Spec{Level: "50"}, ""},
		{"level float64", map[string]any{"level": 30.0}, Spec{Level: "30"}, ""},
		{"level zapcore.Level", map[string]any{"level": zapcore.WarnLevel}, Spec{Level: "warn"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSpec(tt.give)
			if err != nil {
				t.Fatalf("parseSpec: %v", err)
			}
			if got.Spec != tt.wantSpec {
				t.Errorf("spec = %+v, want %+v", got.Spec, tt.wantSpec)
			}
			if got.prefix != tt.wantPrefix {
				t.Errorf("prefix = %q, want %q", got.prefix, tt.wantPrefix)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		give    any
		opts    []Option
		wantErr string
	}{
		{"unknown class", "foo", nil, `cwzap: unknown logger class "foo"`},
		{"unknown class in JSON string", []byte(`"foo"`), nil, `cwzap: unknown logger class "foo"`},
		{"JSON object in a string", `{"class": "#print"}`, nil, `cwzap: spec: the string "{\"class\": \"#print\"}" is not a class name; pass JSON text as []byte`},
		{"JSON string in a string", `"#print"`, nil, `cwzap: spec: the string "\"#print\"" is not a class name`},
		{"unknown class, nested", map[string]any{"logging": map[string]any{"class": "foo"}}, nil,
			`cwzap: spec: logging.class: unknown logger class "foo"`},
		{"unknown class, Spec", Spec{Class: "foo"}, nil, `cwzap: spec: class: unknown logger class "foo"`},
		{"unsupported type", 42, nil, `cwzap: spec: want a class name, JSON text, Spec or map, got int`},
		{"level bool", map[string]any{"logging": map[string]any{"level": true}}, nil,
			`cwzap: spec: logging.level: want a string or number, got bool`},
		{"level bool in JSON", []byte(`{"logging": {"level": true}}`), nil,
			`cwzap: spec: logging.level: want a string or number, got bool`},
		{"level object", []byte(`{"level": {}}`), nil, `cwzap: spec: level: want a string or number, got object`},
		{"unknown level", map[string]any{"logging": map[string]any{"level": "verbose"}}, nil,
			`cwzap: spec: logging.level: unknown level "verbose"`},
		{"unknown level, Spec", Spec{Level: "loud"}, nil, `cwzap: spec: level: unknown level "loud"`},
		{"level above 50", []byte(`{"level": 55}`), nil, `cwzap: spec: level: level 55: want a Python level, an integer from 0 to 50`},
		{"level below 0", map[string]any{"level": -1}, nil, `cwzap: spec: level: level -1: want a Python level, an integer from 0 to 50`},
		{"level fraction", []byte(`{"level": 20.5}`), nil, `cwzap: spec: level: level 20.5: want a Python level, an integer from 0 to 50`},
		{"malformed JSON", []byte("{\"class\": \"#print\",\n}"), nil,
			`cwzap: spec: malformed JSON: invalid character '}' looking for beginning of object key string at line 2, column 1 (offset 20)`},
		{"truncated JSON", []byte(`{"class": `), nil, `cwzap: spec: malformed JSON: unexpected end of JSON input at line 1, column 11 (offset 10)`},
		{"malformed JSON after leading lines", []byte("\n\n  {\"class\" \"#print\"}"), nil,
			`cwzap: spec: malformed JSON: invalid character '"' after object key at line 3, column 12 (offset 13)`},
		{"trailing JSON", []byte(`{} {}`), nil, `cwzap: spec: malformed JSON: invalid character after top-level value at line 1, column 4 (offset 3)`},
		{"JSON array", []byte(`[1]`), nil, `cwzap: spec: want a JSON object or string, got array`},
		{"logging not an object", map[string]any{"logging": "x"}, nil, `cwzap: spec: logging: want an object, got string`},
		{"unknown key", map[string]any{"logging": map[string]any{"levle": "debug"}}, nil,
			`cwzap: spec: logging.levle: unknown key (want class, level, cloud-watch, group, stream, function, format, group-class or deletion-protection)`},
		{"unknown cloud-watch key", []byte(`{"cloud-watch": {"colour": "red"}}`), nil,
			`cwzap: spec: cloud-watch.colour: unknown key (want group, stream, function, format, group-class or deletion-protection)`},
		{"cloud-watch not an object", []byte(`{"logging": {"cloud-watch": 5}}`), nil,
			`cwzap: spec: logging.cloud-watch: want an object, got number`},
		{"group given twice", []byte(`{"group": "a", "cloud-watch": {"group": "b"}}`), nil,
			`cwzap: spec: group: also given as cloud-watch.group`},
		{"class not a string", []byte(`{"logging": {"class": 5}}`), nil, `cwzap: spec: logging.class: want a string, got number`},
		{"group not a string", []byte(`{"cloud-watch": {"group": ["a"]}}`), nil, `cwzap: spec: cloud-watch.group: want a string, got array`},
		{"unknown format", []byte(`{"logging": {"cloud-watch": {"format": "#fancy"}}}`), nil,
			`cwzap: spec: logging.cloud-watch.format: unknown format "#fancy"`},
		{"group without stream", Spec{CloudWatch: CloudWatchSpec{Group: "g"}}, nil,
			`cwzap: spec: cloud-watch.stream: required with a group`},
		{"unknown format option", "#print", []Option{WithFormat("#nope")}, `cwzap: WithFormat: unknown format "#nope"`},
		{"template typo", []byte(`{"class": "#print", "format": "[{levle}] "}`), nil,
			`cwzap: spec: format: format "[{levle}] ": unknown placeholder {levle}`},
		{"template typo under cloud-watch", []byte(`{"class": "#print", "cloud-watch": {"format": "[{levle}] "}}`), nil,
			`cwzap: spec: cloud-watch.format: format "[{levle}] ": unknown placeholder {levle}`},
		{"template typo option", "#print", []Option{WithFormat("{level: ")}, `cwzap: WithFormat: format "{level: ": unclosed placeholder {level`},
		{"format in WithEncoderConfig", "#print", []Option{WithEncoderConfig(EncoderConfig{Format: "#nope"})},
			`cwzap: WithEncoderConfig: Format: unknown format "#nope"`},
		{"namespace option", "#print", []Option{WithMetricNamespace(":ns")}, `cwzap: WithMetricNamespace(":ns"): want 1 to 255 characters`},
		{"namespace in WithEncoderConfig", "#print", []Option{WithEncoderConfig(EncoderConfig{MetricNamespace: ":ns"})},
			`cwzap: WithEncoderConfig: MetricNamespace: WithMetricNamespace(":ns"): want 1 to 255 characters`},
		{"dimensions option", "#print", []Option{WithMetricDimensions("a", "a")}, `cwzap: WithMetricDimensions: key "a" given twice`},
		{"unknown group class", []byte(`{"logging": {"cloud-watch": {"group-class": "standrad"}}}`), nil,
			`cwzap: spec: logging.cloud-watch.group-class "standrad": unknown log group class; want STANDARD or INFREQUENT_ACCESS`},
		{"unknown group class, short form", map[string]any{"class": "#print", "group-class": "cold"}, nil,
			`cwzap: spec: group-class "cold": unknown log group class`},
		{"unknown group class, Spec", Spec{CloudWatch: CloudWatchSpec{GroupClass: "cold"}}, nil,
			`cwzap: spec: cloud-watch.group-class "cold": unknown log group class`},
		{"unknown group class option", "#print", []Option{WithLogGroupClass("cold")},
			`cwzap: WithLogGroupClass("cold"): unknown log group class; want STANDARD or INFREQUENT_ACCESS`},
		{"bad retention option", "#print", []Option{WithRetention(13)},
			`cwzap: WithRetention(13): the service accepts [1 3 5`},
		{"two bad options", "#print", []Option{WithRetention(13), WithFormat("#nope")},
			"cwzap: WithFormat: unknown format \"#nope\" (want \"#standard\", \"#short\", \"#simple\", \"#mini\", \"\" for JSON, or a template such as \"[{level}] {func}: \")\ncwzap: WithRetention(13): "},
		{"bad group name", Spec{CloudWatch: CloudWatchSpec{Group: "bad group", Stream: "s"}}, nil,
			`cwzap: log group name "bad group"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(tt.give, tt.opts...)
			if err == nil {
				t.Fatalf("New(%#v) = %v, want error %q", tt.give, ClassCode(l), tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to start with %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		give string
		want zapcore.Level
	}{
		{"", zapcore.InfoLevel},
		{"debug", zapcore.DebugLevel},
		{"DEBUG", zapcore.DebugLevel},
		{"notset", zapcore.DebugLevel},
		{"info", zapcore.InfoLevel},
		{"Info", zapcore.InfoLevel},
		{"warn", zapcore.WarnLevel},
		{"warning", zapcore.WarnLevel},
		{"WARNING", zapcore.WarnLevel},
		{" Warning ", zapcore.WarnLevel},
		{"error", zapcore.ErrorLevel},
		{"ERROR", zapcore.ErrorLevel},
		{"critical", zapcore.DPanicLevel},
		{"CRITICAL", zapcore.DPanicLevel},
		{"dpanic", zapcore.DPanicLevel},
		{"panic", zapcore.PanicLevel},
		{"fatal", zapcore.FatalLevel},
		{"0", zapcore.DebugLevel},
		{"5", zapcore.DebugLevel},
		{"10", zapcore.DebugLevel},
		{"11", zapcore.InfoLevel},
		{"20", zapcore.InfoLevel},
		{"20.0", zapcore.InfoLevel},
		{"25", zapcore.WarnLevel},
		{"30", zapcore.WarnLevel},
		{"40", zapcore.ErrorLevel},
		{"45", zapcore.DPanicLevel},
		{"50", zapcore.DPanicLevel},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := parseLevel(tt.give)
			if err != nil {
				t.Fatalf("parseLevel(%q): %v", tt.give, err)
			}
			if got != tt.want {
				t.Errorf("parseLevel(%q) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func TestParseSpecThenBuild(t *testing.T) {
	stdout, _ := captureStd(t)
	s, err := ParseSpec([]byte(`{"app": "x", "logging": {"class": "#print", "level": "warning",
		"cloud-watch": {"function": "intake", "format": "#short"}}}`))
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	want := Spec{Class: "#print", Level: "warning", CloudWatch: CloudWatchSpec{Function: "intake", Format: "#short"}}
	if s != want {
		t.Fatalf("ParseSpec = %+v, want %+v", s, want)
	}
	l, err := s.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	l.Info("quiet")
	l.Warn("careful")
	if got := stdout.String(); got != "WARNING: intake: careful\n" {
		t.Errorf("stdout = %q, want only the warning in #short", got)
	}

	// ParseSpec checks what Build would refuse, naming the nested path.
	_, err = ParseSpec([]byte(`{"logging": {"level": "verbose"}}`))
	if want := `cwzap: spec: logging.level: unknown level "verbose"`; err == nil || err.Error() != want {
		t.Errorf("ParseSpec error = %v, want %q", err, want)
	}
	if _, err := (Spec{Class: "#print"}).Build(WithRetention(4)); err == nil {
		t.Error("Build accepted WithRetention(4), which the service refuses")
	}
}
