package cwzap

import "go.uber.org/zap/zapcore"

// EncoderConfig configures NewEncoder. The zero value is the JSON layout
// with the default time format.
type EncoderConfig struct {
	Format     Format              // "" = the JSON layout (default)
	PrefixFunc PrefixFunc          // when set, computes the text prefix (the seed's callable format)
	Function   string              // the {func} of prefix formats, e.g. the Lambda function's name
	EncodeTime zapcore.TimeEncoder // nil = the seed's asctime in UTC
}

// Format selects the encoding: FormatJSON, one of the seed's named text
// formats, or a text template using {level}, {func} and {caller}.
type Format string

// The named formats.
const (
	FormatJSON     Format = ""
	FormatStandard Format = "#standard"
	FormatShort    Format = "#short"
	FormatSimple   Format = "#simple"
	FormatMini     Format = "#mini"
)

// PrefixFunc computes the text prefix of an entry.
type PrefixFunc func(level zapcore.Level, function, caller, msg string) string
