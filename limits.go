package cwzap

import "time"

// CloudWatch Logs limits for PutLogEvents, from the API reference
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

	// MaxBatchSpan is the longest time between the first and the last event
	// of one batch.
	MaxBatchSpan = 24 * time.Hour

	// MaxEventAge is how old an event may be before the service rejects it
	// (reported as too old or expired in rejectedLogEventsInfo).
	MaxEventAge = 14 * 24 * time.Hour

	// MaxEventAhead is how far in the future an event may be before the
	// service rejects it (reported as too new).
	MaxEventAhead = 2 * time.Hour
)
