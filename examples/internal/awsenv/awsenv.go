// Package awsenv tells the examples, from the environment alone, whether
// to write to AWS or to an in-process endpoint, so that an example never
// probes the network for credentials.
package awsenv

import "os"

// Endpoint names a CloudWatch Logs endpoint: set, it is used.
const Endpoint = "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"

var (
	regions = []string{"AWS_REGION", "AWS_DEFAULT_REGION"}
	creds   = []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}
)

// Vars are the variables Configured reads: a test that clears them runs
// an example on its in-process endpoint.
func Vars() []string {
	return append(append([]string{Endpoint}, regions...), creds...)
}

// Configured reports whether the environment names an endpoint, or both a
// region and credentials; a region alone is not enough.
func Configured() bool {
	return os.Getenv(Endpoint) != "" || anySet(regions) && anySet(creds)
}

func anySet(keys []string) bool {
	for _, k := range keys {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}
