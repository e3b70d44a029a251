package cwzap

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestEncoderText(t *testing.T) {
	handler := zapcore.EntryCaller{Defined: true, Function: "example.com/fn.handler", Line: 9}
	tests := []struct {
		name       string
		giveCfg    EncoderConfig
		giveLevel  zapcore.Level
		giveCaller zapcore.EntryCaller
		giveMsg    string
		want       string
	}{
		{"standard", EncoderConfig{Format: FormatStandard, Function: "CoolLambdaFunc"}, zapcore.WarnLevel, handler, "msg", "WARNING: CoolLambdaFunc: handler: msg\n"},
		{"standard, no caller", EncoderConfig{Format: FormatStandard, Function: "F"}, zapcore.InfoLevel, zapcore.EntryCaller{}, "msg", "INFO: F: : msg\n"},
		{"short", EncoderConfig{Format: FormatShort, Function: "CoolLambdaFunc"}, zapcore.ErrorLevel, handler, "msg", "ERROR: CoolLambdaFunc: msg\n"},
		{"simple", EncoderConfig{Format: FormatSimple, Function: "CoolLambdaFunc"}, zapcore.ErrorLevel, handler, "msg", "CoolLambdaFunc: msg\n"},
		{"mini warning", EncoderConfig{Format: FormatMini, Function: "CoolLambdaFunc"}, zapcore.WarnLevel, handler, "msg", "WARNING: CoolLambdaFunc: msg\n"},
		{"mini info with func", EncoderConfig{Format: FormatMini, Function: "CoolLambdaFunc"}, zapcore.InfoLevel, handler, "msg", "CoolLambdaFunc: msg\n"},
		{"mini info", EncoderConfig{Format: FormatMini}, zapcore.InfoLevel, handler, "msg", "msg\n"},
		{"mini debug", EncoderConfig{Format: FormatMini}, zapcore.DebugLevel, handler, "msg", "msg\n"},
		{"mini error", EncoderConfig{Format: FormatMini}, zapcore.ErrorLevel, handler, "msg", "ERROR: msg\n"},
		{"mini dpanic", EncoderConfig{Format: FormatMini, Function: "f"}, zapcore.DPanicLevel, handler, "msg", "CRITICAL: f: msg\n"},
		{"template", EncoderConfig{Format: "[{level}] {func}/{caller} - ", Function: "fn"}, zapcore.InfoLevel, handler, "msg", "[INFO] fn/handler - msg\n"},
		{"template repeats and literal braces", EncoderConfig{Format: "{ {}{level}{level}{1{", Function: "fn"}, zapcore.DebugLevel, handler, "msg", "{ {}DEBUGDEBUG{1{msg\n"},
		{"template no placeholders", EncoderConfig{Format: ">> "}, zapcore.InfoLevel, handler, "msg", ">> msg\n"},
		{"unknown name is standard, and says so", EncoderConfig{Format: "#nope", Function: "F"}, zapcore.InfoLevel, handler, "msg",
			`INFO: F: handler: msg {"formatError":"cwzap: unknown format \"#nope\" (want \"#standard\", \"#short\", \"#simple\", \"#mini\", \"\" for JSON, or a template such as \"[{level}] {func}: \")"}` + "\n"},
		{"unknown placeholder is standard, and says so", EncoderConfig{Format: "{levle}: ", Function: "F"}, zapcore.InfoLevel, handler, "msg",
			`INFO: F: handler: msg {"formatError":"cwzap: format \"{levle}: \": unknown placeholder {levle} (want {level}, {func} or {caller})"}` + "\n"},
		{"prefix func", EncoderConfig{PrefixFunc: func(l zapcore.Level, f, c, m string) string {
			return fmt.Sprintf("<%v|%s|%s|%d> ", l, f, c, len(m))
		}, Function: "F"}, zapcore.WarnLevel, handler, "msg", "<warn|F|handler|3> msg\n"},
		{"prefix func wins", EncoderConfig{Format: FormatMini, PrefixFunc: func(zapcore.Level, string, string, string) string { return "P " }}, zapcore.ErrorLevel, handler, "msg", "P msg\n"},
		{"prefix func invalid UTF-8", EncoderConfig{PrefixFunc: func(zapcore.Level, string, string, string) string { return "\xff " }}, zapcore.InfoLevel, handler, "msg", "\uFFFD msg\n"},
		{"trailing newlines trimmed", EncoderConfig{Format: FormatSimple, Function: "F"}, zapcore.InfoLevel, handler, "a\nb\r\n\n", "F: a\nb\n"},
		{"invalid UTF-8 replaced", EncoderConfig{Format: FormatSimple, Function: "F\xff"}, zapcore.InfoLevel, handler, "a\xff\xfeb", "F\uFFFD: a\uFFFDb\n"},
		{"JSON message stays text", EncoderConfig{Format: FormatSimple, Function: "F"}, zapcore.InfoLevel, handler, `{"a": 1}`, "F: {\"a\": 1}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ent := testEntry(tt.giveLevel, tt.giveMsg)
			ent.Caller = tt.giveCaller
			got := encode(t, NewEncoder(tt.giveCfg), ent)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEncoderTextFields(t *testing.T) {
	tests := []struct {
		name       string
		giveCtx    []zapcore.Field
		giveFields []zapcore.Field
		giveStack  string
		want       string
	}{
		{"none", nil, nil, "", "F: m\n"},
		{"entry fields", nil, []zapcore.Field{zap.Int("n", 1), zap.String("level", "l")}, "", `F: m {"n":1,"level":"l"}` + "\n"},
		{"context first", []zapcore.Field{zap.String("c", "x")}, []zapcore.Field{zap.Int("n", 1)}, "", `F: m {"c":"x","n":1}` + "\n"},
		{"error is a field", []zapcore.Field{zap.Error(errors.New("ctx"))}, []zapcore.Field{zap.Error(errors.New("boom"))}, "", `F: m {"error":"ctx","error":"boom"}` + "\n"},
		{"only skips", nil, []zapcore.Field{zap.Skip(), Purge()}, "", "F: m\n"},
		{"namespace", nil, []zapcore.Field{zap.Namespace("ns"), zap.Int("n", 1)}, "", `F: m {"ns":{"n":1}}` + "\n"},
		{"stack on next lines", nil, []zapcore.Field{zap.Int("n", 1)}, "main.f\n\ta.go:1\n", "F: m {\"n\":1}\nmain.f\n\ta.go:1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := newEncoder(EncoderConfig{Format: FormatSimple, Function: "F"}, false, nil).with(tt.giveCtx)
			ent := testEntry(zapcore.InfoLevel, "m")
			ent.Stack = tt.giveStack
			got := encode(t, enc, ent, tt.giveFields...)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatValidate(t *testing.T) {
	tests := []struct {
		give    Format
		wantErr bool
	}{
		{FormatJSON, false},
		{FormatStandard, false},
		{FormatShort, false},
		{FormatSimple, false},
		{FormatMini, false},
		{"{level}: ", false},
		{"plain", false},
		{"#Mini", true},
		{"#", true},
		{"#nope", true},
		{"#standrad", true},
		{"{levle}: ", true},
		{"[{level}] {Func}: ", true},
		{"{level: ", true},
		{"{level}: {caller", true},
		{"{ }{}{1}{_x}", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.give), func(t *testing.T) {
			err := tt.give.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate(%q) = %v, want error %v", tt.give, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.give)) {
				t.Errorf("error %q does not name %q", err, tt.give)
			}
			f, perr := ParseFormat(string(tt.give))
			if fmt.Sprint(perr) != fmt.Sprint(err) || err == nil && f != tt.give || err != nil && f != FormatJSON {
				t.Errorf("ParseFormat(%q) = %q, %v; want the format or Validate's error", tt.give, f, perr)
			}
		})
	}
}

// A mistyped format given to NewCore, which cannot fail, shows in every
// event, with the fields and the sequence key still in one object.
func TestNewCoreBadFormatIsLoud(t *testing.T) {
	var out strings.Builder
	ws := zapcore.AddSync(&out)
	logger := zap.New(NewCore(ws, zap.InfoLevel, WithFormat("#standrad"), WithFunction("F"), WithSequenceKey())).With(zap.String("c", "x"))
	logger.Info("one", zap.Int("n", 1))
	logger.Info("two")
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %q, want two events", out.String())
	}
	for i, want := range []string{`"c":"x","n":1}`, `"c":"x"}`} {
		wantStart := fmt.Sprintf(`INFO: F: : %s {"seq":"`, []string{"one", "two"}[i])
		if !strings.HasPrefix(lines[i], wantStart) || !strings.Contains(lines[i], `,"formatError":"cwzap: unknown format \"#standrad\"`) || !strings.HasSuffix(lines[i], `)",`+want) {
			t.Errorf("event %d = %q; want the standard prefix, then seq, formatError and the fields", i, lines[i])
		}
	}
}
