package cwzap

// handleError hands err to the Syncer's error handler (WithErrorHandler),
// for what the Core finds while encoding: a metric CloudWatch would not
// extract, reported once.
func (s *Syncer) handleError(err error) { s.onError(err) }
