package cwzap

import (
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Each option is of exactly one kind, so that NewSyncer and NewCore refuse
// at compile time what they cannot use.
func TestOptionKinds(t *testing.T) {
	tests := []struct {
		name       string
		give       Option
		wantSyncer bool
	}{
		{"WithClient", WithClient(nil), true},
		{"WithAWSConfig", WithAWSConfig(aws.Config{}), true},
		{"WithFlushInterval", WithFlushInterval(time.Second), true},
		{"WithMaxBatchEvents", WithMaxBatchEvents(1), true},
		{"WithMaxBatchBytes", WithMaxBatchBytes(100), true},
		{"WithBufferLimit", WithBufferLimit(1), true},
		{"WithOverflow", WithOverflow(OverflowDrop), true},
		{"WithFallback", WithFallback(io.Discard), true},
		{"WithErrorHandler", WithErrorHandler(func(error) {}), true},
		{"WithCreateGroup", WithCreateGroup(false), true},
		{"WithRetention", WithRetention(7), true},
		{"WithKMSKey", WithKMSKey("k"), true},
		{"WithTags", WithTags(nil), true},
		{"WithConcurrency", WithConcurrency(1), true},
		{"WithPutTimeout", WithPutTimeout(time.Second), true},
		{"WithSyncTimeout", WithSyncTimeout(time.Second), true},
		{"WithFormat", WithFormat(FormatMini), false},
		{"WithPrefixFunc", WithPrefixFunc(nil), false},
		{"WithFunction", WithFunction("f"), false},
		{"WithEncoderConfig", WithEncoderConfig(EncoderConfig{}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, isSyncer := tt.give.(SyncerOption)
			_, isCore := tt.give.(CoreOption)
			if isSyncer != tt.wantSyncer || isCore == tt.wantSyncer {
				t.Errorf("SyncerOption %v, CoreOption %v; want exactly one, SyncerOption %v", isSyncer, isCore, tt.wantSyncer)
			}
			so, co := splitOptions([]Option{tt.give})
			if len(so)+len(co) != 1 {
				t.Errorf("splitOptions gave %d syncer and %d core options, want 1 in all", len(so), len(co))
			}
		})
	}
}
