package awsenv

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConfigured(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  []string
		want bool
	}{
		{"nothing", nil, false},
		{"a region alone", []string{"AWS_REGION"}, false},
		{"credentials alone", []string{"AWS_PROFILE"}, false},
		{"a region and a profile", []string{"AWS_DEFAULT_REGION", "AWS_PROFILE"}, true},
		{"a region and container credentials", []string{"AWS_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}, true},
		{"an endpoint", []string{Endpoint}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range Vars() {
				t.Setenv(k, "")
			}
			for _, k := range tt.set {
				t.Setenv(k, "x")
			}
			if got := Configured(); got != tt.want {
				t.Errorf("Configured() = %v with %v set, want %v", got, tt.set, tt.want)
			}
		})
	}
}
