package e2e

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestElsewhereWaitsOffline: the question "registered elsewhere?" put while
// the hub is out of reach is kept on the device, asked at the next sync, and
// its answer is then stored on the record (read back without the network).
func TestElsewhereWaitsOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	f := newFederation(t)
	refA := f.devA.registerOne("a", fakeA)
	if code, out := f.devA.sync(""); code != 0 {
		t.Fatalf("sync A: %d %s", code, out)
	}
	f.a.push()

	refV := f.devB.registerOne("variant", fakeVariant)
	refO := f.devB.registerOne("other", fakeOther)
	offline := closedAddr(t)

	// Never asked: --stored says so.
	if code, _, errs := run(t, "fieldreg", "elsewhere", "--data", f.devB.dir, "--passphrase-file", f.devB.passFile, "--stored", refV); code != 1 || !strings.Contains(errs, "never asked") {
		t.Fatalf("stored before asking: exit %d %s", code, errs)
	}
	for _, ref := range []string{refV, refO} {
		code, _, errs := run(t, "fieldreg", "elsewhere", "--data", f.devB.dir, "--passphrase-file", f.devB.passFile, "--hub", offline, ref)
		if code != 1 || !strings.Contains(errs, "asked at the next sync") {
			t.Fatalf("offline question: exit %d %s", code, errs)
		}
		if strings.Contains(errs, "Fakehasan") || strings.Contains(errs, "Nobodyelse") {
			t.Fatalf("personal data in an error: %s", errs)
		}
	}
	code, out, _ := run(t, "fieldreg", "elsewhere", "--data", f.devB.dir, "--passphrase-file", f.devB.passFile, "--stored", refV)
	if code != 1 || !strings.Contains(out, "waiting") || !strings.Contains(out, "not reachable") {
		t.Fatalf("stored while waiting: exit %d %s", code, out)
	}
	// A failed sync leaves the questions waiting.
	if code, out := f.devB.sync(offline); code == 0 {
		t.Fatalf("sync to a closed port succeeded: %s", out)
	}
	// The next sync that reaches the hub asks both.
	code, out = f.devB.sync("")
	if code != 0 || !strings.Contains(out, "2 waiting question(s) answered, 0 not yet") {
		t.Fatalf("sync B: %d %s", code, out)
	}
	code, out, _ = run(t, "fieldreg", "elsewhere", "--data", f.devB.dir, "--passphrase-file", f.devB.passFile, "--stored", refV)
	if code != 0 || !strings.Contains(out, "HIT") || !strings.Contains(out, "BIH "+refA) || !strings.Contains(out, "answered") {
		t.Fatalf("stored answer for the variant: exit %d %s", code, out)
	}
	if out := must(t, "fieldreg", "elsewhere", "--data", f.devB.dir, "--passphrase-file", f.devB.passFile, "--stored", refO); !strings.Contains(out, "no hit") {
		t.Fatalf("stored answer for the other person: %s", out)
	}
	// Answered questions are not asked again at the following sync.
	if code, out := f.devB.sync(""); code != 0 || strings.Contains(out, "waiting question") {
		t.Fatalf("second sync asked again: %d %s", code, out)
	}
	// The answer is sealed on the device: no reference of the hit in the clear.
	for _, m := range []string{refA, "BIH-IZACIC"} {
		if hits := filesHolding(t, f.devB.dir, m); len(hits) > 0 {
			t.Errorf("device B's data directory holds the answer in the clear: %v", hits)
		}
	}
	// Each answered question is in the audit log.
	if out := must(t, "fieldreg", "audit", "verify", "--data", f.devB.dir, "--passphrase-file", f.devB.passFile); !strings.Contains(out, "audit log intact") {
		t.Fatalf("audit: %s", out)
	}
}

// closedAddr is an https address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "https://" + addr
}

// filesHolding lists the files under dir that hold s (any ASCII case).
func filesHolding(t *testing.T, dir, s string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(s))) {
			out = append(out, filepath.Base(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestElsewhereLimited: a device may ask only so many questions; beyond the
// hub's limit it is told so in plain words, the question waits for a later
// sync, and the hub keeps answering others.
func TestElsewhereLimited(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	f := newFederation(t)
	refs := []string{f.devB.registerOne("one", fakeVariant), f.devB.registerOne("two", fakeOther)}
	refs = append(refs, f.devB.registerOne("three", strings.Replace(fakeOther, "Example Sample", "Example Third", 1)))
	addr := f.b.addr
	f.b.stop()
	f.b.start(addr, "--question-burst", "2", "--questions-per-hour", "1")
	for _, ref := range refs[:2] {
		f.devB.elsewhere(ref)
	}
	code, _, errs := run(t, "fieldreg", "elsewhere", "--data", f.devB.dir, "--passphrase-file", f.devB.passFile, refs[2])
	if code != 1 || !strings.Contains(errs, "too many questions") || !strings.Contains(errs, "asked at the next sync") {
		t.Fatalf("third question: exit %d %s", code, errs)
	}
	if !strings.Contains(f.b.logs.String(), "elsewhere limited") {
		t.Errorf("the hub did not log the limit:\n%s", f.b.logs)
	}
	// Another device of the same hub has its own allowance.
	other := newDevice(t, f.b, "tablet-b2", "SRB-SID")
	if out := other.elsewhere(other.registerOne("mine", fakeOther)); !strings.Contains(out, "no hit") {
		t.Fatalf("another device: %s", out)
	}
	if code, _, _ := run(t, "reghub", "serve", "--data", f.b.dir, "--passphrase-file", f.b.passFile, "--question-burst", "-1"); code != 2 {
		t.Errorf("a negative limit: exit %d, want 2", code)
	}
}
