package device

import (
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/receipt"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// testOptions use cheap Argon2id parameters and a controllable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func newTestDevice(t testing.TB) (*Device, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	p := vault.LowParams
	d, rec, err := InitStandalone(t.TempDir(), StandaloneConfig{Country: "BIH", Station: "BIH-TEST-POST", DeviceName: "test-tablet", Officer: "Officer Testa", Passphrase: []byte("correct horse battery")}, Options{Now: clk.Now, Params: &p})
	if err != nil {
		t.Fatal(err)
	}
	if rec == "" {
		t.Fatal("no recovery key")
	}
	t.Cleanup(func() { d.Close() })
	return d, clk
}

func unlock(t testing.TB, d *Device) *Session {
	t.Helper()
	o, err := d.DefaultOfficer()
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Unlock(o.ID, []byte("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testPerson(family, given string) *registry.Person {
	return &registry.Person{FamilyName: family, GivenNames: given, Sex: "M", BirthDate: registry.Date{Year: 1990, Month: 3, Day: 4},
		Nationalities: []string{"AFG"}, Category: registry.CategoryProtection,
		Encounter: registry.Encounter{Kind: "apprehension", Place: "Test crossing", At: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}}
}

func TestRegisterFindAmend(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	id, err := s.Register(testPerson("Testović", "Ćiro Example"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.ParseRegID(id); err != nil {
		t.Fatalf("bad id %s: %v", id, err)
	}
	for _, q := range []string{"testovic", "TESTOVIĆ", "ciro", "Cir", "example testov", id} {
		got, err := s.Search(Query{Text: q})
		if err != nil || len(got) != 1 || got[0] != id {
			t.Errorf("search %q: %v %v", q, got, err)
		}
	}
	if got, _ := s.Search(Query{Text: "nobody"}); len(got) != 0 {
		t.Errorf("search nobody: %v", got)
	}
	clk.t = clk.t.Add(time.Minute)
	p := testPerson("Testović", "Ćiro Example")
	p.Document = registry.Document{Type: "passport", Number: "P1234567", IssuingCountry: "AFG"}
	if err := s.Amend(id, p, "passport shown"); err != nil {
		t.Fatal(err)
	}
	if err := s.Amend(id, p, "again"); !errors.Is(err, ErrNoChange) {
		t.Fatalf("no-op amend: %v", err)
	}
	if got, _ := s.Search(Query{Text: "p 123 4567"}); len(got) != 1 {
		t.Errorf("document search: %v", got)
	}
	v, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Versions) != 2 || v.Versions[1].Reason != "passport shown" || v.Person.Document.Number != "P1234567" {
		t.Fatalf("history: %+v", v.Versions)
	}
	if v.By[v.Versions[0].Event] != "Officer Testa" {
		t.Fatalf("officer names: %v", v.By)
	}
	rep, err := s.VerifyAudit()
	if err != nil || !rep.OK {
		t.Fatalf("audit: %+v %v", rep, err)
	}
}

func TestRegisterGroup(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	parent := testPerson("Familyname", "Parent")
	parent.Relationship = "head"
	child := testPerson("Familyname", "Child")
	child.Relationship = "child"
	child.BirthDate = registry.Date{Year: 2019}
	bad := testPerson("", "")
	if _, err := s.RegisterGroup([]*registry.Person{parent, child, bad}); err == nil {
		t.Fatal("group with an invalid member saved")
	} else {
		var ge *GroupError
		if !errors.As(err, &ge) || ge.Index != 2 {
			t.Fatalf("error does not name member 3: %v", err)
		}
	}
	if n, _ := s.Count(); n != 0 {
		t.Fatalf("partial group saved: %d records", n)
	}
	ids, err := s.RegisterGroup([]*registry.Person{parent, child})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Get(ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Group) != 1 || v.Group[0].ID != ids[0] {
		t.Fatalf("group: %+v", v.Group)
	}
}

func TestUnlockRateLimit(t *testing.T) {
	d, clk := newTestDevice(t)
	o, _ := d.DefaultOfficer()
	for i := 1; i < MaxFailures; i++ {
		_, err := d.Unlock(o.ID, []byte("wrong passphrase!"))
		var ue *UnlockError
		if !errors.As(err, &ue) || !errors.Is(err, vault.ErrWrongPassphrase) {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if ue.Remaining != MaxFailures-i {
			t.Fatalf("attempt %d: remaining %d", i, ue.Remaining)
		}
		// Immediately again: refused without trying the passphrase.
		if _, err := d.Unlock(o.ID, []byte("correct horse battery")); !errors.Is(err, ErrTooSoon) {
			t.Fatalf("attempt %d: retry during delay: %v", i, err)
		}
		clk.t = clk.t.Add(ue.RetryAfter)
	}
	if _, err := d.Unlock(o.ID, []byte("wrong passphrase!")); !errors.Is(err, ErrOfficerLocked) {
		t.Fatalf("not locked after %d failures: %v", MaxFailures, err)
	}
	clk.t = clk.t.Add(time.Hour)
	if _, err := d.Unlock(o.ID, []byte("correct horse battery")); !errors.Is(err, ErrOfficerLocked) {
		t.Fatalf("locked officer unlocked: %v", err)
	}
}

func TestSupervisorManagesOfficers(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	o, err := s.AddOfficer("Officer Second", []byte("another good phrase"), false)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := d.Unlock(o.ID, []byte("another good phrase"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.AddOfficer("Officer Third", []byte("another good phrase"), false); !errors.Is(err, ErrNotSupervisor) {
		t.Fatalf("non-supervisor added an officer: %v", err)
	}
	if err := s.ResetPassphrase(o.ID, []byte("a brand new phrase")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Unlock(o.ID, []byte("another good phrase")); err == nil {
		t.Fatal("old passphrase still works")
	}
	if err := s.RemoveOfficer(o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Unlock(o.ID, []byte("a brand new phrase")); !errors.Is(err, ErrUnknownOfficer) {
		t.Fatalf("removed officer unlocked: %v", err)
	}
	if err := s.RemoveOfficer(s.Officer().ID); err == nil {
		t.Fatal("removed self")
	}
}

func TestLockDropsKeys(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	s.Lock()
	if _, err := s.Register(testPerson("Lockedout", "Test")); !errors.Is(err, ErrSessionLocked) {
		t.Fatalf("register after lock: %v", err)
	}
	if _, err := s.Search(Query{Text: "x"}); !errors.Is(err, ErrSessionLocked) {
		t.Fatalf("search after lock: %v", err)
	}
}

// A 15-letter name can look like a registration ID with a valid check
// character; searching for it must still find the person by name.
func TestSearchNameThatParsesAsRegID(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	// "MOCKHANI70INDIA" passes ParseRegID (country MOC, check character A).
	if _, err := registry.ParseRegID("Mockhani70 India"); err != nil {
		t.Fatal("the fixture must parse as a registration ID for this test to mean anything")
	}
	id, err := s.Register(testPerson("Mockhani70", "India"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Search(Query{Text: "Mockhani70 India"})
	if err != nil || len(got) != 1 || got[0] != id {
		t.Fatalf("got %v %v", got, err)
	}
}

// TestLockWhileWorking: work that reads the session's keys while another
// goroutine locks it fails with ErrSessionLocked, never a crash (run with
// -race: the keys are read under the session's lock).
func TestLockWhileWorking(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			_, _ = s.VerifyAudit()
			_, _ = s.Search(Query{Text: "Fakename"})
			_, _ = s.GroupMembers("fake-group")
		}
	}()
	s.Lock()
	<-done
	if _, err := s.VerifyAudit(); !errors.Is(err, ErrSessionLocked) {
		t.Errorf("VerifyAudit after lock: %v", err)
	}
	if _, err := s.GroupMembers("fake-group"); !errors.Is(err, ErrSessionLocked) {
		t.Errorf("GroupMembers after lock: %v", err)
	}
}

func TestAddToGroup(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	head, err := s.Register(testPerson("Familyname", "Parent"))
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Minute)
	// A member that fails validation: nothing is saved, the head keeps no group.
	if _, err := s.AddToGroup(head, []*registry.Person{testPerson("Familyname", "Child"), testPerson("", "")}); err == nil {
		t.Fatal("invalid member saved")
	}
	if v, _ := s.Get(head); v.Person.Group != "" || len(v.Versions) != 1 {
		t.Fatalf("head amended by a failed add: group %q, %d versions", v.Person.Group, len(v.Versions))
	}
	child := testPerson("Familyname", "Child")
	child.Relationship = "child"
	ids, err := s.AddToGroup(head, []*registry.Person{child})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.Get(head)
	if err != nil {
		t.Fatal(err)
	}
	if h.Person.Group == "" || h.Person.Relationship != "head" || len(h.Versions) != 2 || h.Versions[1].Reason != "family member added" {
		t.Fatalf("head: group %q relationship %q versions %d", h.Person.Group, h.Person.Relationship, len(h.Versions))
	}
	c, err := s.Get(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if c.Person.Group != h.Person.Group {
		t.Fatal("member not in the head's group")
	}
	// A second member joins the existing group without amending the head again.
	ids2, err := s.AddToGroup(head, []*registry.Person{testPerson("Familyname", "Second")})
	if err != nil {
		t.Fatal(err)
	}
	if h2, _ := s.Get(head); len(h2.Versions) != 2 || len(h2.Group) != 2 {
		t.Fatalf("after second member: %d versions, %d in group", len(h2.Versions), len(h2.Group))
	}
	if c2, _ := s.Get(ids2[0]); c2.Person.Group != h.Person.Group {
		t.Fatal("second member not in the group")
	}
	if rep, err := s.VerifyAudit(); err != nil || !rep.OK {
		t.Fatalf("audit: %+v %v", rep, err)
	}
}

// A failure after the members are written (the head's amendment) takes the
// members back with it: the save is all or none.
func TestRegisterBatchThenFailsSavesNothing(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	before, err := d.st.NextSeq(d.info.DeviceID, d.info.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("amendment failed")
	_, err = s.registerBatch([]*registry.Person{testPerson("Familyname", "One"), testPerson("Familyname", "Two")},
		func(*store.Tx, []string) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if n, _ := s.Count(); n != 0 {
		t.Fatalf("%d records saved by a failed batch", n)
	}
	if after, _ := d.st.NextSeq(d.info.DeviceID, d.info.Epoch); after != before {
		t.Fatalf("event log moved: %d -> %d", before, after)
	}
	if _, err := s.Register(testPerson("Familyname", "Three")); err != nil {
		t.Fatalf("device unusable after a failed batch: %v", err)
	}
}

func TestAuditLogNewestFirst(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	for _, given := range []string{"One", "Two", "Three", "Four"} {
		if _, err := s.Register(testPerson("Familyname", given)); err != nil {
			t.Fatal(err)
		}
	}
	log, err := s.AuditLog(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 {
		t.Fatalf("%d entries, want 3", len(log))
	}
	for i, e := range log {
		if e.Action != "register" || e.Officer != "Officer Testa" {
			t.Errorf("entry %d: %s by %s", i, e.Action, e.Officer)
		}
		if i > 0 && e.Seq != log[i-1].Seq-1 {
			t.Errorf("entries not consecutive newest first: %d after %d", e.Seq, log[i-1].Seq)
		}
	}
	// An entry about an officer names them, not their ID.
	if _, err := s.AddOfficer("Officer Secunda", []byte("another good passphrase 7"), false); err != nil {
		t.Fatal(err)
	}
	last, err := s.AuditLog(1)
	if err != nil || last[0].Action != "officer_add" || !strings.Contains(last[0].Detail, "Officer Secunda") {
		t.Fatalf("officer entry: %+v %v", last, err)
	}
	all, err := s.AuditLog(1000)
	if err != nil {
		t.Fatal(err)
	}
	if all[0].Seq != last[0].Seq || all[len(all)-1].Seq != 1 {
		t.Fatalf("full log runs %d..%d", all[0].Seq, all[len(all)-1].Seq)
	}
}

func TestQuerySetDays(t *testing.T) {
	loc := time.FixedZone("post", 3600)
	var q Query
	if err := q.SetDays("2026-03-03", "2026-03-05", loc); err != nil {
		t.Fatal(err)
	}
	if !q.From.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, loc)) || !q.To.Equal(time.Date(2026, 3, 6, 0, 0, 0, 0, loc)) {
		t.Fatalf("window %v .. %v, want 3 March 00:00 .. 6 March 00:00 (5 March included)", q.From, q.To)
	}
	if err := q.SetDays("2026-03-05", "2026-03-05", loc); err != nil || q.To.Sub(q.From) != 24*time.Hour {
		t.Fatalf("one day: %v %v", q.To.Sub(q.From), err)
	}
	if err := q.SetDays("", " ", loc); err != nil || !q.From.IsZero() || !q.To.IsZero() {
		t.Fatalf("open window: %v %v %v", q.From, q.To, err)
	}
	if err := q.SetDays("2026-02-30", "", loc); err == nil || err.Error() != "2026-02-30 does not exist" {
		t.Errorf("impossible day: %v", err)
	}
	if err := q.SetDays("30.02.2026", "", loc); !errors.Is(err, ErrDayFormat) {
		t.Errorf("other format: %v", err)
	}
	q.From = time.Date(2020, 1, 1, 0, 0, 0, 0, loc)
	for _, bad := range [][2]string{{"2026-3-5", ""}, {"", "05.03.2026"}, {"2026-03-06", "2026-03-05"}} {
		if err := q.SetDays(bad[0], bad[1], loc); err == nil {
			t.Errorf("%q..%q accepted", bad[0], bad[1])
		}
		if !q.From.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, loc)) || !q.To.IsZero() {
			t.Errorf("%q..%q changed the query on error", bad[0], bad[1])
		}
	}
}

// Every officer's passphrase lost: the authority's recovery key, typed back
// from paper in groups and lower case, gives a supervisor a new passphrase.
func TestRecoverFromPaper(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	p := vault.LowParams
	d, rec, err := InitStandalone(t.TempDir(), StandaloneConfig{Country: "BIH", Station: "BIH-TEST-POST", DeviceName: "test-tablet", Officer: "Officer Testa", Passphrase: []byte("correct horse battery")}, Options{Now: clk.Now, Params: &p})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := unlock(t, d)
	id, err := s.Register(testPerson("Familyname", "Kept"))
	if err != nil {
		t.Fatal(err)
	}
	s.Lock()

	other, _ := age.GenerateX25519Identity()
	if err := d.Recover(other.String(), "Officer Testa", []byte("a brand new passphrase 9")); err == nil {
		t.Fatal("another authority's key recovered the device")
	}
	if err := d.Recover("not a key", "Officer Testa", []byte("a brand new passphrase 9")); err == nil {
		t.Fatal("garbage recovered the device")
	}
	body := strings.TrimPrefix(rec, "AGE-SECRET-KEY-1")
	var paper strings.Builder
	paper.WriteString("age-secret-key-1\n")
	for i := 0; i < len(body); i += 5 {
		paper.WriteString(strings.ToLower(body[i:min(i+5, len(body))]) + " ")
	}
	if err := d.Recover(paper.String(), "Officer Testa", []byte("a brand new passphrase 9")); err != nil {
		t.Fatalf("recovery from the paper copy: %v", err)
	}
	o, err := d.DefaultOfficer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Unlock(o.ID, []byte("correct horse battery")); err == nil {
		t.Fatal("the old passphrase still unlocks")
	}
	clk.t = clk.t.Add(10 * time.Second) // past the delay after a wrong passphrase
	s2, err := d.Unlock(o.ID, []byte("a brand new passphrase 9"))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s2.Get(id); err != nil || v.Person.GivenNames != "Kept" {
		t.Fatalf("records after recovery: %v", err)
	}
}

// A receipt is outdated when what it prints (name, birth) changed, not when
// the record changed in other ways (a family joined).
func TestReceiptOutdated(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	id, err := s.Register(testPerson("Familyname", "Parent"))
	if err != nil {
		t.Fatal(err)
	}
	f := &receipt.Fields{RegistrationID: id, Name: receipt.ICAOName("Familyname", "Parent"), Birth: "1990"}
	outdated := func() bool {
		t.Helper()
		o, err := s.ReceiptOutdated(f)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if outdated() {
		t.Fatal("a fresh receipt is outdated")
	}
	if _, err := s.AddToGroup(id, []*registry.Person{testPerson("Familyname", "Child")}); err != nil {
		t.Fatal(err)
	}
	if outdated() {
		t.Fatal("joining a family made the receipt outdated")
	}
	f.Birth = "1991"
	if !outdated() {
		t.Fatal("another year of birth is not outdated")
	}
	f.Birth = "1990"
	p := testPerson("Familyname", "Parent Maria")
	v, _ := s.Get(id)
	p.Group, p.Relationship = v.Person.Group, v.Person.Relationship
	if err := s.Amend(id, p, "second given name"); err != nil {
		t.Fatal(err)
	}
	if !outdated() {
		t.Fatal("an amended name is not outdated")
	}
}
