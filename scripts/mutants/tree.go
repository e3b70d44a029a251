package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// copyTree copies files (paths relative to src) from src to dst, keeping
// their modes. A listed file that is gone from src (deleted, not yet
// committed) is left out.
func copyTree(src, dst string, files []string) error {
	for _, name := range files {
		from := filepath.Join(src, name)
		info, err := os.Lstat(from)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		to := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if info.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(from)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, to); err != nil {
				return err
			}
			continue
		}
		if !info.Mode().IsRegular() {
			continue
		}
		if err := copyFile(from, to, info.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string, perm os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// A tree is the copy of the repository the bugs are planted in.
type tree struct {
	dir string
}

// check reports an error unless m's original text is in its file exactly
// once: a mutant whose text is missing or ambiguous is stale.
func (t tree) check(m mutant) error {
	_, err := t.read(m)
	return err
}

func (t tree) read(m mutant) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(t.dir, m.file))
	if err != nil {
		return nil, fmt.Errorf("stale: %w", err)
	}
	switch n := bytes.Count(data, []byte(m.from)); n {
	case 1:
		return data, nil
	case 0:
		return nil, fmt.Errorf("stale: %s no longer holds %q", m.file, m.from)
	default:
		return nil, fmt.Errorf("stale: %s holds %q %d times, want once", m.file, m.from, n)
	}
}

// plant writes m's bug into its file and returns a function that takes
// it out again.
func (t tree) plant(m mutant) (undo func() error, err error) {
	data, err := t.read(m)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(t.dir, m.file)
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	mutated := bytes.Replace(data, []byte(m.from), []byte(m.to), 1)
	if err := os.WriteFile(path, mutated, info.Mode().Perm()); err != nil {
		return nil, err
	}
	return func() error { return os.WriteFile(path, data, info.Mode().Perm()) }, nil
}
