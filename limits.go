package cwzap

import "time"

// CloudWatch Logs limits for PutLogEvents that a caller may want to size
// against: the Syncer enforces them (WithMaxBatchEvents, WithMaxBatchBytes,
// and the split of an entry larger than MaxEventBytes). From the API reference
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html)
// and the quotas page
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html).
const (
	// EventOverhead is the number of bytes the service adds to each event's
	// UTF-8 message length when it sizes a batch.
	EventOverhead = 26

	// MaxBatchBytes is the largest batch: the sum of every event's message
	// bytes plus EventOverhead each.
	MaxBatchBytes = 1_048_576

	// MaxBatchEvents is the largest number of events in one batch.
	MaxBatchEvents = 10_000

	// MaxEventBytes is the largest message of one event. The service raised
	// the event limit from 256 KB to 1 MB in April 2025; the overhead still
	// counts against it.
	MaxEventBytes = MaxBatchBytes - EventOverhead

	// _maxBatchSpan is the longest time between the first and the last
	// event of one batch.
	_maxBatchSpan = 24 * time.Hour
)

// The service also rejects events more than 14 days old or 2 hours in the
// future; the Syncer sends them anyway and counts the service's refusal in
// Stats.Rejected, so it needs no constants for them.
