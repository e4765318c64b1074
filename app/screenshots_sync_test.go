//go:build syncshots

// This file takes the sync screenshots in docs/screenshots in a real window:
// a hub runs in this process, the device holds registrations of different
// ages (so the 72-hour list shows red, amber and plain rows) and a conflict,
// and the network is slowed down so the progress can be seen. It takes over
// the test binary from init (the window needs the main goroutine, and the
// package's TestMain belongs to the benchmarks), so build it only for that:
//
//	Xvfb :99 -screen 0 1280x800x24 &
//	DISPLAY=:99 FIELDREG_SHOTS=$PWD/docs/screenshots go test -tags syncshots -run '^$' ./app/
//	Xvfb :98 -screen 0 800x1280x24 &
//	DISPLAY=:98 FIELDREG_SHOTS=$PWD/docs/screenshots FIELDREG_PORTRAIT=1 go test -tags syncshots -run '^$' ./app/
package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hub"
)

func init() {
	out := shotsOut()
	portrait := os.Getenv("FIELDREG_PORTRAIT") != ""
	tmp, err := os.MkdirTemp("", "fieldreg-syncshots")
	shotMust(err)
	defer os.RemoveAll(tmp)
	clock := &syncClock{}
	dirA := prepareSyncShots(tmp, clock)

	a := fyneapp.NewWithID(AppID)
	u := New(a, dirA, device.Options{Params: &vault.LowParams, Now: clock.now})
	u.manualSync = true // the shooter starts the sync it photographs
	if portrait {
		u.win.Resize(fyne.NewSize(800, 1280))
	}
	u.Show()
	go func() {
		syncShotsRun(&shooter{u: u, out: out, portrait: portrait})
		os.RemoveAll(tmp)
		os.Exit(0)
	}()
	a.Run()
}

// prepareSyncShots makes a hub, device A (the one shown) and device B,
// and the data: a record both changed at once, registrations of A of
// different ages waiting for the hub, and registrations of B for A to receive.
func prepareSyncShots(tmp string, clock *syncClock) string {
	low := vault.LowParams
	hubClock := &syncClock{}
	hubClock.advance(-80 * time.Hour)
	hubDir := filepath.Join(tmp, "hub")
	hp := []byte("hub passphrase for screenshots")
	shotMust(hub.Init(context.Background(), hubDir, hub.InitConfig{Country: "BIH", Passphrase: hp}, hub.Options{Params: &low, Now: hubClock.now}))
	h, err := hub.Open(context.Background(), hubDir, hp, hub.Options{Params: &low, Now: hubClock.now})
	shotMust(err)
	url := serveShotHub(h)
	ea, err := h.Enrol(context.Background(), hub.EnrolConfig{Name: "tablet-vk-2", Station: "BIH-VELIKA-KLADUSA", HubURL: url})
	shotMust(err)
	eb, err := h.Enrol(context.Background(), hub.EnrolConfig{Name: "tablet-izacic-1", Station: "BIH-IZACIC", HubURL: url})
	shotMust(err)
	hubClock.advance(80 * time.Hour)

	clock.advance(-76 * time.Hour)
	optsA := device.Options{Params: &low, Now: clock.now}
	dirA := filepath.Join(tmp, "a")
	da, err := device.InitEnrolled(dirA, device.EnrolledConfig{File: ea.File, Code: ea.Code, Officer: "Amra Example", Passphrase: []byte(pass)}, optsA)
	shotMust(err)
	db, err := device.InitEnrolled(filepath.Join(tmp, "b"), device.EnrolledConfig{File: eb.File, Code: eb.Code, Officer: "Dino Example", Passphrase: []byte(pass)},
		device.Options{Params: &low})
	shotMust(err)
	oa, _ := da.DefaultOfficer()
	sa, err := da.Unlock(oa.ID, []byte(pass))
	shotMust(err)
	ob, _ := db.DefaultOfficer()
	sb, err := db.Unlock(ob.ID, []byte(pass))
	shotMust(err)
	person := func(family, given string, year int, sex string) *registry.Person {
		return &registry.Person{FamilyName: family, GivenNames: given, Sex: sex, BirthDate: registry.Date{Year: year, Month: 3, Day: 14},
			Nationalities: []string{"SYR"}, Category: registry.CategoryIrregular,
			Encounter: registry.Encounter{Kind: "apprehension", Place: "Velika Kladuša", At: clock.now().Add(-time.Hour).UTC()},
			Document:  registry.Document{Type: "passport", Number: "N0123456", IssuingCountry: "SYR", Expiry: "2029-05-31"}}
	}
	sync := func(s *device.Session) {
		rep, err := s.Sync(context.Background(), device.SyncOptions{})
		if err != nil || !rep.Complete {
			panic(fmt.Sprintf("sync: %+v %v", rep, err))
		}
	}
	// A record that both devices change at once.
	id, err := sa.Register(person("Sample-Haddad", "Omar", 1985, registry.SexMale))
	shotMust(err)
	sync(sa)
	sync(sb)
	change := func(s *device.Session, f func(p *registry.Person)) {
		rv, err := s.Get(id)
		shotMust(err)
		p := rv.Person
		f(&p)
		shotMust(s.Amend(id, &p, "corrected from the passport"))
	}
	change(sb, func(p *registry.Person) {
		p.FamilyName, p.BirthDate = "Sample-Hadad", registry.Date{Year: 1985, Month: 4, Day: 13}
		p.Document.Number = "N0123465"
	})
	sync(sb)
	change(sa, func(p *registry.Person) {
		p.FamilyName, p.GivenNames, p.BirthDate = "Sample-Al-Haddad", "Omar Khaled", registry.Date{Year: 1985}
		p.Document.Number = "N0123457"
	})
	// Registrations of A of different ages.
	reg := func(n int, family string) {
		var people []*registry.Person
		for i := 0; i < n; i++ {
			sex := registry.SexFemale
			if i%2 == 0 {
				sex = registry.SexMale
			}
			people = append(people, person(fmt.Sprintf("%s-%d", family, i+1), []string{"Lina", "Yusuf", "Mariam", "Karim", "Noor"}[i%5], 1970+i%40, sex))
		}
		_, err := sa.RegisterBatch(people)
		shotMust(err)
	}
	reg(2, "Sample-Rahimi")
	clock.advance(12 * time.Hour) // -64 h: 8 hours left
	reg(3, "Sample-Nouri")
	clock.advance(24 * time.Hour) // -40 h
	reg(5, "Sample-Karimi")
	clock.advance(38 * time.Hour) // -2 h
	reg(280, "Sample-Ahmadi")
	clock.advance(2 * time.Hour) // now
	// Registrations of B for A to receive.
	var people []*registry.Person
	for i := 0; i < 40; i++ {
		p := person(fmt.Sprintf("Sample-Sahin-%d", i+1), "Ayla", 1990+i%20, registry.SexFemale)
		p.Encounter.At = time.Now().Add(-time.Hour).UTC()
		p.Encounter.Place = "Izačić"
		people = append(people, p)
	}
	_, err = sb.RegisterBatch(people)
	shotMust(err)
	sync(sb)
	sa.Lock()
	sb.Lock()
	shotMust(da.Close())
	shotMust(db.Close())
	return dirA
}

// slowConn delays large writes, so a sync lasts long enough to be seen.
type slowConn struct{ net.Conn }

func (c slowConn) Write(b []byte) (int, error) {
	if len(b) > 2000 {
		time.Sleep(400 * time.Millisecond)
	}
	return c.Conn.Write(b)
}

func syncShotsRun(s *shooter) {
	u := s.u
	s.unlock(pass)
	var scr *syncScreen
	var banner *deadlineBanner
	s.ui(func() {
		c := u.bgSync()
		c.base = device.SyncOptions{ChunkEvents: 10, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return slowConn{conn}, nil
		}}
		scr = newSyncScreen(u)
		banner = u.sh.banner // the shell's own banner, above every section
		u.sh.show(navSync, scr.root)
	})
	s.until("the waiting list", func() bool {
		return scr.pending != nil && len(scr.pending.items) == 290 && banner.shown() && !s.labelIs("…")
	})
	s.ui(func() { scr.syncNow() })
	s.until("sending", func() bool { return u.bgSync().progress.Sent >= 100 })
	s.shot("sync")
	s.until("the end of the sync", func() bool { return !u.bgSync().running })
	s.until("the emptied list", func() bool { return len(scr.pending.items) == 0 && !banner.shown() })
	if !s.portrait {
		s.shot("sync-after")
	}
	var cs *conflictsScreen
	s.ui(func() {
		cs = newConflictsScreen(u)
		u.sh.show(navConflicts, cs.root)
	})
	s.until("the conflicts", func() bool { return len(cs.choices) > 0 })
	s.shot("conflicts")
	if !s.portrait {
		s.ui(func() {
			u.lock("")
			u.bgSync().Stop()
			u.newEnrolScreen()
		})
		s.shot("enrol")
	}
}
