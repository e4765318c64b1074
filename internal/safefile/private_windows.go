//go:build windows

package safefile

import "os"

// On Windows access is governed by access control lists, which a data
// directory inherits from the user's profile (private by default); file
// modes do not apply, so these only create files.

// RestrictUmask does nothing on Windows.
func RestrictUmask() {}

func ownerOnlyDir(string, os.FileInfo) error { return nil }

func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func ownerOnlyFile(string, os.FileInfo) error { return nil }

func chmodPrivate(*os.File) error { return nil }
