//go:build unix

package safefile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// RestrictUmask makes every file the process creates from now on
// owner-only (umask 077), whatever umask it was started with: files made
// by libraries (SQLite's journals, caches) follow it too. The mains call
// it first; PrivateDir, PrivateFile and Write do not depend on it.
func RestrictUmask() { syscall.Umask(0o077) }

// ownerOnlyDir refuses a directory group or others can write to (or a
// sticky one, like /tmp), and makes any other 0700.
func ownerOnlyDir(dir string, fi os.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o022 != 0 || fi.Mode()&os.ModeSticky != 0 {
		return fmt.Errorf("%w: %s (mode %04o); if it is yours alone, run 'chmod 700 %s', or choose a new directory (it is created owner-only)",
			ErrSharedDir, dir, perm, dir)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("cannot make the data directory %s owner-only: %w", dir, err)
		}
	}
	return nil
}

// createPrivate creates path 0600 if it is missing, never through a link.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if errors.Is(err, syscall.ELOOP) {
		return fmt.Errorf("%s is a link: %w", path, ErrNotRegular)
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// ownerOnlyFile makes the regular file at path 0600.
func ownerOnlyFile(path string, fi os.FileInfo) error {
	if fi.Mode().Perm() != 0o600 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("cannot make %s owner-only: %w", path, err)
		}
	}
	return nil
}

func chmodPrivate(f *os.File) error { return f.Chmod(0o600) }
