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
// it first; the explicit modes below do not depend on it.
func RestrictUmask() { syscall.Umask(0o077) }

// PrivateDir creates dir and its missing parents owner-only (0700), or
// makes an existing dir 0700. A directory that group or others can write
// to is refused with ErrSharedDir and left as it is: another user could
// have put files or links in it before the program did.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data directory %s is not a directory", dir)
	}
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

// PrivateFile makes the file at path owner-only (0600). With create, a
// missing file is created empty and owner-only; without, a missing file is
// no error. A link or anything but a regular file is refused: the program
// never opens its data through a link planted in its place.
func PrivateFile(path string, create bool) error {
	if create {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
		if errors.Is(err, syscall.ELOOP) {
			return fmt.Errorf("%s is a link: %w", path, ErrNotRegular)
		}
		if err != nil {
			return err
		}
		f.Close()
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) && !create {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	if fi.Mode().Perm() != 0o600 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("cannot make %s owner-only: %w", path, err)
		}
	}
	return nil
}

func chmodPrivate(f *os.File) error { return f.Chmod(0o600) }
