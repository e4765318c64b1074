package e2e

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestAttackKilledExportLeavesTemp: `fieldreg bundle export` killed with
// SIGKILL while it writes leaves its temporary file on the stick; the next
// start of fieldreg (any command that opens the device) deletes it, and
// nothing else on the stick: not a file that only looks like ours.
func TestAttackKilledExportLeavesTemp(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	h := newHub(t, "BIH")
	d := newDevice(t, h, "tablet-k", "BIH-KILL")
	d.register(1500, "K")
	usb := t.TempDir()
	decoy := filepath.Join(usb, ".bundle-0123456789abcdef.tmp") // not this device's: never deleted
	if err := os.WriteFile(decoy, []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	var left string
	for try := 0; try < 30 && left == ""; try++ {
		out := filepath.Join(usb, "k.bundle")
		os.Remove(out)
		cmd := proc.Command("fieldreg", "bundle", "export", "--data", d.dir, "--passphrase-file", d.passFile, "--out", out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
	poll:
		for {
			select {
			case <-done:
				break poll // finished before it could be killed: try again
			default:
			}
			tmps, _ := filepath.Glob(filepath.Join(usb, ".bundle-*.tmp"))
			for _, p := range tmps {
				if fi, err := os.Stat(p); p != decoy && err == nil && fi.Size() > 0 {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					<-done
					left = p
					break poll
				}
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	if left == "" {
		t.Skip("the export always finished before it could be killed")
	}
	if _, err := os.Stat(left); err != nil {
		t.Fatalf("killed export left no temporary file: %v", err)
	}
	journal, _ := filepath.Glob(filepath.Join(d.dir, ".fieldreg-writing-*"))
	if len(journal) != 1 {
		t.Fatalf("journal entries: %v", journal)
	}
	must(t, "fieldreg", "status", "--data", d.dir)
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("the stale temporary file is still there after the next start: %v", err)
	}
	if j, _ := filepath.Glob(filepath.Join(d.dir, ".fieldreg-writing-*")); len(j) != 0 {
		t.Fatalf("journal entries left: %v", j)
	}
	if b, err := os.ReadFile(decoy); err != nil || string(b) != "someone else's" {
		t.Fatalf("a file that only looks like a temporary bundle was touched: %v", err)
	}
	// The export runs again and is whole.
	if code, out := d.fieldreg("bundle", "export", "--out", filepath.Join(usb, "k2.bundle")); code != 0 {
		t.Fatalf("export after the crash: %s", out)
	}
}
