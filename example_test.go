package cwzap_test

import (
	"errors"
	"os"
	"time"

	"github.com/cwzap/cwzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// write sends one entry with a fixed time through core, as zap.Logger does.
func write(core zapcore.Core, ent zapcore.Entry, fields ...zap.Field) {
	ent.Time = time.Date(2024, 3, 5, 4, 7, 8, 9_000_000, time.UTC)
	if ce := core.Check(ent, nil); ce != nil {
		ce.Write(fields...)
	}
}

// The JSON layout, written to stdout instead of a *Syncer.
func ExampleNewCore() {
	core := cwzap.NewCore(zapcore.AddSync(os.Stdout), zap.InfoLevel)
	write(core, zapcore.Entry{Level: zap.WarnLevel, LoggerName: "billing", Message: "card declined"},
		zap.String("customer", "c-42"), zap.Int("attempt", 3))
	write(core, zapcore.Entry{Level: zap.DebugLevel, Message: "filtered out"})
	// Output:
	// {"timestamp":"2024-03-05 04:07:08,009","level":"WARNING","location":"billing","message":"card declined","customer":"c-42","attempt":3}
}

// Errors go to "exception"; a message that is a JSON object is embedded;
// a field named like a layout key gets a "_" prefix.
func ExampleNewCore_layout() {
	core := cwzap.NewCore(zapcore.AddSync(os.Stdout), zap.InfoLevel).
		With([]zap.Field{zap.String("request", "r-1")})
	write(core, zapcore.Entry{Level: zap.ErrorLevel, Message: `{"order": 7, "state": "failed"}`},
		zap.Error(errors.New("timeout")), zap.String("level", "gold"))
	// Output:
	// {"timestamp":"2024-03-05 04:07:08,009","level":"ERROR","location":"root","message":{"order":7,"state":"failed"},"exception":"timeout","request":"r-1","_level":"gold"}
}

// The usual second core: a tee that also prints to the console.
func ExampleNewCore_tee() {
	console := zapcore.NewCore(zapcore.NewConsoleEncoder(zapcore.EncoderConfig{
		LevelKey: "level", MessageKey: "msg", EncodeLevel: zapcore.CapitalLevelEncoder,
	}), zapcore.AddSync(os.Stdout), zap.DebugLevel)
	cloud := cwzap.NewCore(zapcore.AddSync(os.Stdout), zap.InfoLevel) // a *Syncer in real use
	core := zapcore.NewTee(cloud, console)
	write(core, zapcore.Entry{Level: zap.InfoLevel, Message: "started"}, zap.Int("port", 8080))
	write(core, zapcore.Entry{Level: zap.DebugLevel, Message: "console only"})
	// Output:
	// {"timestamp":"2024-03-05 04:07:08,009","level":"INFO","location":"root","message":"started","port":8080}
	// INFO	started	{"port": 8080}
	// DEBUG	console only
}

// The seed's text formats: #mini shows the level from WARNING up.
func ExampleWithFormat() {
	core := cwzap.NewCore(zapcore.AddSync(os.Stdout), zap.InfoLevel,
		cwzap.WithFormat(cwzap.FormatMini), cwzap.WithFunction("CoolLambdaFunc"))
	write(core, zapcore.Entry{Level: zap.InfoLevel, Message: "fetched"}, zap.Int("items", 3))
	write(core, zapcore.Entry{Level: zap.WarnLevel, Message: "slow"})
	// Output:
	// CoolLambdaFunc: fetched {"items":3}
	// WARNING: CoolLambdaFunc: slow
}

// A template prefix with the calling function.
func ExampleFormat() {
	core := cwzap.NewCore(zapcore.AddSync(os.Stdout), zap.InfoLevel,
		cwzap.WithFormat("[{level}] {func}/{caller}: "), cwzap.WithFunction("orders"))
	write(core, zapcore.Entry{Level: zap.ErrorLevel, Message: "no stock",
		Caller: zapcore.EntryCaller{Defined: true, Function: "example.com/orders.(*Shop).Buy", Line: 12}})
	// Output:
	// [ERROR] orders/(*Shop).Buy: no stock
}
