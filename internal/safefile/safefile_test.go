package safefile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAllLimit(t *testing.T) {
	for _, c := range []struct {
		n       int
		tooMany bool
	}{{0, false}, {9, false}, {10, false}, {11, true}, {1 << 20, true}} {
		b, err := ReadAll(bytes.NewReader(make([]byte, c.n)), "the test file", 10)
		switch {
		case c.tooMany && !errors.Is(err, ErrTooLarge):
			t.Errorf("%d bytes: err %v, want ErrTooLarge", c.n, err)
		case c.tooMany && !strings.Contains(err.Error(), "the test file is larger than allowed (at most 10 bytes)"):
			t.Errorf("%d bytes: message %q", c.n, err)
		case !c.tooMany && (err != nil || len(b) != c.n):
			t.Errorf("%d bytes: got %d, %v", c.n, len(b), err)
		}
	}
	// A reader that never ends is refused after limit+1 bytes.
	var endless countingZero
	if _, err := ReadAll(&endless, "the endless file", 1<<10); !errors.Is(err, ErrTooLarge) || endless.n > 1<<10+1 {
		t.Fatalf("endless input: %v after %d bytes", err, endless.n)
	}
	// Read errors are reported as such, not as a size.
	if _, err := ReadAll(iotest.ErrReader(io.ErrClosedPipe), "the test file", 10); errors.Is(err, ErrTooLarge) || !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("read error: %v", err)
	}
}

// countingZero is /dev/zero that counts what was read from it.
type countingZero struct{ n int }

func (z *countingZero) Read(p []byte) (int, error) {
	clear(p)
	z.n += len(p)
	return len(p), nil
}

func TestLimitStream(t *testing.T) {
	r := Limit(bytes.NewReader(make([]byte, 100)), "the stream", 64)
	got, err := io.ReadAll(iotest.OneByteReader(r))
	if !errors.Is(err, ErrTooLarge) || len(got) != 64 {
		t.Fatalf("got %d bytes, %v; want 64 and ErrTooLarge", len(got), err)
	}
	// Reading again after the refusal keeps refusing.
	if n, err := r.Read(make([]byte, 8)); n != 0 || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("after the limit: %d, %v", n, err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{10: "10 bytes", 4 << 10: "4 KiB", 64 << 20: "64 MiB", 1 << 30: "1 GiB", 1500: "1500 bytes"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{target, link, dangling} {
		if err := WriteBytes(p, Output{}, []byte("new")); !errors.Is(err, ErrExists) {
			t.Errorf("%s: %v, want ErrExists", filepath.Base(p), err)
		}
		if err := Absent(p, false); !errors.Is(err, ErrExists) {
			t.Errorf("Absent(%s): %v", filepath.Base(p), err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); err == nil {
		t.Fatal("a dangling link was followed")
	}
	// New file: 0600.
	fresh := filepath.Join(dir, "fresh")
	if err := WriteBytes(fresh, Output{}, []byte("new")); err != nil {
		t.Fatal(err)
	}
	checkFile(t, fresh, "new")
	// Force replaces the link, not its target, and the file with a new one.
	for _, p := range []string{link, target} {
		if err := WriteBytes(p, Output{Force: true}, []byte("forced")); err != nil {
			t.Fatal(err)
		}
		checkFile(t, p, "forced")
	}
	if err := WriteBytes(dangling, Output{Force: true}, []byte("forced")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); err == nil {
		t.Fatal("--force wrote through a dangling link")
	}
	// A failing writer leaves nothing behind, and its error is returned.
	boom := errors.New("boom")
	if err := Write(filepath.Join(dir, "failed"), Output{}, func(*os.File) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	// A file made while the writer ran is not replaced.
	late := filepath.Join(dir, "late")
	err := Write(late, Output{}, func(f *os.File) error {
		_, err := f.WriteString("mine")
		_ = os.WriteFile(late, []byte("theirs"), 0o600)
		return err
	})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("a file made during the write: %v", err)
	}
	if b, _ := os.ReadFile(late); string(b) != "theirs" {
		t.Fatal("the other file was replaced")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
}

func checkFile(t *testing.T, path, content string) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Errorf("%s: mode %v, want a regular file -rw-------", filepath.Base(path), fi.Mode())
	}
	if b, _ := os.ReadFile(path); string(b) != content {
		t.Errorf("%s holds %q, want %q", filepath.Base(path), b, content)
	}
}
