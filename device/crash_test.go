package device

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/registry"
)

// TestHelperRegisterLoop is not a test: the crash test runs the test binary
// with FIELDREG_CRASH_DIR set, and this registers people until killed.
func TestHelperRegisterLoop(t *testing.T) {
	dir := os.Getenv("FIELDREG_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process for TestCrashMidWrite")
	}
	p := vault.LowParams
	d, err := Open(dir, Options{Params: &p})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	s := unlock(t, d)
	for i := 0; ; i++ {
		if i%3 == 0 {
			a, b := testPerson("Crashfamily", fmt.Sprint("Parent", i)), testPerson("Crashfamily", fmt.Sprint("Child", i))
			_, err = s.RegisterGroup([]*registry.Person{a, b})
		} else {
			_, err = s.Register(testPerson("Crashtest", fmt.Sprint("Person", i)))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
	}
}

// TestCrashMidWrite kills a process that is registering people at random
// moments, then checks that the database opens cleanly and that every
// registration is whole: its event, its projection, its search entries and
// its audit entry all exist, or none of them.
func TestCrashMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	d, _ := newTestDevice(t)
	dir := d.Dir()
	d.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	rounds := 4
	if n, err := strconv.Atoi(os.Getenv("FIELDREG_CRASH_TRIALS")); err == nil && n > rounds {
		rounds = n // make crash
	}
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRegisterLoop$")
		cmd.Env = append(os.Environ(), "FIELDREG_CRASH_DIR="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		p := vault.LowParams
		d2, err := Open(dir, Options{Params: &p})
		if err != nil {
			t.Fatalf("round %d: database does not open after kill: %v", round, err)
		}
		s := unlock(t, d2)
		db := d2.Store().DB()
		var integrity string
		if err := db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
			t.Fatalf("round %d: integrity: %s %v", round, integrity, err)
		}
		var records, eventRecords, registers, orphans int
		db.QueryRow("SELECT COUNT(*) FROM records").Scan(&records)
		db.QueryRow("SELECT COUNT(DISTINCT record) FROM events").Scan(&eventRecords)
		db.QueryRow("SELECT COUNT(*) FROM audit WHERE action = 'register'").Scan(&registers)
		db.QueryRow("SELECT COUNT(*) FROM records WHERE n NOT IN (SELECT n FROM search UNION SELECT n FROM search_recent)").Scan(&orphans)
		if records != eventRecords || records != registers || orphans != 0 {
			t.Fatalf("round %d: half-written registrations: %d records, %d with events, %d audited, %d unindexed", round, records, eventRecords, registers, orphans)
		}
		ids, err := s.Search(Query{})
		if err != nil {
			t.Fatal(err)
		}
		// Every record is found by its family name, whether its search
		// rows were still in the recent table when the process was killed
		// (between its save and their merge) or merged already.
		single, err := s.Search(Query{Text: "Crashtest"})
		if err != nil {
			t.Fatal(err)
		}
		family, err := s.Search(Query{Text: "Crashfamily"})
		if err != nil {
			t.Fatal(err)
		}
		if len(single)+len(family) != records {
			t.Fatalf("round %d: search finds %d+%d of %d records", round, len(single), len(family), records)
		}
		for _, id := range ids {
			if _, err := s.Summary(id); err != nil {
				t.Fatalf("round %d: record does not open: %v", round, err)
			}
		}
		rep, err := s.VerifyAudit()
		if err != nil || !rep.OK {
			t.Fatalf("round %d: audit after crash: %+v %v", round, rep, err)
		}
		t.Logf("round %d: %d records intact, %d search rows unmerged at the kill", round, records, d2.Store().RecentRows())
		s.Lock()
		d2.Close()
	}
}
