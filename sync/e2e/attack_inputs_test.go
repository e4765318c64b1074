package e2e

// Attacks of issue 11 on the inputs of the real programs: text that is not
// UTF-8. The attacks through the file system are in attack_files_unix_test.go.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// standalone sets up a standalone device in dir (which may exist) and
// returns its passphrase file.
func standalone(t *testing.T, dir string) string {
	t.Helper()
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte(passphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "fieldreg", "init", "--data", dir, "--standalone", "--country", "BIH", "--station", "BIH-TEST-1",
		"--officer", "Officer Testa", "--passphrase-file", pass)
	return pass
}

// TestAttackLatin1Register: a Latin-1 JSON line ("M\xfcller") was saved as
// "M\ufffdller". It is refused with its line number, never echoed, and not
// saved; the good lines are.
func TestAttackLatin1Register(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	pass := standalone(t, dir)
	in := filepath.Join(t.TempDir(), "people.jsonl")
	for _, c := range []struct {
		input, stderr string
		saved         int
	}{
		{`{"family_name":"Fakegood","given_names":"Testee","sex":"X","nationalities":["XXA"],"category":"irregular_crossing"}
{"family_name":"M` + "\xfc" + `llerfake","given_names":"Testee","sex":"X","nationalities":["XXA"],"category":"irregular_crossing"}
`, "line 2: not valid UTF-8", 1},
		// One object spread over lines, after blank ones: the line of the
		// bad byte is named.
		{"\n\n{\n  \"family_name\": \"Fakeobj\",\n  \"given_names\": \"Jos\xe9fake\",\n  \"sex\": \"X\",\n  \"category\": \"irregular_crossing\"\n}\n",
			"line 5: not valid UTF-8", 0},
		// A JSON escape of a lone surrogate decodes to U+FFFD: refused too.
		{`{"family_name":"M\udcfcllerfake","sex":"X","category":"irregular_crossing"}` + "\n", "line 1: family_name: is not valid UTF-8", 0},
	} {
		if err := os.WriteFile(in, []byte(c.input), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := run(t, "fieldreg", "register", "--data", dir, "--passphrase-file", pass, "--json", in)
		if code != 1 || strings.Count(out, "BIH-") != c.saved || !strings.Contains(errs, c.stderr) || strings.Contains(errs, "fake") {
			t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errs)
		}
	}
	if out := must(t, "fieldreg", "status", "--data", dir); !strings.Contains(out, "records   1") {
		t.Fatalf("only the good line is saved:\n%s", out)
	}
}

// TestAttackForgedPayloadNotUTF8: an event signed with a device's own
// (stolen) key whose sealed payload holds Latin-1 bytes was taken, and
// every fold read the name with U+FFFD. The hub now refuses it with the
// reason, and keeps nothing of it.
func TestAttackForgedPayloadNotUTF8(t *testing.T) {
	h := serving(t)
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	e := &registry.Event{Origin: a.pkg.DeviceID, Epoch: 91, Seq: 1, HLC: registry.MakeHLC(time.Now().UnixMilli(), 0),
		Officer: "officer0", Record: "BIH-FAKE-LATIN1", Op: registry.OpRegister}
	rk, _ := seal.KeyFromBytes(a.pkg.RecordsKey)
	// A raw field value goes into the payload byte for byte.
	ch := &registry.Change{Fields: map[string]json.RawMessage{"family_name": json.RawMessage("\"M\xfcllerfake\""),
		"sex": json.RawMessage(`"X"`), "category": json.RawMessage(`"irregular_crossing"`)}}
	if err := e.SealChange(rk, ch); err != nil {
		t.Fatal(err)
	}
	e.Sign(a.signKey())
	status, body := post(t, rawClient(a), h.url()+wire.PathPush, chunk(e))
	if !strings.Contains(body, "not valid UTF-8") || strings.Contains(body, "fake") || strings.Contains(body, `"accepted":1`) {
		t.Fatalf("status %d: %s", status, body)
	}
	h.stop()
	st, err := store.Open(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM events WHERE record = 'BIH-FAKE-LATIN1'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the event was stored (%d, %v)", n, err)
	}
}
