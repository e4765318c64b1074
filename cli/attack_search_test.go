package cli

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/fieldreg/fieldreg/store"
)

// run runs a fieldreg command in this process and returns its exit status
// and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	env := testEnv()
	var out, errb bytes.Buffer
	env.Stdout, env.Stderr = &out, &errb
	code := Run(env, args)
	return code, out.String(), errb.String()
}

// TestAttackDamagedRecordInSearch: one record's stored summary is damaged
// on disk (with Go's SQLite driver). A search that matches it still lists
// every other match, names the damaged record by ID on standard error with
// the count, shows none of its data, and exits 3.
func TestAttackDamagedRecordInSearch(t *testing.T) {
	dir := t.TempDir()
	data, pass, people := filepath.Join(dir, "data"), filepath.Join(dir, "pass"), filepath.Join(dir, "people.jsonl")
	if err := os.WriteFile(pass, []byte("Fake-Officer-Passphrase-42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, given := range []string{"Alfa", "Bravo", "Charlie"} {
		b.WriteString(`{"family_name":"Fakesearch","given_names":"` + given + `","sex":"X","category":"irregular_crossing"}` + "\n")
	}
	if err := os.WriteFile(people, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, e := runCmd(t, "init", "--data", data, "--standalone", "--country", "BIH", "--station", "BIH-VK-01",
		"--officer", "Officer Test", "--passphrase-file", pass); code != 0 {
		t.Fatalf("init: %s", e)
	}
	code, out, e := runCmd(t, "register", "--data", data, "--passphrase-file", pass, "--json", people)
	ids := strings.Fields(out)
	if code != 0 || len(ids) != 3 {
		t.Fatalf("register: %d %s %s", code, out, e)
	}
	db, err := sql.Open("sqlite3", filepath.Join(data, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := db.Exec("UPDATE records SET summary = substr(summary, 1, 30) || x'00' || substr(summary, 32) WHERE id = ?", ids[1]); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatal("no row damaged")
	}
	db.Close()

	for _, args := range [][]string{{"Fakesearch"}, {"--json", "Fakesearch"}} {
		code, out, e := runCmd(t, append([]string{"search", "--data", data, "--passphrase-file", pass}, args...)...)
		if code != 3 || !strings.Contains(out, ids[0]) || !strings.Contains(out, ids[2]) || strings.Contains(out, ids[1]) {
			t.Fatalf("search %v: exit %d\n%s%s", args, code, out, e)
		}
		if !strings.Contains(e, "1 damaged records") || !strings.Contains(e, ids[1]) || strings.Contains(e, "Bravo") {
			t.Fatalf("search %v: the damaged record is not reported by ID alone: %s", args, e)
		}
	}
	// The integrity check names it too.
	if code, out, _ := runCmd(t, "audit", "verify", "--data", data, "--passphrase-file", pass); code != 1 || !strings.Contains(out, ids[1]) {
		t.Fatalf("audit verify: exit %d\n%s", code, out)
	}
}
