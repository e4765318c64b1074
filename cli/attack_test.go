package cli

import (
	"database/sql"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestAttackScripts runs the attacks of testdata/attack: the real binary
// (as a separate process) against a database tampered with between its runs,
// the way someone with the tablet's files would, through Go's SQLite driver:
//
//	sqlexec DB STATEMENT
func TestAttackScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/attack", Cmds: map[string]func(*testscript.TestScript, bool, []string){
		"sqlexec": sqlexec,
	}})
}

// sqlexec runs one SQL statement on a database file; with !, it must fail.
func sqlexec(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sqlexec DB STATEMENT")
	}
	db, err := sql.Open("sqlite3", "file:"+ts.MkAbs(args[0])+"?_busy_timeout=5000")
	if err != nil {
		ts.Fatalf("open: %v", err)
	}
	defer db.Close()
	res, err := db.Exec(args[1])
	if neg {
		if err == nil {
			ts.Fatalf("statement succeeded")
		}
		return
	}
	if err != nil {
		ts.Fatalf("%s: %v", args[1], err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		ts.Fatalf("%s: no row changed", args[1])
	}
}
