package cwzap

import (
	"io"
	"io/fs"
	"os"
)

// The spool's file layer: every file operation of a spool goes through a
// spoolFS, so that the tests can give it disks that fill up, fail or hang
// (spool_faults_test.go). The Syncer's is osFS.

// A spoolFS is what a spool needs of a file system.
type spoolFS interface {
	MkdirAll(dir string, perm fs.FileMode) error
	// Lock takes the directory's lock file at path without waiting; the
	// lock holds until the returned file is closed or the process ends.
	Lock(dir, path string) (lockFile, error)
	// Create creates a new file for appending; it fails if one exists.
	Create(name string) (spoolFile, error)
	Remove(name string) error
	Stat(name string) (fs.FileInfo, error)
	ReadDir(dir string) ([]fs.DirEntry, error)
	ReadFile(name string) ([]byte, error)
	// SyncDir fsyncs a directory, so that the names in it outlive a power
	// loss.
	SyncDir(dir string) error
}

// A spoolFile is an open segment.
type spoolFile interface {
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

// A lockFile holds a spool directory's lock until it is closed.
type lockFile = io.Closer

// osFS is the operating system's file system.
type osFS struct{}

func (osFS) MkdirAll(dir string, perm fs.FileMode) error {
	outside("spool file I/O")
	return os.MkdirAll(dir, perm)
}

func (osFS) Lock(dir, path string) (lockFile, error) {
	outside("spool file I/O")
	return lockDir(dir, path)
}

func (osFS) Create(name string) (spoolFile, error) {
	outside("spool file I/O")
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Remove(name string) error {
	outside("spool file I/O")
	return os.Remove(name)
}

func (osFS) Stat(name string) (fs.FileInfo, error) {
	outside("spool file I/O")
	return os.Stat(name)
}

func (osFS) ReadDir(dir string) ([]fs.DirEntry, error) {
	outside("spool file I/O")
	return os.ReadDir(dir)
}

func (osFS) ReadFile(name string) ([]byte, error) {
	outside("spool file I/O")
	return os.ReadFile(name)
}

func (osFS) SyncDir(dir string) error {
	outside("spool file I/O")
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// osFile is an *os.File whose calls are checked as I/O.
type osFile struct{ f *os.File }

func (f osFile) Write(p []byte) (int, error) {
	outside("spool file I/O")
	return f.f.Write(p)
}

func (f osFile) Sync() error {
	outside("spool file I/O")
	return f.f.Sync()
}

func (f osFile) Close() error { return f.f.Close() }
