package cwzap

import (
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// The AWS SDK logs to stderr by default. When cwzap loads the default AWS
// configuration itself, it keeps that logger but drops one line: the EC2
// metadata client's "falling back to IMDSv1" warning. Off EC2 it appears
// whenever something else answers the metadata address (another cloud's
// metadata service, a proxy, a container host) while the credential chain
// is searched; the search then fails or succeeds on its own, and cwzap
// reports a failure in its own one line. A configuration the caller
// builds (WithAWSConfig, WithClient) logs as the caller set it up.

// quietSDKLog is the config.LoadOptions function that installs the logger:
// the SDK's standard one writing to w, less the IMDSv1 warning.
func quietSDKLog(w io.Writer) func(*config.LoadOptions) error {
	return config.WithLogger(sdkLogger{next: logging.NewStandardLogger(w)})
}

// sdkLogger passes the SDK's log lines on to next, except the IMDSv1
// fallback warning.
type sdkLogger struct{ next logging.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	if c == logging.Warn && strings.HasPrefix(format, "falling back to IMDSv1") {
		return
	}
	l.next.Logf(c, format, v...)
}
