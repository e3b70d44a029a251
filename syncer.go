package cwzap

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// Client is the part of *cloudwatchlogs.Client that a Syncer calls.
type Client interface {
	PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	CreateLogStream(ctx context.Context, in *cloudwatchlogs.CreateLogStreamInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
	DescribeLogStreams(ctx context.Context, in *cloudwatchlogs.DescribeLogStreamsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
	PutRetentionPolicy(ctx context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
}

var _ Client = (*cloudwatchlogs.Client)(nil)

// Stats counts what happened to the events a Syncer accepted. Once Sync has
// returned, Written == Delivered + Fallback + Dropped.
type Stats struct {
	Written   uint64 // events accepted by Write/WriteEntry (after splitting oversize entries)
	Delivered uint64 // accepted by CloudWatch
	Fallback  uint64 // written to the fallback writer instead (failed for good, rejected, or overflow)
	Dropped   uint64 // discarded under the Drop overflow policy
	Rejected  uint64 // of Fallback: refused by the service (too old, too new, expired)
	Batches   uint64 // successful PutLogEvents calls
	Retries   uint64 // PutLogEvents calls repeated after a retryable error
}

// Syncer is a zapcore.WriteSyncer that batches events for one log group and
// stream and ships them with PutLogEvents.
type Syncer struct{}

// NewSyncer is being written.
func NewSyncer(group, stream string, opts ...Option) (*Syncer, error) { panic("todo") }

// Write stores p as one event stamped now.
func (s *Syncer) Write(p []byte) (int, error) { panic("todo") }

// WriteEntry stores p as one event with time t.
func (s *Syncer) WriteEntry(t time.Time, p []byte) error { panic("todo") }

// Sync is the purge.
func (s *Syncer) Sync() error { panic("todo") }

// SyncContext is Sync bounded by ctx; it returns the events not yet settled.
func (s *Syncer) SyncContext(ctx context.Context) (int, error) { panic("todo") }

// Close is Sync, then refuse writes.
func (s *Syncer) Close() error { panic("todo") }

// CloseContext is Close bounded by ctx.
func (s *Syncer) CloseContext(ctx context.Context) (int, error) { panic("todo") }

// Stats returns the counters.
func (s *Syncer) Stats() Stats { panic("todo") }

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("cwzap: syncer closed")
