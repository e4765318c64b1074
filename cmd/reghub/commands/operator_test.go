package commands

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// reghub operator add|list|remove, with the hub's passphrase in
// --passphrase-file and the analyst's in --new-passphrase-file.
func TestOperatorCommand(t *testing.T) {
	hubDir := filepath.Join(t.TempDir(), "hub")
	pass := writeFile(t, "hub.pass", "hub passphrase for the test\n")
	analyst := writeFile(t, "analyst.pass", "analyst passphrase for the test\n")
	if code, _, errs := runMain(t, "init", "--data", hubDir, "--country", "BIH", "--passphrase-file", pass, "--kdf", "low"); code != 0 {
		t.Fatalf("init: %s", errs)
	}
	base := []string{"--data", hubDir, "--passphrase-file", pass, "--kdf", "low"}
	if code, out, errs := runMain(t, append([]string{"operator", "add", "--name", "ana@mup.example", "--new-passphrase-file", analyst}, base...)...); code != 0 || !strings.Contains(out, "ana@mup.example added") {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	if code, _, errs := runMain(t, append([]string{"operator", "add", "--name", "ana@mup.example", "--new-passphrase-file", analyst}, base...)...); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("add twice: %d %s", code, errs)
	}
	// Refused before the hub is opened: a bad name, no name, a wrong hub passphrase.
	if code, _, errs := runMain(t, append([]string{"operator", "add", "--name", "bad name", "--new-passphrase-file", analyst}, base...)...); code != 1 || !strings.Contains(errs, "account name") {
		t.Fatalf("bad name: %d %s", code, errs)
	}
	if code, _, _ := runMain(t, append([]string{"operator", "remove"}, base...)...); code != 2 {
		t.Fatalf("remove without --name: %d", code)
	}
	if code, _, _ := runMain(t, "operator", "rename", "--data", hubDir); code != 2 {
		t.Fatalf("unknown action: %d", code)
	}
	wrong := writeFile(t, "wrong.pass", "not the hub passphrase\n")
	if code, _, errs := runMain(t, "operator", "add", "--name", "eve", "--new-passphrase-file", analyst, "--data", hubDir, "--passphrase-file", wrong); code != 1 || !strings.Contains(errs, "wrong passphrase") {
		t.Fatalf("wrong hub passphrase: %d %s", code, errs)
	}
	short := writeFile(t, "short.pass", "short\n")
	if code, _, errs := runMain(t, append([]string{"operator", "add", "--name", "bob", "--new-passphrase-file", short}, base...)...); code != 1 || !strings.Contains(errs, "passphrase is") {
		t.Fatalf("short passphrase: %d %s", code, errs)
	}
	code, out, _ := runMain(t, append([]string{"operator", "list"}, base...)...)
	if code != 0 || !strings.Contains(out, "ana@mup.example") || strings.Contains(out, "eve") || strings.Contains(out, "bob") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, _, errs := runMain(t, append([]string{"operator", "remove", "--name", "ana@mup.example"}, base...)...); code != 0 {
		t.Fatalf("remove: %s", errs)
	}
	if code, _, errs := runMain(t, append([]string{"operator", "remove", "--name", "ana@mup.example"}, base...)...); code != 1 || !strings.Contains(errs, "no dashboard account") {
		t.Fatalf("remove twice: %d %s", code, errs)
	}
	if _, out, _ := runMain(t, append([]string{"operator", "list"}, base...)...); !strings.Contains(out, "no dashboard accounts") {
		t.Fatalf("list after remove: %s", out)
	}
}

// Bad dashboard and report flags are refused before anything is opened.
func TestDashboardAndReportFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"serve", "--data", dir, "--dashboard-cert", "c.pem", "--dashboard-key", "k.pem"},
		{"serve", "--data", dir, "--dashboard", "127.0.0.1:0", "--dashboard-cert", "c.pem"},
		{"serve", "--data", dir, "--dashboard", "127.0.0.1:0", "--dashboard-session", "10s"},
		{"report", "--data", dir, "--from", "2026-01-01", "--out", "r.pdf"},
	} {
		if code, _, errs := runMain(t, args...); code != 2 {
			t.Errorf("%v: exit %d, %s", args, code, errs)
		}
	}
	out := filepath.Join(dir, "exists.pdf")
	writeFileAt(t, out)
	for _, args := range [][]string{
		{"report", "--data", dir, "--from", "2026-02-30", "--to", "2026-03-01", "--out", filepath.Join(dir, "r.pdf")},
		{"report", "--data", dir, "--from", "2026-03-01", "--to", "2026-02-01", "--out", filepath.Join(dir, "r.pdf")},
		{"report", "--data", dir, "--from", "2026-01-01", "--to", "2026-01-07", "--out", out},
	} {
		code, _, errs := runMain(t, args...)
		if code != 1 || strings.Contains(errs, "passphrase") {
			t.Errorf("%v: exit %d, %s", args, code, errs)
		}
	}
}

func writeFileAt(t *testing.T, p string) {
	t.Helper()
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
}
