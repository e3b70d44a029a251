package cwzap

import (
	"bytes"
	"strings"
	"sync"
)

// Helpers for the tests of both packages, cwzap and cwzap_test.

// LockedBuffer is a writer that tests read while a logger or a Syncer
// writes to it.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

type lockedBuffer = LockedBuffer

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines returns what was written, a line each.
func (b *LockedBuffer) Lines() []string {
	s := strings.TrimSuffix(b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// WaitReports waits until the error handler has been given every report
// the Syncer has made so far.
func (s *Syncer) WaitReports() { <-s.rep.idle() }

// WaitSpoolWritten waits until the spool's writer has written every record
// taken so far and done its chores (trimming settled segments).
func (s *Syncer) WaitSpoolWritten() { <-s.spool.idle() }

// OpenRoutes returns how many routes the Syncer has open.
func OpenRoutes(s *Syncer) int {
	s.acc.mu.Lock()
	defer s.acc.mu.Unlock()
	return len(s.acc.routes)
}

// OpenCharge returns the log data the Syncer's open batches are charged
// for, and the most they may take between them: half of WithBufferLimit.
func OpenCharge(s *Syncer) (charged, most int) {
	s.acc.mu.Lock()
	defer s.acc.mu.Unlock()
	return s.acc.chargedLocked(), s.acc.cfg.bufferLimit / 2
}

// Targets returns how many targets the Syncer keeps.
func Targets(s *Syncer) int { return s.targets.len() }
