package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
)

// run calls Run as the binary would, with cheap Argon2id and a fixed
// clock, and returns the exit status and outputs.
func run(t *testing.T, now time.Time, stdin string, args ...string) (int, string, string) {
	t.Helper()
	p := vault.LowParams
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Opts: device.Options{Params: &p, Now: func() time.Time { return now }}}
	code := Run(env, args)
	return code, out.String(), errb.String()
}

// verdict parses the JSON printed by verify.
func verdict(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("verify printed no JSON: %v", err)
	}
	return m
}

func TestReceiptTrustVerify(t *testing.T) {
	dir := t.TempDir()
	path := func(n string) string { return filepath.Join(dir, n) }
	pass := path("pass.txt")
	os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600)
	os.WriteFile(path("person.json"), []byte(`{"family_name":"Testperson","given_names":"Alpha","sex":"F","birth_date":"1990-03-04",`+
		`"nationalities":["SYR"],"category":"international_protection","vulnerabilities":["pregnancy"]}`), 0o600)
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

	for _, dev := range []struct{ data, country string }{{"a", "BIH"}, {"b", "SRB"}} {
		if code, _, stderr := run(t, t0, "", "init", "--data", path(dev.data), "--standalone", "--country", dev.country, "--station", dev.country+"-TEST-1",
			"--officer", "Officer Testa", "--passphrase-file", pass, "--recovery-key-out", path(dev.data+"-recovery.txt")); code != 0 {
			t.Fatalf("init %s: %d %s", dev.data, code, stderr)
		}
	}
	code, stdout, stderr := run(t, t0, "", "register", "--data", path("a"), "--passphrase-file", pass, "--json", path("person.json"))
	if code != 0 {
		t.Fatalf("register: %d %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)

	// Issue: PNG and PDF, text on request.
	code, stdout, stderr = run(t, t0, "", "receipt", "--data", path("a"), "--passphrase-file", pass, "--png", path("r.png"), "--pdf", path("r.pdf"), "--print-text", id)
	if code != 0 {
		t.Fatalf("receipt: %d %s", code, stderr)
	}
	text := strings.TrimSpace(stdout)
	if !strings.HasPrefix(text, "FR1:") || strings.Contains(stderr, "Testperson") || strings.Contains(stderr, "TESTPERSON") {
		t.Errorf("receipt output: %q / %q", text, stderr)
	}
	if pdf, err := os.ReadFile(path("r.pdf")); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("no PDF: %v", err)
	}
	if fi, err := os.Stat(path("r.png")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("PNG file: %v %v", fi, err)
	}

	// Trust export needs no passphrase.
	if code, _, stderr := run(t, t0, "", "trust", "export", "--data", path("a"), "--out", path("a-trust.json")); code != 0 {
		t.Fatalf("trust export: %d %s", code, stderr)
	}

	// Verify from text, from the PNG, and from stdin, with the trust file;
	// and with the device's own trust (no passphrase).
	later := t0.Add(24 * time.Hour)
	for _, args := range [][]string{
		{"verify", "--trust", path("a-trust.json"), "--text", text},
		{"verify", "--trust", path("a-trust.json"), path("r.png")},
		{"verify", "--trust", path("a-trust.json"), "--text", "-"},
		{"verify", "--data", path("a"), "--text", text},
	} {
		code, stdout, stderr := run(t, later, text+"\r\n", args...)
		if code != 0 {
			t.Fatalf("%v: %d %s %s", args[1:3], code, stdout, stderr)
		}
		m := verdict(t, stdout)
		if m["valid"] != true || m["registration_id"] != id || m["issuer_country"] != "BIH" || m["station"] != "BIH-TEST-1" ||
			m["issued_at"] != "2026-11-20T09:00:00Z" || m["name"] != "TESTPERSON, ALPHA" || m["birth"] != "1990" {
			t.Errorf("%v: verdict %v", args[1:3], m)
		}
		if strings.Contains(stdout, "SYR") || strings.Contains(stdout, "pregnan") || strings.Contains(stdout, "international") {
			t.Errorf("verdict shows sensitive data: %s", stdout)
		}
	}

	// Not valid: exit 1 with the reason. Device b does not know BIH yet.
	for _, c := range []struct {
		args   []string
		reason string
	}{
		{[]string{"verify", "--data", path("b"), "--text", text}, "unknown_issuer"},
		{[]string{"verify", "--trust", path("a-trust.json"), "--text", text[:len(text)-3]}, "altered"},
		{[]string{"verify", "--trust", path("a-trust.json"), "--text", "hello"}, "not_a_receipt"},
	} {
		code, stdout, _ := run(t, later, "", c.args...)
		if m := verdict(t, stdout); code != 1 || m["valid"] != false || m["reason"] != c.reason {
			t.Errorf("%v: %d %v", c.args[1:3], code, m)
		}
	}
	// Expired.
	if code, stdout, _ := run(t, t0.AddDate(2, 0, 0), "", "verify", "--trust", path("a-trust.json"), "--text", text); code != 1 || verdict(t, stdout)["reason"] != "expired" {
		t.Errorf("expired: %d %s", code, stdout)
	}

	// Usage errors and unreadable input: exit 2.
	os.WriteFile(path("not-image.png"), []byte("nope"), 0o600)
	os.WriteFile(path("bad-trust.json"), []byte(`{"format":"x"}`), 0o600)
	for _, args := range [][]string{
		{"verify", "--trust", path("a-trust.json")},
		{"verify", "--trust", path("a-trust.json"), "--text", text, path("r.png")},
		{"verify", "--trust", path("a-trust.json"), path("not-image.png")},
		{"verify", "--trust", path("a-trust.json"), path("missing.png")},
		{"verify", "--trust", path("bad-trust.json"), "--text", text},
		{"verify", "--data", path("nowhere"), "--text", text},
		{"receipt", "--data", path("a"), "--passphrase-file", pass, id},
		{"trust", "export", "--data", path("a")},
		{"trust"},
	} {
		if code, _, _ := run(t, later, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}

	code, stdout, stderr = run(t, t0.Add(2*time.Hour), "", "receipt", "--data", path("a"), "--passphrase-file", pass, "--png", path("r2.png"), "--print-text", id)
	if code != 0 {
		t.Fatalf("second receipt: %d %s", code, stderr)
	}
	text2 := strings.TrimSpace(stdout)

	// The supervisor of a revokes a from one hour after issue; receipts
	// issued later fail, the earlier one stays valid. Device b imports the
	// trust file (its supervisor: a new country's keys) and agrees.
	revokeAt := t0.Add(time.Hour)
	code, _, stderr = run(t, t0.Add(3*time.Hour), "", "trust", "revoke", "--data", path("a"), "--passphrase-file", pass,
		"--device", deviceID(t, path("a")), "--at", revokeAt.Format(time.RFC3339), "--out", path("a-revoked.json"))
	if code != 0 {
		t.Fatalf("revoke: %d %s", code, stderr)
	}
	if code, stdout, stderr := run(t, later, "", "trust", "import", "--data", path("b"), "--passphrase-file", pass, path("a-revoked.json")); code != 0 || !strings.Contains(stdout, "BIH") {
		t.Fatalf("import: %d %s %s", code, stdout, stderr)
	}
	if code, stdout, _ := run(t, later, "", "verify", "--data", path("b"), "--text", text); code != 0 {
		t.Errorf("early receipt after revocation: %d %s", code, stdout)
	}
	code, stdout, _ = run(t, later, "", "verify", "--data", path("b"), "--text", text2)
	if m := verdict(t, stdout); code != 1 || m["reason"] != "device_revoked" || m["revoked_at"] != revokeAt.Format(time.RFC3339) {
		t.Errorf("late receipt after revocation: %d %v", code, m)
	}
	if code, _, stderr := run(t, t0.Add(4*time.Hour), "", "receipt", "--data", path("a"), "--passphrase-file", pass, "--png", path("r3.png"), id); code != 1 || !strings.Contains(stderr, "revoked") {
		t.Errorf("revoked device issues: %d %s", code, stderr)
	}
}

func deviceID(t *testing.T, data string) string {
	t.Helper()
	d, err := device.Open(data, device.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return d.Info().DeviceID
}
