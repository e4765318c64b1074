// Package safefile reads and writes the files an operator names, and keeps
// a data directory private.
//
// Inputs are read with a named limit enforced while reading, so a wrong
// file (a disk image, /dev/zero) is refused after limit+1 bytes instead of
// filling memory. Outputs are written to a new owner-only temporary file in
// the same directory, synced, and renamed into place: never written through
// a symbolic link, never over an existing file unless the caller forces it,
// and never left half-written. A data directory is made owner-only, and one
// that other users can write to is refused.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrTooLarge is returned when an input exceeds its limit.
var ErrTooLarge = errors.New("larger than allowed")

// ErrExists is returned when an output path already exists (a file, a
// link or anything else) and the caller did not force replacing it.
var ErrExists = errors.New("already exists")

// ReadFile reads the file name, refusing it once more than limit bytes have
// been read. what names the input in errors ("the enrolment file"); it
// must not be personal data.
func ReadFile(name, what string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", what, err)
	}
	defer f.Close()
	return ReadAll(f, what, limit)
}

// ReadAll reads r to its end, refusing it once more than limit bytes have
// been read: at most limit+1 bytes are ever read or held. The error wraps
// ErrTooLarge and names what and the limit.
func ReadAll(r io.Reader, what string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(Limit(r, what, limit))
	if err != nil {
		clear(b)
		if errors.Is(err, ErrTooLarge) {
			return nil, err
		}
		return nil, fmt.Errorf("cannot read %s: %w", what, err)
	}
	return b, nil
}

// Limit returns a reader of r that fails with an error wrapping
// ErrTooLarge, naming what and the limit, as soon as r holds more than
// limit bytes, for inputs read as a stream.
func Limit(r io.Reader, what string, limit int64) io.Reader {
	return &limited{r: io.LimitReader(r, limit+1), what: what, limit: limit}
}

type limited struct {
	r     io.Reader
	what  string
	limit int64
	n     int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n > l.limit {
		return 0, l.tooLarge()
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.limit {
		// The byte past the limit is never handed on.
		return n - int(l.n-l.limit), l.tooLarge()
	}
	return n, err
}

func (l *limited) tooLarge() error {
	return fmt.Errorf("%s is %w (at most %s): is it the right file?", l.what, ErrTooLarge, Size(l.limit))
}

// Size writes a byte count the way limits are spoken of (64 KiB, 1 GiB).
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Output says how Write treats the path it writes.
type Output struct {
	// Force replaces an existing file. The file is replaced by a new one
	// (a link is replaced, never written through; the old file's mode is
	// not kept).
	Force bool
	// Temp is the os.CreateTemp pattern of the temporary file in the
	// target's directory; ".fieldreg-*.tmp" when empty.
	Temp string
	// Journal, if not "", is the writer's data directory: the temporary
	// file's path is noted there while the output is written, so that
	// RemoveStale at the next start deletes the file a killed process
	// left behind (the output's directory is not known then).
	Journal string
}

// Write creates path with mode 0600 from what fn writes to it. fn writes a
// temporary file in the same directory, which is synced and then put in
// place (place), so path holds either the whole output or what it held
// before. Without o.Force an existing path is refused with ErrExists,
// before fn is called and again as the file is put in place. If fn fails,
// its error is returned and nothing is left behind.
func Write(path string, o Output, fn func(*os.File) error) error {
	if err := Absent(path, o.Force); err != nil {
		return err
	}
	if o.Temp == "" {
		o.Temp = ".fieldreg-*.tmp"
	}
	var tmp *os.File
	var err error
	if o.Journal != "" {
		var done func()
		tmp, done, err = createJournalled(filepath.Dir(path), o.Temp, o.Journal)
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		defer done()
	} else {
		tmp, err = os.CreateTemp(filepath.Dir(path), o.Temp)
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		defer os.Remove(tmp.Name())
	}
	// CreateTemp makes the file 0600 under any umask; say it anyway, since
	// it is the promise.
	if err := chmodPrivate(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := place(tmp.Name(), path, o.Force); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// place moves the written temporary file to path. Without force a hard
// link makes it appear only if nothing is there, in one step; where links
// are not supported (FAT on a USB stick) path is checked, then renamed to.
func place(tmp, path string, force bool) error {
	if !force {
		err := os.Link(tmp, path)
		switch {
		case err == nil:
			return nil // the temporary name is removed by the caller
		case errors.Is(err, os.ErrExist):
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
		if err := Absent(path, false); err != nil { // made while the file was written
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, o Output, b []byte) error {
	return Write(path, o, func(f *os.File) error {
		if _, err := f.Write(b); err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		return nil
	})
}

// ErrSharedDir refuses a data directory that other users can write to.
var ErrSharedDir = errors.New("the data directory can be written by other users, so it is not used")

// ErrNotRegular refuses a data file that is a link, a directory or a device.
var ErrNotRegular = errors.New("not a regular file (a link or a device in the data directory is never opened)")

// PrivateDir creates dir and its missing parents owner-only (0700), or
// makes an existing dir 0700. A directory that group or others can write
// to is refused with ErrSharedDir and left as it is: another user could
// have put files or links in it before the program came. (On Windows the
// directory's access control list applies instead; it is only created.)
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
	return ownerOnlyDir(dir, fi)
}

// PrivateFile makes the file at path owner-only (0600). With create, a
// missing file is created empty and owner-only; without, a missing file is
// no error. A link or anything but a regular file is refused with
// ErrNotRegular: data is never opened through a link planted in its place.
func PrivateFile(path string, create bool) error {
	if create {
		if err := createPrivate(path); err != nil {
			return err
		}
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
	return ownerOnlyFile(path, fi)
}

// Absent returns an error wrapping ErrExists if path exists (as anything,
// a dangling link included), unless force. Commands call it before work
// that an output refused afterwards would waste (issuing, unlocking).
func Absent(path string, force bool) error {
	if _, err := os.Lstat(path); err == nil && !force {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	return nil
}
