//go:build fedshots

// This file takes the "registered elsewhere?" screenshots in docs/screenshots
// in a real window: a regional hub and two country hubs (BIH and SRB, both
// sharing in full) run in this process; an SRB officer registered a person
// earlier; the BIH officer registers the same person written another way,
// and the receipt screen shows the hit. Then the record shows the answer,
// and a registration saved while the hub is out of reach shows the waiting
// question. Like the sync screenshots, it takes over the test binary:
//
//	Xvfb :99 -screen 0 1280x800x24 &
//	DISPLAY=:99 FIELDREG_SHOTS=$PWD/docs/screenshots go test -tags fedshots -run '^$' ./app/
package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/hub"
)

func init() {
	out := shotsOut()
	tmp, err := os.MkdirTemp("", "fieldreg-fedshots")
	shotMust(err)
	dir := prepareFedShots(tmp)
	a := fyneapp.NewWithID(AppID)
	u := New(a, dir, device.Options{Params: &vault.LowParams})
	u.manualSync = true
	u.Show()
	go func() {
		fedShotsRun(&shooter{u: u, out: out})
		os.RemoveAll(tmp)
		os.Exit(0)
	}()
	a.Run()
}

// prepareFedShots makes the three hubs, an SRB device with an earlier
// registration pushed to the region, and the BIH device the window opens.
func prepareFedShots(tmp string) string {
	low := vault.LowParams
	opts := hub.Options{Params: &low}
	hp := []byte("hub passphrase for screenshots")
	rdir := filepath.Join(tmp, "region")
	shotMust(hub.Init(context.Background(), rdir, hub.InitConfig{Country: "WBR", Region: true, Passphrase: hp}, opts))
	region, err := hub.Open(context.Background(), rdir, hp, opts)
	shotMust(err)
	regionURL := serveShotHub(region)
	country := func(code string) (*hub.Hub, string) {
		dir := filepath.Join(tmp, code)
		shotMust(hub.Init(context.Background(), dir, hub.InitConfig{Country: code, Passphrase: hp}, opts))
		e, err := region.EnrolCountrySharing(context.Background(), code, regionURL, federation.SharingFull)
		shotMust(err)
		_, err = hub.Federate(context.Background(), dir, hp, e.File, e.Code, opts)
		shotMust(err)
		h, err := hub.Open(context.Background(), dir, hp, opts)
		shotMust(err)
		return h, serveShotHub(h)
	}
	bih, bihURL := country("BIH")
	srb, srbURL := country("SRB")

	enrolled := func(h *hub.Hub, url, name, station, officer, dir string) *device.Session {
		e, err := h.Enrol(context.Background(), hub.EnrolConfig{Name: name, Station: station, HubURL: url})
		shotMust(err)
		d, err := device.InitEnrolled(dir, device.EnrolledConfig{File: e.File, Code: e.Code, Officer: officer, Passphrase: []byte(pass)},
			device.Options{Params: &low})
		shotMust(err)
		o, _ := d.DefaultOfficer()
		s, err := d.Unlock(o.ID, []byte(pass))
		shotMust(err)
		return s
	}
	srbSess := enrolled(srb, srbURL, "tablet-sid-3", "SRB-SID", "Marko Example", filepath.Join(tmp, "srb-tablet"))
	_, err = srbSess.Register(&registry.Person{FamilyName: "Sample-Haddad", GivenNames: "Mohammed Omar", Sex: registry.SexMale,
		BirthDate: registry.Date{Year: 1984, Month: 2, Day: 29}, PlaceOfBirth: "Example City", Nationalities: []string{"SYR"},
		Category: registry.CategoryIrregular, Document: registry.Document{Type: "passport", Number: "N0098765", IssuingCountry: "SYR", Expiry: "2029-05-31"},
		Encounter: registry.Encounter{Kind: "apprehension", Place: "Šid", At: time.Now().Add(-9 * 24 * time.Hour).UTC()}})
	shotMust(err)
	rep, err := srbSess.Sync(context.Background(), device.SyncOptions{})
	if err != nil || !rep.Complete {
		panic(fmt.Sprintf("sync: %+v %v", rep, err))
	}
	_, err = srb.PushUpstream(context.Background())
	shotMust(err)
	srbSess.Lock()

	dir := filepath.Join(tmp, "bih-tablet")
	enrolled(bih, bihURL, "tablet-vk-2", "BIH-VELIKA-KLADUSA", "Amra Example", dir).Device().Close()
	return dir
}

// saved shows the receipt screen for people just registered by the
// officer, as the register flow does after "Save".
func fedSaved(s *shooter, p *registry.Person) string {
	var id string
	s.ui(func() {
		var err error
		id, err = s.u.sess.Register(p)
		shotMust(err)
		s.u.sh.open(navRegister)
		s.u.sh.reg.showSaved([]*registry.Person{p}, []string{id}, "")
	})
	return id
}

func fedShotsRun(s *shooter) {
	u := s.u
	s.unlock(pass)
	enc := registry.Encounter{Kind: "apprehension", Place: "Velika Kladuša", At: time.Now().Add(-time.Hour).UTC()}
	id := fedSaved(s, &registry.Person{FamilyName: "Sample Hadad", GivenNames: "Muhammad Omar", Sex: registry.SexMale,
		BirthDate: registry.Date{Year: 1984, Month: 2, Day: 29}, Nationalities: []string{"SYR"}, Category: registry.CategoryIrregular, Encounter: enc})
	s.until("the hit", func() bool { return s.shows("HIT: registered before") })
	s.shot("elsewhere-hit")

	s.ui(func() {
		u.sh.open(navRecords)
		d := newDetailScreen(u, id, func() {})
		u.sh.show(navRecords, d.root)
	})
	s.until("the answer on the record", func() bool { return s.shows("HIT: registered before") })
	s.shot("elsewhere-record")

	s.ui(func() { u.bgSync().base = device.SyncOptions{HubURL: "https://127.0.0.1:1"} })
	fedSaved(s, &registry.Person{FamilyName: "Sample-Nouri", GivenNames: "Example Lina", Sex: registry.SexFemale,
		BirthDate: registry.Date{Year: 1992}, Nationalities: []string{"AFG"}, Category: registry.CategoryProtection, Encounter: enc})
	s.until("the waiting question", func() bool { return s.shows("The question waits") })
	s.shot("elsewhere-waiting")
}
