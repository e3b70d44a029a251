package cwzap

import (
	"io/fs"
	"sync"
	"syscall"
)

// A FaultFS is the operating system's file system with the faults a test
// turns on, at any time: a disk that fills up, writes that fail, writes
// that hang. The tests of both packages give it to a Syncer with
// WithSpoolFS.
type FaultFS struct {
	osFS

	mu   sync.Mutex
	room int64         // bytes the disk still takes; negative: no limit
	fail error         // every write fails with it; nil: none
	hang chan struct{} // writes wait until it is closed; nil: none
}

// NewFaultFS returns a FaultFS without faults.
func NewFaultFS() *FaultFS { return &FaultFS{room: -1} }

// Fill makes the disk full once it has taken n more bytes: a write past
// that is cut short and fails with ENOSPC, as write(2) does.
func (f *FaultFS) Fill(n int64) {
	f.mu.Lock()
	f.room = n
	f.mu.Unlock()
}

// Fail makes every write fail with err (syscall.EIO, say); nil mends the
// disk, and lifts Fill.
func (f *FaultFS) Fail(err error) {
	f.mu.Lock()
	f.fail = err
	if err == nil {
		f.room = -1
	}
	f.mu.Unlock()
}

// Hang makes writes wait until the returned function is called.
func (f *FaultFS) Hang() (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.hang = ch
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		f.hang = nil
		f.mu.Unlock()
		close(ch)
	}
}

func (f *FaultFS) Create(name string) (spoolFile, error) {
	file, err := f.osFS.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{spoolFile: file, fs: f}, nil
}

// faultFile is a file of a FaultFS.
type faultFile struct {
	spoolFile
	fs *FaultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	hang, fail, room := f.fs.hang, f.fs.fail, f.fs.room
	f.fs.mu.Unlock()
	if hang != nil {
		<-hang
	}
	if fail != nil {
		return 0, &fs.PathError{Op: "write", Path: "segment", Err: fail}
	}
	if room >= 0 && int64(len(p)) > room {
		n, _ := f.spoolFile.Write(p[:room])
		f.fs.mu.Lock()
		f.fs.room = 0
		f.fs.mu.Unlock()
		return n, &fs.PathError{Op: "write", Path: "segment", Err: syscall.ENOSPC}
	}
	n, err := f.spoolFile.Write(p)
	if room >= 0 {
		f.fs.mu.Lock()
		f.fs.room = max(f.fs.room-int64(n), 0)
		f.fs.mu.Unlock()
	}
	return n, err
}

func (f *faultFile) Sync() error {
	f.fs.mu.Lock()
	fail := f.fs.fail
	f.fs.mu.Unlock()
	if fail != nil {
		return &fs.PathError{Op: "fsync", Path: "segment", Err: fail}
	}
	return f.spoolFile.Sync()
}

// WithSpoolFS makes a Syncer's spool use fsys for its files.
func WithSpoolFS(fsys *FaultFS) SyncerOption {
	return syncerOption(func(o *syncerOptions) { o.spool.fs = fsys })
}
