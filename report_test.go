package cwzap

import (
	"errors"
	"strings"
	"testing"
)

func TestExportedErrorsStartWithCwzap(t *testing.T) {
	tests := []struct {
		name string
		give error
	}{
		{"ErrClosed", ErrClosed},
		{"ErrBufferFull", ErrBufferFull},
		{"ErrDeadline", ErrDeadline},
		{"DeliveryError", &DeliveryError{Group: "g", Stream: "s", Events: 1, Late: 1, LateErr: &deadlineError{}}},
		{"overflow", &overflowError{group: "g", stream: "s", limit: 100, what: "events go to the fallback writer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := tt.give.Error(); !strings.HasPrefix(msg, "cwzap: ") || strings.Count(msg, "cwzap:") != 1 {
				t.Errorf("%q does not start with \"cwzap: \" exactly once", msg)
			}
		})
	}
}

func TestOverflowErrorIsErrBufferFull(t *testing.T) {
	err := error(&overflowError{group: "g", stream: "s", limit: 100, what: "events go to the fallback writer"})
	if !errors.Is(err, ErrBufferFull) {
		t.Errorf("errors.Is(%v, ErrBufferFull) = false", err)
	}
	if errors.Is(err, ErrDeadline) {
		t.Errorf("errors.Is(%v, ErrDeadline) = true", err)
	}
}
