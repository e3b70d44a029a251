package main

import "path/filepath"

// A mutant is one small bug: in file (a path from the repository's root)
// the text from, found there exactly once, becomes to. bug names, in one
// line, the promise it breaks. The tests that must catch it are those of
// the package in directory pkg (from the root), by default the file's own.
//
// Keep from short and distinctive, so that a refactoring that moves the
// code is easy to follow: the command reports a mutant whose text is gone
// or ambiguous as stale.
type mutant struct {
	bug      string
	file     string
	from, to string
	pkg      string
}

// pkgDir is the directory of the package whose tests run for m.
func (m mutant) pkgDir() string {
	if m.pkg != "" {
		return m.pkg
	}
	return filepath.Dir(m.file)
}

// _mutants covers each promise of the README's "What cwzap guarantees",
// the delivery rules and the service's limits, the spool, and cwzaplambda.
var _mutants = []mutant{
	// Nothing is lost silently; Stats add up.
	{
		bug:  "a batch that failed for good does not reach the fallback writer",
		file: "ledger.go",
		from: "\t\tdefault:\n\t\t\tl.toFallbackEvents(b, r.lo, r.hi, false)\n",
		to:   "\t\tdefault:\n",
	},
	{
		bug:  "Stats: an accepted event is not counted as Written",
		file: "syncer.go",
		from: "\ts.ledger.accepted()\n\tseq, r := s.take(ev, after)\n",
		to:   "\tseq, r := s.take(ev, after)\n",
	},
	{
		bug:  "Stats: Delivered counts one event short per put",
		file: "ledger.go",
		from: "l.stats.delivered.Add(uint64(n - rej))",
		to:   "l.stats.delivered.Add(uint64(n - rej - 1))",
	},
	{
		bug:  "Stats: a successful put is not counted in Batches",
		file: "ledger.go",
		from: "\t\t\tl.stats.batches.Add(1)\n",
		to:   "\n",
	},
	{
		bug:  "Stats: an event dropped under OverflowDrop is not counted",
		file: "ledger.go",
		from: "\t\tl.stats.dropped.Add(1)\n\t\treturn\n",
		to:   "\t\treturn\n",
	},

	// Sync is the purge, and it keeps a deadline.
	{
		bug:  "Sync returns before the last batch is settled",
		file: "sync.go",
		from: "\ts.await(ctx, d, s.acc.seal())\n\ts.rep.flush() // the end of work",
		to:   "\ts.await(ctx, d, s.acc.seal()-1)\n\ts.rep.flush() // the end of work",
	},
	{
		bug:  "Sync waits four times WithSyncTimeout",
		file: "sync.go",
		from: "d.at, d.cause = d.start.Add(s.syncTimeout),",
		to:   "d.at, d.cause = d.start.Add(4*s.syncTimeout),",
	},
	{
		bug:  "SyncContext: a context's earlier deadline does not win",
		file: "sync.go",
		from: "ok && at.Before(d.at) {",
		to:   "ok && at.After(d.at) {",
	},
	{
		bug:  "an entry above ErrorLevel (DPanic, Panic, Fatal) is not a purge",
		file: "core.go",
		from: "if ent.Level > zapcore.ErrorLevel ||",
		to:   "if ent.Level > zapcore.FatalLevel ||",
	},

	// Sync tells the truth.
	{
		bug:  "Sync reports the same undelivered events again at the next Sync",
		file: "ledger.go",
		from: "\tl.lost = DeliveryError{Group: e.Group, Stream: e.Stream}\n",
		to:   "\n",
	},
	{
		bug:  "a purge takes the record of undelivered events from the next Sync",
		file: "sync.go",
		from: "\tif !take {\n\t\treturn nil\n\t}\n",
		to:   "\n",
	},

	// Close is bounded, refuses writes, may be called twice.
	{
		bug:  "a write after Close is accepted without ErrClosed",
		file: "syncer.go",
		from: "\t\ts.ledger.direct(raw, false)\n\t\treturn 0, ErrClosed\n",
		to:   "\t\ts.ledger.direct(raw, false)\n\t\treturn 0, nil\n",
	},
	{
		bug:  "Close waits for a slow fallback writer ten times WithSyncTimeout past its deadline",
		file: "sync.go",
		from: "limit := d.at.Add(s.reserve(d.at.Sub(d.start)))",
		to:   "limit := d.at.Add(10 * s.syncTimeout)",
	},
	{
		bug:  "a second Close returns before the first is done",
		file: "sync.go",
		from: "\t\tcase <-s.closeDone:\n",
		to:   "\t\tdefault:\n",
	},

	// Each failure is said once per channel, on one line.
	{
		bug:  "the error handler hears of each incident twice",
		file: "ledger.go",
		from: "\te.Group, e.Stream = t.st.group, t.st.name\n\tl.rep.report(k, t.st.path(), e)\n",
		to:   "\te.Group, e.Stream = t.st.group, t.st.name\n\tl.rep.report(k, t.st.path(), e)\n\tl.rep.report(k, t.st.path(), e)\n",
	},
	{
		bug:  "every overflowing event is reported, not the first of an episode",
		file: "ledger.go",
		from: "\tif first {\n",
		to:   "\tif true {\n",
	},
	{
		bug:  "an error text keeps its line breaks",
		file: "redact.go",
		from: "return redact(strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return r == '\\n' || r == '\\r' }), \"; \"))",
		to:   "return redact(msg)",
	},

	// Valid output.
	{
		bug:  "escaping: a backslash is not escaped",
		file: "escape.go",
		from: "case c == '\"' || c == '\\\\':",
		to:   "case c == '\"':",
	},
	{
		bug:  "escaping: a byte of invalid UTF-8 is copied, not replaced with U+FFFD",
		file: "escape.go",
		from: "\t\t\tdst = append(dst, x.invalid...)\n",
		to:   "\t\t\tdst = append(dst, c)\n",
	},
	{
		bug:  "a field named level is not renamed _level: a duplicate layout key",
		file: "encoder.go",
		from: "\t\treturn key == \"level\"\n",
		to:   "\t\treturn false\n",
	},
	{
		bug:  "a panicking MarshalLogObject leaves the object cut short: invalid JSON",
		file: "encoder.go",
		from: "\t\t\te.repair()\n\t\t\terr = panicError(r)\n\t\t}\n\t\te.closeOpenNamespaces()\n\t\te.buf.AppendByte('}')",
		to:   "\t\t\terr = panicError(r)\n\t\t}\n\t\te.closeOpenNamespaces()\n\t\te.buf.AppendByte('}')",
	},

	// At least once, exactly once when the service answers: the claim.
	{
		bug:  "the handover's claim: a put settles a batch the deadline's handover already settled",
		file: "batchlife.go",
		from: "e == eventPutEnded:\n\t\treturn batchHandedOver, actNone, true",
		to:   "e == eventPutEnded:\n\t\treturn batchHandedOver, actSettle, true",
	},
	{
		bug:  "the handover's claim: the handover settles a batch its put is settling",
		file: "batchlife.go",
		from: "return s, actNone, true // settling, or given up on already",
		to:   "return s, actHandOver, true // settling, or given up on already",
	},

	// No credentials in output.
	{
		bug:  "redaction: access key ids are left in error texts",
		file: "redact.go",
		from: "\ts = _keyID.ReplaceAllString(s, _redacted)\n",
		to:   "\ts = _keyID.ReplaceAllString(s, \"$0\")\n",
	},
	{
		bug:  "redaction: an unlabelled 40-character secret key is left in error texts",
		file: "redact.go",
		from: "\t\treturn upper && lower && (digit || sym)\n",
		to:   "\t\treturn upper && lower && (digit || sym) && n < 0\n",
	},
	{
		bug:  "redaction: the SigV4 signature is left in error texts",
		file: "redact.go",
		from: "\ts = _sigv4.ReplaceAllString(s, \"${1}\"+_redacted)\n",
		to:   "\ts = _sigv4.ReplaceAllString(s, \"$0\")\n",
	},

	// Delivery: the service's limits and order.
	{
		// Not batch.fitsLimits' count: the accumulator seals a batch as
		// soon as it holds maxEvents, so that check alone never decides.
		bug:  "batch limits: a batch takes 10,001 events",
		file: "limits.go",
		from: "MaxBatchEvents = 10_000",
		to:   "MaxBatchEvents = 10_001",
	},
	{
		bug:  "batch limits: the 26 bytes of overhead an event are not counted",
		file: "batch.go",
		from: "b.size+ev.size+EventOverhead > b.maxBytes",
		to:   "b.size+ev.size > b.maxBytes",
	},
	{
		bug:  "the 24-hour span: a batch spans up to 48 hours",
		file: "batch.go",
		from: "<= _maxBatchSpan.Milliseconds()",
		to:   "<= 2*_maxBatchSpan.Milliseconds()",
	},
	{
		bug:  "equal timestamps lose their order: the batch's sort is not stable",
		file: "batch.go",
		from: "slices.SortStableFunc(b.slots,",
		to:   "slices.SortFunc(b.slots,",
	},
	{
		bug:  "an event earlier than the batch's last but not its first is not sorted",
		file: "batch.go",
		from: "\t\tif ts < b.maxTS {\n",
		to:   "\t\tif ts < b.minTS {\n",
	},
	{
		bug:  "a bare HTTP 500 fails for good instead of being retried",
		file: "statemachine.go",
		from: "code == http.StatusTooManyRequests, code >= 500:",
		to:   "code == http.StatusTooManyRequests, code > 500:",
	},
	{
		bug:  "a bare HTTP 429 fails for good instead of being retried",
		file: "statemachine.go",
		from: "code == http.StatusTooManyRequests, code >= 500:",
		to:   "code >= 500:",
	},
	{
		bug:  "the service's throttling (400 ThrottlingException) fails for good",
		file: "statemachine.go",
		from: "case \"ThrottlingException\", \"Throttling\",",
		to:   "case \"Throttling\",",
	},
	{
		bug:  "a request refused as too large is not halved",
		file: "dispatcher.go",
		from: "\tif res.state == stateSplit {\n",
		to:   "\tif false && res.state == stateSplit {\n",
	},
	{
		bug:  "the retry backoff is not capped",
		file: "statemachine.go",
		from: "d = min(_backoffBase<<attempt, _backoffCap)",
		to:   "d = _backoffBase << attempt",
	},
	{
		bug:  "an open batch is sent a hundred times sooner than WithFlushInterval",
		file: "accumulator.go",
		from: "d := flushDelay(a.cfg.flushInterval)",
		to:   "d := flushDelay(a.cfg.flushInterval / 100)",
		pkg:  "bench", // TestFleet: the age flush makes one put an instance
	},
	{
		bug:  "routing: the open batches widen past half of WithBufferLimit",
		file: "accumulator.go",
		from: "more = min(more, a.cfg.bufferLimit/2-a.chargedLocked())",
		to:   "more = min(more, a.cfg.bufferLimit-a.chargedLocked())",
	},
	{
		bug:  "routing: a batch opening past half of WithBufferLimit leaves the widened ones open",
		file: "accumulator.go",
		from: "	a.narrowLocked(share)\n",
		to:   "",
	},
	{
		bug:  "routing: an open batch never widens past its share",
		file: "accumulator.go",
		from: "if more <= 0 || !a.mem.charge(more) {",
		to:   "if true || more <= 0 || !a.mem.charge(more) {",
	},

	// An entry larger than one event: split order and chunk boundaries.
	{
		bug:  "split order: a later part's batch is put before the earlier part's is settled",
		file: "dispatcher.go",
		from: "if b.after != 0 && d.pendingLocked(b.after) {",
		to:   "if false && b.after != 0 && d.pendingLocked(b.after) {",
	},
	{
		bug:  "split order: the parts of an entry do not name the batch of the part before",
		file: "syncer.go",
		from: "\t\tif stored != 0 { // a part that overflowed leaves the order to the one before\n\t\t\tseq = stored\n",
		to:   "\t\tif stored != 0 { // a part that overflowed leaves the order to the one before\n\t\t\tseq = 0\n",
	},
	{
		bug:  "chunk boundaries: a chunk is cut inside a multi-byte rune",
		file: "split.go",
		from: "\t_, n := utf8.DecodeRune(p)\n\treturn n, n\n",
		to:   "\t_, n := utf8.DecodeRune(p)\n\treturn n, 1\n",
	},
	{
		bug:  "chunk boundaries: a part outgrows the event limit by its escaping",
		file: "split.go",
		from: "if cost+c > budget {",
		to:   "if cost+c > budget+1024 {",
	},
	{
		bug:  "split parts are numbered from 0",
		file: "split.go",
		from: "strconv.AppendInt(m, int64(k+1), 10)",
		to:   "strconv.AppendInt(m, int64(k), 10)",
	},

	// EMF dimensions and name limits.
	{
		bug:  "EMF dimensions: 31 dimension keys are accepted",
		file: "emf.go",
		from: "if len(dims) > _emfMaxDimensions {",
		to:   "if len(dims) > _emfMaxDimensions+1 {",
	},
	{
		bug:  "EMF dimensions: an entry lacking a dimension still has its metrics extracted",
		file: "emf.go",
		from: "\t\t\textract = false\n",
		to:   "\n",
	},
	{
		bug:  "name limits: a name of 513 characters is accepted",
		file: "names.go",
		from: "n == 0 || n > _maxNameChars {",
		to:   "n == 0 || n > _maxNameChars+1 {",
	},
	{
		bug:  "name limits: a group name may hold any character",
		file: "names.go",
		from: "case what == \"log group\" && !isGroupNameChar(r):",
		to:   "case false && what == \"log group\" && !isGroupNameChar(r):",
	},

	// The spool: settle marks and the checksum.
	{
		bug:  "the spool's settle marks: settled batches are not marked, so they are replayed",
		file: "ledger.go",
		from: "\t\tl.spool.settle(b.seq, l.settled) // before any Sync waiting for b returns\n",
		to:   "\n",
	},
	{
		bug:  "the spool's settle marks: the batch after the mark counts as settled, so it is not replayed",
		file: "segments.go",
		from: "if seq <= s.mark[gen] {",
		to:   "if seq <= s.mark[gen]+1 {",
	},
	{
		bug:  "the spool's CRC: a damaged record is replayed",
		file: "segments.go",
		from: "if !ok || crc32.Checksum(body, _castagnoli) !=",
		to:   "if !ok || false && crc32.Checksum(body, _castagnoli) !=",
	},
	{
		bug:  "the spool's damaged records are not counted in SpoolStats().Skipped",
		file: "replay.go",
		from: "\t\ts.spool.stats.skipped.Add(uint64(lost))\n",
		to:   "\n",
	},

	// cwzaplambda: the panic flush, the margin, SIGTERM and the pacer.
	{
		bug:  "the Lambda panic flush: a panicking handler does not sync",
		file: "cwzaplambda/flusher.go",
		from: "\t\tf.syncNow(ctx) // the process ends right after the panic is reported\n",
		to:   "\n",
	},
	{
		bug:  "the Lambda panic flush: a panicking handler hands its flush to the extension, which never runs",
		file: "cwzaplambda/flusher.go",
		from: "f.hs.end(inv) && !panicking {",
		to:   "f.hs.end(inv) {",
	},
	{
		bug:  "a handler still running at the margin has nothing flushed before its deadline",
		file: "cwzaplambda/flusher.go",
		from: "if !f.await(inv.ended, deadline.Add(-f.o.margin)) {",
		to:   "if !f.await(inv.ended, deadline.Add(f.o.margin)) {",
	},
	{
		bug:  "the SIGTERM flush runs under a context already cancelled: nothing is delivered",
		file: "cwzaplambda/sigterm.go",
		from: "context.WithTimeout(context.Background(), f.o.shutdownTimeout)",
		to:   "context.WithTimeout(f.stop, f.o.shutdownTimeout)",
	},
	{
		bug:  "the pacer never defers",
		file: "cwzaplambda/pacer.go",
		from: "waited < p.deferFor:",
		to:   "waited < p.deferFor && false:",
	},
	{
		bug:  "the pacer defers only 250 ms after a throttled flush",
		file: "cwzaplambda/pacer.go",
		from: "\t\tp.deferFor = p.max\n",
		to:   "\t\tp.deferFor = _minDeferral\n",
	},
	{
		bug:  "the pacer's bound: entries are deferred past WithMaxDeferral",
		file: "cwzaplambda/pacer.go",
		from: "case p.max <= 0 || waited >= p.max && p.tried:",
		to:   "case p.max <= 0:",
	},

	// cwlogstest, which the tests above stand on.
	{
		bug:  "cwlogstest: a second Close shuts the server down again",
		file: "cwlogstest/server.go",
		from: "\tif s.closed {\n\t\ts.mu.Unlock()\n\t\treturn\n\t}\n",
		to:   "\n",
	},
	{
		bug:  "cwlogstest: a Bare fault answers 502 when BareStatus is unset",
		file: "cwlogstest/faults.go",
		from: "\t\t\tstatus = http.StatusInternalServerError\n",
		to:   "\t\t\tstatus = http.StatusBadGateway\n",
	},
}
