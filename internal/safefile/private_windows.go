//go:build windows

package safefile

import (
	"fmt"
	"os"
)

// RestrictUmask does nothing on Windows: files take the access control
// list of their directory (a user's profile is private by default).
func RestrictUmask() {}

// PrivateDir creates dir and its missing parents. On Windows access is
// governed by the directory's access control list, inherited from the
// user's profile; modes do not apply.
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
	return nil
}

// PrivateFile creates the file at path when create is set and it is
// missing, and refuses anything but a regular file. Modes do not apply on
// Windows (see PrivateDir).
func PrivateFile(path string, create bool) error {
	if create {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		f.Close()
	}
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) && !create {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	return nil
}

func chmodPrivate(*os.File) error { return nil }
