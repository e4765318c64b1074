package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegisterRerunKeepsGroup: a family split by an interrupted import is
// one group again after the re-run.
func TestRegisterRerunKeepsGroup(t *testing.T) {
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pass := file("pass", "correct horse battery staple\n")
	data := filepath.Join(dir, "data")
	run := func(args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		env := testEnv()
		env.Stdout, env.Stderr = &out, &errs
		if rc := Run(env, args); rc != 0 {
			t.Fatalf("%v: exit %d: %s", args[0], rc, errs.String())
		}
		return out.String()
	}
	run("init", "--data", data, "--standalone", "--country", "BIH", "--station", "BIH-TEST-1", "--officer", "Officer Testa",
		"--passphrase-file", pass, "--recovery-key-out", filepath.Join(dir, "recovery.txt"))
	one := `{"family_name": "FAMTEST", "given_names": "Parent", "sex": "F", "birth_date": "1980", "category": "irregular_crossing", "group": "f", "relationship": "head"}` + "\n"
	two := `{"family_name": "FAMTEST", "given_names": "Child", "sex": "M", "birth_date": "2015", "category": "irregular_crossing", "group": "f", "relationship": "child"}` + "\n"
	first := strings.Fields(run("register", "--data", data, "--passphrase-file", pass, "--json", file("half.jsonl", one)))
	ids := strings.Fields(run("register", "--data", data, "--passphrase-file", pass, "--json", file("all.jsonl", one+two)))
	if len(first) != 1 || len(ids) != 2 || ids[0] != first[0] {
		t.Fatalf("first run %q, re-run %q", first, ids)
	}
	if shown := run("show", "--data", data, "--passphrase-file", pass, ids[1]); !strings.Contains(shown, ids[0]) {
		t.Fatalf("the child's record does not name the parent %s as family: %s", ids[0], shown)
	}
}
