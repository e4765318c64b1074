package app

import (
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
)

// The supervisor's Statistics screen shows the device's figures: the
// headline count and the tables, names of countries in the officer's
// language; a day that does not exist is refused in words.
func TestStatsScreen(t *testing.T) {
	dir := t.TempDir()
	low := vault.LowParams
	d, _, err := device.InitStandalone(dir, device.StandaloneConfig{Country: "BIH", Station: "BIH-VK-01", DeviceName: "tablet", Officer: "Officer Example", Passphrase: []byte(pass)}, device.Options{Params: &low})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := d.DefaultOfficer()
	s, err := d.Unlock(o.ID, []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	var people []*registry.Person
	for i, nat := range []string{"AFG", "AFG", "SYR"} {
		people = append(people, &registry.Person{FamilyName: "Testperson", GivenNames: "Example " + string(rune('A'+i)), Sex: "M",
			BirthDate: registry.Date{Year: 1990}, Nationalities: []string{nat}, Category: registry.CategoryIrregular,
			Encounter: registry.Encounter{Kind: "apprehension", Place: "Test crossing", At: time.Now()}})
	}
	// The third was met 100 hours before being registered: late.
	people[2].Encounter.At = time.Now().Add(-100 * time.Hour)
	if _, err := s.RegisterBatch(people); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	d.Close()

	h := newHarness(t, dir)
	h.tap("Officer Example")
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })
	h.tap("Statistics")
	h.waitFor("the figures", func() bool { return h.shows("Afghanistan") })
	for _, want := range []string{"People registered", "Syria", "Irregular border crossing", "BIH-VK-01", "35-59",
		"Registered within 72 hours", "66.7 %", "2 of 3 within 72 hours of the encounter; 1 later", "Registered in another country", "hits from the regional database"} {
		if !h.shows(want) {
			t.Errorf("no %q on the screen: %v", want, h.texts())
		}
	}
	if h.shows("Testperson") || h.shows("Example A") {
		t.Error("a person's name on the Statistics screen")
	}
	h.entry(h.u.T("stats.day_hint")).SetText("2026-02-30")
	h.tap("Show")
	h.waitFor("the refusal", func() bool { return h.shows("Write the day as YYYY-MM-DD") })
}
