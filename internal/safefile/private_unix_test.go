//go:build unix

package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestPrivateDir(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	root := t.TempDir()

	// Made new, parents included: 0700.
	nested := filepath.Join(root, "a", "b")
	if err := PrivateDir(nested); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{nested, filepath.Join(root, "a")} {
		if m := perm(t, d); m != 0o700 {
			t.Errorf("%s: %04o", d, m)
		}
	}
	// Made beforehand readable by all: made 0700.
	pre := filepath.Join(root, "pre")
	if err := os.Mkdir(pre, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(pre); err != nil {
		t.Fatal(err)
	}
	if m := perm(t, pre); m != 0o700 {
		t.Errorf("pre-created: %04o", m)
	}
	// Writable by group or others, or sticky like /tmp: refused, untouched.
	for name, m := range map[string]os.FileMode{"group": 0o770, "others": 0o703, "all": 0o777} {
		d := filepath.Join(root, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, m); err != nil {
			t.Fatal(err)
		}
		if err := PrivateDir(d); !errors.Is(err, ErrSharedDir) {
			t.Errorf("%s (%04o): %v, want ErrSharedDir", name, m, err)
		}
		if got := perm(t, d); got != m {
			t.Errorf("%s: mode changed to %04o", name, got)
		}
	}
	sticky := filepath.Join(root, "sticky")
	if err := os.Mkdir(sticky, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o700|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(sticky); !errors.Is(err, ErrSharedDir) {
		t.Errorf("sticky: %v", err)
	}
	// A file where the directory should be.
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(file); err == nil {
		t.Error("a file taken for a directory")
	}
}

func TestPrivateFile(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	if err := PrivateFile(db, true); err != nil {
		t.Fatal(err)
	}
	if m := perm(t, db); m != 0o600 {
		t.Errorf("created %04o", m)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PrivateFile(db, false); err != nil || perm(t, db) != 0o600 {
		t.Errorf("existing 0644 file: %v, %04o", err, perm(t, db))
	}
	if err := PrivateFile(filepath.Join(dir, "absent"), false); err != nil {
		t.Errorf("a missing file without create: %v", err)
	}
	// A link planted in the data file's place is never opened or chmodded.
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, create := range []bool{true, false} {
		if err := PrivateFile(link, create); !errors.Is(err, ErrNotRegular) {
			t.Errorf("link (create %v): %v", create, err)
		}
	}
	if m := perm(t, target); m != 0o644 {
		t.Errorf("the link's target was changed to %04o", m)
	}
	if err := PrivateFile(dir, false); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a directory: %v", err)
	}
}

func perm(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
