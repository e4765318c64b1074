package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fieldreg/fieldreg/device"
)

// TestPipelinedImport: a bundle applied in many small transactions, each
// prepared while the one before is written, leaves the receiving device
// with exactly the sender's records (the digest also checks every stored
// projection against a fresh fold), and importing it again changes nothing.
func TestPipelinedImport(t *testing.T) {
	h := newHub(t, "BIH")
	a := newDevice(t, h, "tablet-a", "BIH-VK")
	c := newDevice(t, h, "tablet-c", "BIH-IZ")
	usb := t.TempDir()
	a.register(130, "Pipe")
	fa := filepath.Join(usb, "a.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", fa)
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fa)
	fc := filepath.Join(usb, "c.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", c.dir, "--passphrase-file", c.passFile, "--out", fc)
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fc)
	rc := filepath.Join(usb, "c-back.bundle")
	must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-c", "--out", rc)

	importOnce := func() *device.BundleImport {
		t.Helper()
		dv, err := device.Open(c.dir, device.Options{Params: &lowParams, BundleBatch: 16})
		if err != nil {
			t.Fatal(err)
		}
		defer dv.Close()
		o, _ := dv.DefaultOfficer()
		s, err := dv.Unlock(o.ID, []byte(passphrase))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Lock()
		f, err := os.Open(rc)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var calls [][2]int
		res, err := s.ImportBundle(context.Background(), f, func(done, total int) { calls = append(calls, [2]int{done, total}) })
		if err != nil {
			t.Fatal(err)
		}
		// Progress: (0, 0) while checking, then rising to the bundle's events.
		if len(calls) == 0 || calls[0] != [2]int{0, 0} {
			t.Fatalf("progress calls %v", calls)
		}
		if !res.Repeated {
			last := calls[len(calls)-1]
			if last != [2]int{res.Events, res.Events} || len(calls) < 130/16 {
				t.Fatalf("progress ends at %v after %d calls, want %d of %d in batches of 16", last, len(calls), res.Events, res.Events)
			}
			for i := 1; i < len(calls); i++ {
				if calls[i][0] < calls[i-1][0] {
					t.Fatalf("progress went back: %v", calls)
				}
			}
		}
		return res
	}
	if res := importOnce(); res.Received != 130 || res.Refused != 0 || res.Quarantined != 0 {
		t.Fatalf("import: %+v", res)
	}
	dgA, nA, _ := a.state()
	dgC, nC, _ := c.state()
	if nC != 130 || dgC != dgA || nA != 130 {
		t.Fatalf("device c holds %d records (digest %s), device a %d (%s)", nC, dgC, nA, dgA)
	}
	if res := importOnce(); !res.Repeated || res.Received != 0 {
		t.Fatalf("second import: %+v", res)
	}
	if dg, _, _ := c.state(); dg != dgC {
		t.Fatal("a repeated import changed the records")
	}
}
