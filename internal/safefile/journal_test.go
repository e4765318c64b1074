package safefile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveStaleIsCareful: RemoveStale deletes a temporary output file its
// journal names, but not one whose export is still running, not a link,
// not a file of another name a forged journal entry points to.
func TestRemoveStaleIsCareful(t *testing.T) {
	data, usb := t.TempDir(), t.TempDir()
	entry := func(id, target string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(data, journalPrefix+id), []byte(target), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	file := func(name string) string {
		t.Helper()
		p := filepath.Join(usb, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := file(".bundle-00000000000000aa.tmp")
	entry("00000000000000aa", stale)
	precious := file("notes.txt")
	entry("00000000000000bb", precious)
	target := file("photo.jpg")
	link := filepath.Join(usb, ".bundle-00000000000000cc.tmp")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	entry("00000000000000cc", link)
	entry("00000000000000dd", ".bundle-00000000000000dd.tmp") // not absolute
	// An export in progress in this directory: its entry is held.
	started, release := make(chan string), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- Write(filepath.Join(usb, "live.bundle"), Output{Temp: ".bundle-*.tmp", Journal: data}, func(f *os.File) error {
			started <- f.Name()
			<-release
			_, err := f.Write([]byte("bundle"))
			return err
		})
	}()
	live := <-started
	if n := RemoveStale(data); n != 1 {
		t.Errorf("removed %d files, want 1", n)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("the stale temporary file is still there")
	}
	for _, p := range []string{precious, target, link, live} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
	close(release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(usb, "live.bundle")); err != nil || string(b) != "bundle" {
		t.Fatalf("the export that ran meanwhile: %q %v", b, err)
	}
	if left, _ := filepath.Glob(filepath.Join(data, journalPrefix+"*")); len(left) != 0 {
		t.Errorf("journal entries left: %v", left)
	}
}
