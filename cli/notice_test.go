package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The notice of one registration names its ID, date and station; --png
// renders at the --dpi asked; the flags may follow the ID, as the contract
// writes them.
func TestNoticeForRegistration(t *testing.T) {
	dir := t.TempDir()
	path := func(n string) string { return filepath.Join(dir, n) }
	pass := path("pass.txt")
	os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600)
	os.WriteFile(path("person.json"), []byte(`{"family_name":"Testperson","given_names":"Fake","sex":"M","birth_date":"1990","category":"irregular_crossing"}`), 0o600)
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	if code, _, stderr := run(t, t0, "", "init", "--data", path("d"), "--standalone", "--country", "BIH", "--station", "BIH-TEST-1",
		"--officer", "Officer Testa", "--passphrase-file", pass); code != 0 {
		t.Fatalf("init: %s", stderr)
	}
	code, stdout, stderr := run(t, t0, "", "register", "--data", path("d"), "--passphrase-file", pass, "--json", path("person.json"))
	if code != 0 {
		t.Fatalf("register: %s", stderr)
	}
	id := strings.TrimSpace(stdout)
	code, stdout, stderr = run(t, t0, "", "notice", "--lang", "ara", "--data", path("d"), "--passphrase-file", pass, id, "--text", "--png", path("n.png"), "--dpi", "200")
	if code != 0 {
		t.Fatalf("notice: %d %s", code, stderr)
	}
	for _, want := range []string{id, "2026-12-03", "BIH-TEST-1", "رقم التسجيل"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the notice does not say %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, "Testperson") {
		t.Error("the notice command printed the person's name")
	}
	b, err := os.ReadFile(path("n.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != 1654 { // 210 mm at 200 dpi
		t.Errorf("PNG %d pixels wide, want 1654 (A4 at 200 dpi)", w)
	}
	if fi, err := os.Stat(path("n.png")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("PNG mode %v %v, want 0600", fi.Mode(), err)
	}
	// Two IDs, or none of --text/--png/--pdf: usage.
	if code, _, _ := run(t, t0, "", "notice", "--lang", "ara", "--data", path("d"), "--passphrase-file", pass, id, id, "--text"); code != 2 {
		t.Errorf("two IDs: exit %d", code)
	}
}
