package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// inProcessHub runs a hub in this process on a loopback port.
func inProcessHub(t testing.TB) (*hub.Hub, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hub")
	pass := []byte("hub passphrase for tests")
	if err := hub.Init(context.Background(), dir, hub.InitConfig{Country: "BIH", Passphrase: pass}, hub.Options{Params: &lowParams}); err != nil {
		t.Fatal(err)
	}
	h, err := hub.Open(context.Background(), dir, pass, hub.Options{Params: &lowParams})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		h.Close()
	})
	return h, "https://" + ln.Addr().String()
}

// inProcessDevice enrols a device at h and returns its unlocked session.
func inProcessDevice(t testing.TB, h *hub.Hub, url, name string) *device.Session {
	t.Helper()
	e, err := h.Enrol(context.Background(), hub.EnrolConfig{Name: name, Station: "BIH-" + name, HubURL: url})
	if err != nil {
		t.Fatal(err)
	}
	d, err := device.InitEnrolled(t.TempDir(), device.EnrolledConfig{File: e.File, Code: e.Code, Officer: "Officer " + name, Passphrase: []byte(passphrase)}, devOpts())
	if err != nil {
		t.Fatal(err)
	}
	o, _ := d.DefaultOfficer()
	s, err := d.Unlock(o.ID, []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Lock(); d.Close() })
	return s
}

func syncOK(t testing.TB, s *device.Session) *device.SyncReport {
	t.Helper()
	rep, err := s.Sync(context.Background(), device.SyncOptions{})
	if err != nil || !rep.Complete {
		t.Fatalf("sync: %+v %v", rep, err)
	}
	return rep
}

func fake(family, given string, year int) *registry.Person {
	return &registry.Person{FamilyName: family, GivenNames: given, Sex: "X", BirthDate: registry.Date{Year: year},
		Nationalities: []string{"XXA"}, Category: registry.CategoryIrregular,
		Encounter: registry.Encounter{Kind: "apprehension", Place: "Test crossing", At: time.Now().Add(-time.Hour).UTC()}}
}

func amend(t testing.TB, s *device.Session, id string, f func(p *registry.Person)) {
	t.Helper()
	rv, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	p := rv.Person
	f(&p)
	if err := s.Amend(id, &p, "correction for the test"); err != nil {
		t.Fatal(err)
	}
}

func digestOf(t testing.TB, s *device.Session) (string, int) {
	t.Helper()
	d, n, err := s.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d, n
}

// TestConvergence is the property test: the same events delivered to
// replicas in random orders, in random chunks, with duplicates, give the
// same folded state everywhere, including concurrent edits kept as
// conflicts; a supervisor's resolution then reaches every replica.
func TestConvergence(t *testing.T) {
	h, url := inProcessHub(t)
	src := []*device.Session{inProcessDevice(t, h, url, "src1"), inProcessDevice(t, h, url, "src2"), inProcessDevice(t, h, url, "src3")}
	var reps []*device.Session
	for i := 0; i < 4; i++ {
		reps = append(reps, inProcessDevice(t, h, url, fmt.Sprint("rep", i)))
	}
	for _, r := range reps {
		syncOK(t, r) // the trust list only: nothing registered yet
	}
	var ids []string
	for i, s := range src {
		for j := 0; j < 10*(3-i); j++ {
			got, err := s.RegisterGroup([]*registry.Person{fake(fmt.Sprintf("Fakefam%d-%d", i, j), "Parent", 1980), fake(fmt.Sprintf("Fakefam%d-%d", i, j), "Child", 2015)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got...)
		}
	}
	for round := 0; round < 2; round++ {
		for _, s := range src {
			syncOK(t, s)
		}
	}
	// Concurrent edits: src1 and src2 both change the same names without
	// seeing each other (conflicts); src3 edits notes (no conflict).
	for k := 0; k < 5; k++ {
		amend(t, src[0], ids[k], func(p *registry.Person) { p.FamilyName = "Fakeamended-One" })
		amend(t, src[1], ids[k], func(p *registry.Person) { p.FamilyName = "Fakeamended-Two" })
		amend(t, src[2], ids[10+k], func(p *registry.Person) { p.Notes = "test note" })
	}
	if err := src[0].Link(ids[20], ids[30], true, "same fake person"); err != nil {
		t.Fatal(err)
	}
	for _, s := range src {
		syncOK(t, s)
	}
	var all []*registry.Event
	if err := h.Store().Events(context.Background(), func(e *registry.Event) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, r := range reps[:3] {
		rng := rand.New(rand.NewPCG(uint64(i), 99))
		evs := append([]*registry.Event(nil), all...)
		for _, e := range all {
			if rng.IntN(3) == 0 {
				evs = append(evs, e) // a duplicate
			}
		}
		rng.Shuffle(len(evs), func(a, b int) { evs[a], evs[b] = evs[b], evs[a] })
		for len(evs) > 0 {
			n := min(len(evs), 1+rng.IntN(40))
			res, err := r.ApplyEvents(evs[:n])
			if err != nil || res.Refused+res.Quarantined != 0 {
				t.Fatalf("replica %d: %+v %v", i, res, err)
			}
			evs = evs[n:]
		}
	}
	syncOK(t, reps[3]) // the fourth replica syncs normally
	for _, s := range src {
		syncOK(t, s)
	}
	want, n := digestOf(t, src[0])
	if n != len(ids) {
		t.Fatalf("%d records, want %d", n, len(ids))
	}
	for i, s := range append(src[1:], reps...) {
		if got, _ := digestOf(t, s); got != want {
			t.Fatalf("replica %d differs", i+1)
		}
	}

	// A supervisor resolves the conflicts on one replica; after sync every
	// replica shows them resolved.
	cs, err := reps[0].Conflicts()
	if err != nil || len(cs) != 5 {
		t.Fatalf("conflicts: %d %v", len(cs), err)
	}
	for _, c := range cs {
		if c.Conflicts[0].Field != "family_name" || len(c.Conflicts[0].Values) != 2 {
			t.Fatalf("conflict %+v", c.Conflicts)
		}
		if err := reps[0].ResolveConflict(c.ID, "family_name", json.RawMessage(`"Fakemerged"`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := reps[0].ResolveConflict(ids[40], "family_name", json.RawMessage(`"X"`)); err == nil {
		t.Error("resolved a conflict that does not exist")
	}
	syncOK(t, reps[0])
	syncOK(t, src[2])
	if cs, _ := src[2].Conflicts(); len(cs) != 0 {
		t.Fatalf("after resolution: %d conflicts", len(cs))
	}
	rv, err := src[2].Get(ids[0])
	if err != nil || rv.Person.FamilyName != "Fakemerged" {
		t.Fatalf("resolved value: %v", err)
	}
	a, _ := digestOf(t, reps[0])
	b, _ := digestOf(t, src[2])
	if a != b {
		t.Fatal("replicas differ after the resolution")
	}
}
