package commands

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string, string) {
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
	if code, _, errs := run(t, "init", "--data", hubDir, "--country", "BIH", "--passphrase-file", pass, "--kdf", "low"); code != 0 {
		t.Fatalf("init: %s", errs)
	}
	base := []string{"--data", hubDir, "--passphrase-file", pass, "--kdf", "low"}
	if code, out, errs := run(t, append([]string{"operator", "add", "--name", "ana@mup.example", "--new-passphrase-file", analyst}, base...)...); code != 0 || !strings.Contains(out, "ana@mup.example added") {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	if code, _, errs := run(t, append([]string{"operator", "add", "--name", "ana@mup.example", "--new-passphrase-file", analyst}, base...)...); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("add twice: %d %s", code, errs)
	}
	// Refused before the hub is opened: a bad name, no name, a wrong hub passphrase.
	if code, _, errs := run(t, append([]string{"operator", "add", "--name", "bad name", "--new-passphrase-file", analyst}, base...)...); code != 1 || !strings.Contains(errs, "account name") {
		t.Fatalf("bad name: %d %s", code, errs)
	}
	if code, _, _ := run(t, append([]string{"operator", "remove"}, base...)...); code != 2 {
		t.Fatalf("remove without --name: %d", code)
	}
	if code, _, _ := run(t, "operator", "rename", "--data", hubDir); code != 2 {
		t.Fatalf("unknown action: %d", code)
	}
	wrong := writeFile(t, "wrong.pass", "not the hub passphrase\n")
	if code, _, errs := run(t, "operator", "add", "--name", "eve", "--new-passphrase-file", analyst, "--data", hubDir, "--passphrase-file", wrong); code != 1 || !strings.Contains(errs, "wrong passphrase") {
		t.Fatalf("wrong hub passphrase: %d %s", code, errs)
	}
	short := writeFile(t, "short.pass", "short\n")
	if code, _, errs := run(t, append([]string{"operator", "add", "--name", "bob", "--new-passphrase-file", short}, base...)...); code != 1 || !strings.Contains(errs, "passphrase is") {
		t.Fatalf("short passphrase: %d %s", code, errs)
	}
	code, out, _ := run(t, append([]string{"operator", "list"}, base...)...)
	if code != 0 || !strings.Contains(out, "ana@mup.example") || strings.Contains(out, "eve") || strings.Contains(out, "bob") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, _, errs := run(t, append([]string{"operator", "remove", "--name", "ana@mup.example"}, base...)...); code != 0 {
		t.Fatalf("remove: %s", errs)
	}
	if code, _, errs := run(t, append([]string{"operator", "remove", "--name", "ana@mup.example"}, base...)...); code != 1 || !strings.Contains(errs, "no dashboard account") {
		t.Fatalf("remove twice: %d %s", code, errs)
	}
	if _, out, _ := run(t, append([]string{"operator", "list"}, base...)...); !strings.Contains(out, "no dashboard accounts") {
		t.Fatalf("list after remove: %s", out)
	}
}
