//go:build centreshots

// This file takes the accommodation screenshots in docs/screenshots in a
// real window: a standalone device lists four reception centres (the BiH
// examples of docs/accommodation.md, with made-up numbers) and holds
// fictitious people referred, checked in and away, learned three hours
// ago; the officer saves a family and sees where it can sleep tonight,
// then the centre's list and the capacity view. Like the sync screenshots,
// it takes over the test binary:
//
//	Xvfb :99 -screen 0 1280x800x24 &
//	DISPLAY=:99 FIELDREG_SHOTS=$PWD/docs/screenshots go test -tags centreshots -run '^$' ./app/
package app

import (
	"os"
	"sync"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/trust"
)

// shotClock is a clock the preparation moves.
type shotClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *shotClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *shotClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func init() {
	out := shotsOut()
	tmp, err := os.MkdirTemp("", "fieldreg-centreshots")
	shotMust(err)
	clock := &shotClock{}
	prepareCentreShots(tmp, clock)
	a := fyneapp.NewWithID(AppID)
	u := New(a, tmp, device.Options{Params: &vault.LowParams, Now: clock.now})
	u.Show()
	go func() {
		centreShotsRun(&shooter{u: u, out: out})
		os.RemoveAll(tmp)
		os.Exit(0)
	}()
	a.Run()
}

func prepareCentreShots(dir string, clock *shotClock) {
	now := time.Now().UTC().Truncate(time.Minute)
	clock.set(now.Add(-6 * 24 * time.Hour))
	low := vault.LowParams
	d, _, err := device.InitStandalone(dir, device.StandaloneConfig{Country: "BIH", Station: "BIH-VELIKA-KLADUSA", DeviceName: "tablet-07",
		Officer: "Officer Example", Passphrase: []byte(pass)}, device.Options{Params: &low, Now: clock.now})
	shotMust(err)
	defer d.Close()
	o, _ := d.DefaultOfficer()
	s, err := d.Unlock(o.ID, []byte(pass))
	shotMust(err)
	defer s.Lock()
	for _, c := range []trust.Centre{
		{Code: "BIH-BORICI", Name: "Borići", Place: "Bihać", Address: "Sample street 1, Bihać", Kind: "temporary_reception", Status: "open",
			Capacity: map[string]int{"families": 6, "unaccompanied_children": 2, "vulnerable": 4}, Contact: "+387 00 000 000"},
		{Code: "BIH-SEDRA", Name: "Sedra", Place: "Cazin", Address: "Example road 2, Cazin", Kind: "temporary_reception", Status: "open",
			Capacity: map[string]int{"families": 420}},
		{Code: "BIH-USIVAK", Name: "Ušivak", Place: "Hadžići", Kind: "temporary_reception", Status: "open",
			Capacity: map[string]int{"single_men": 700, "families": 100}},
		{Code: "BIH-MIRAL", Name: "Miral", Place: "Velika Kladuša", Kind: "temporary_reception", Status: "full",
			Capacity: map[string]int{"single_men": 600}},
	} {
		_, err := s.SetCentre(c, true)
		shotMust(err)
	}
	enc := registry.Encounter{Kind: "apprehension", Place: "BIH-VELIKA-KLADUSA", At: clock.now().Add(-time.Hour)}
	reg := func(people ...registry.Person) []string {
		var ps []*registry.Person
		for i := range people {
			p := people[i]
			p.Category, p.Encounter, p.Nationalities = registry.CategoryIrregular, enc, []string{"XXA"}
			ps = append(ps, &p)
		}
		ids, err := s.RegisterGroup(ps)
		shotMust(err)
		return ids
	}
	// Six days ago: a family checked in at Borići, and a man who is away
	// since then (flagged for check-out after five days).
	fam := reg(registry.Person{FamilyName: "Sample-Rahimi", GivenNames: "Example Ahmad", Sex: "M", BirthDate: registry.Date{Year: 1988}},
		registry.Person{FamilyName: "Sample-Rahimi", GivenNames: "Example Zahra", Sex: "F", BirthDate: registry.Date{Year: 1992}},
		registry.Person{FamilyName: "Sample-Rahimi", GivenNames: "Example Omid", Sex: "M", BirthDate: registry.Date{Year: 2016}})
	_, err = s.Refer(fam, "BIH-BORICI", device.ReferralOptions{})
	shotMust(err)
	_, err = s.CheckIn("BIH-BORICI", fam[0], "")
	shotMust(err)
	ill := reg(registry.Person{FamilyName: "Mock-Hussein", GivenNames: "Example Ali", Sex: "M", BirthDate: registry.Date{Year: 1956}, Vulnerabilities: []string{"medical"}})
	_, err = s.Refer(ill, "BIH-BORICI", device.ReferralOptions{})
	shotMust(err)
	_, err = s.CheckIn("BIH-BORICI", ill[0], "")
	shotMust(err)
	shotMust(s.Absent(ill[0]))
	// Three days ago: a child referred who never arrived.
	clock.set(now.Add(-3 * 24 * time.Hour))
	child := reg(registry.Person{FamilyName: "Testovic", GivenNames: "Example Youssef", Sex: "M", BirthDate: registry.Date{Year: 2010}, Vulnerabilities: []string{"unaccompanied_child"}})
	_, err = s.Refer(child, "BIH-BORICI", device.ReferralOptions{})
	shotMust(err)
	// Three hours ago: a walk-in, and a family referred to Borići's last beds.
	clock.set(now.Add(-3 * time.Hour))
	walk := reg(registry.Person{FamilyName: "Placeholder", GivenNames: "Example Fatima", Sex: "F", BirthDate: registry.Date{Year: 1979}, Vulnerabilities: []string{"elderly"}})
	_, err = s.CheckIn("BIH-BORICI", walk[0], "vulnerable")
	shotMust(err)
	late := reg(registry.Person{FamilyName: "Example-Khan", GivenNames: "Sample Imran", Sex: "M", BirthDate: registry.Date{Year: 1985}},
		registry.Person{FamilyName: "Example-Khan", GivenNames: "Sample Amina", Sex: "F", BirthDate: registry.Date{Year: 1987}})
	_, err = s.Refer(late, "BIH-BORICI", device.ReferralOptions{})
	shotMust(err)
	clock.set(now)
}

func centreShotsRun(s *shooter) {
	u := s.u
	s.unlock(pass)
	// A family saved now: where can it sleep tonight?
	var ids []string
	var people []*registry.Person
	s.ui(func() {
		enc := registry.Encounter{Kind: "apprehension", Place: "BIH-VELIKA-KLADUSA", At: u.dev.Now().Add(-time.Hour)}
		for _, p := range []registry.Person{
			{FamilyName: "Sample-Haddad", GivenNames: "Example Omar", Sex: "M", BirthDate: registry.Date{Year: 1984}, Relationship: "head"},
			{FamilyName: "Sample-Haddad", GivenNames: "Example Lina", Sex: "F", BirthDate: registry.Date{Year: 1990}, Relationship: "spouse"},
			{FamilyName: "Sample-Haddad", GivenNames: "Example Sami", Sex: "M", BirthDate: registry.Date{Year: 2015}, Relationship: "child"},
			{FamilyName: "Sample-Haddad", GivenNames: "Example Noor", Sex: "F", BirthDate: registry.Date{Year: 2019}, Relationship: "child"},
		} {
			p.Category, p.Encounter, p.Nationalities = registry.CategoryProtection, enc, []string{"SYR"}
			people = append(people, &p)
		}
		var err error
		ids, err = u.sess.RegisterGroup(people)
		shotMust(err)
		u.sh.open(navRegister)
		u.sh.reg.showSaved(people, ids, "")
	})
	s.until("the offers", func() bool { return s.shows("Sedra") })
	s.shot("centre-referral")
	s.ui(func() { u.sh.open(navCentre) })
	s.until("the centre's list", func() bool { return s.shows("Sample-Rahimi") })
	s.shot("centre-residents")
	s.ui(func() { u.sh.open(navCapacity) })
	s.until("the capacity view", func() bool { return s.shows("700 free") })
	s.shot("centre-capacity")
}
