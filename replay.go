package cwzap

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// replay stores again, with their own times, the events that the segments
// an earlier process left in the spool's directory hold and do not mark
// settled, in the order they were written; once they are in this
// process's spool, fsynced, it removes those segments. Events beyond the
// buffer limit wait for a Sync, then follow the overflow policy. Damaged
// records are skipped, counted and reported.
func (s *Syncer) replay(old []string) error {
	if len(old) == 0 {
		return nil
	}
	w := s.spool.w
	set, lost, damaged, err := readSettled(w.fs, w.dir, old)
	if err != nil {
		return err
	}
	if damaged > 0 {
		s.spool.stats.skipped.Add(uint64(lost))
		s.spool.stats.skippedBytes.Add(uint64(damaged))
		s.rep.report(reportSetup, "", fmt.Errorf("cwzap: spool %s: skipped %s in %d damaged bytes (the end of a write cut short by a crash, or a corrupt file); the records around them are replayed", w.dir, plural(lost, "event"), damaged))
	}
	for _, name := range old {
		data, err := w.fs.ReadFile(filepath.Join(w.dir, name))
		if err != nil {
			return fmt.Errorf("cwzap: spool: %w", err)
		}
		r := segmentReader{data: data}
		for {
			body, ok := r.next()
			if !ok {
				break
			}
			if e, ok := parseEvent(body); ok && !set.has(r.gen, e.seq) {
				s.replayEvent(e)
			}
		}
	}
	if s.spool.flush(time.Now().Add(s.syncTimeout), false) {
		w.remove(old)
	}
	return nil
}

// replayEvent stores one spooled event, after a Sync if the buffer is full.
func (s *Syncer) replayEvent(e spooledEvent) {
	s.spool.stats.replayed.Add(1)
	ev := event{ts: e.ts, obj: e.obj, size: e.size, metrics: hasEMFMember(e.obj), route: e.route}
	s.ledger.accepted()
	for try := 0; ; try++ {
		seq, r := s.take(&ev, 0)
		if r == added {
			s.spool.append(seq, &ev)
			return
		}
		if try == 0 {
			s.syncContext(context.Background(), false)
			continue
		}
		s.ledger.overflowed(appendMessage(nil, e.obj), s.overflow == OverflowDrop, r == overflowFirst, s.bufferLimit)
		return
	}
}
