// Package statstest generates registrations with known counts, for the
// tests of the figures at a device, a country hub and a region. The
// people are obviously fake ("Testperson"); the expected counts are kept
// as the people are made, not computed from them by the code under test.
package statstest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
)

// Want is what the figures of the generated people must say.
type Want struct {
	Total         int
	Nationality   map[string]int
	Sex           map[string]int
	Age           map[string]int
	Category      map[string]int
	Unaccompanied map[string]int // by sex
	Within72h     int            // registered within 72 hours of the encounter
	After72h      int            // registered later
}

// Every fifth person (the fifth, tenth, ...) was met LateLead before the
// registration, the others EarlyLead before.
const (
	EarlyLead = 2 * time.Hour
	LateLead  = 100 * time.Hour
)

var (
	nationalities = []string{"AFG", "SYR", "PAK", "MAR", "IRQ", "TUR", "BGD", "XXA"}
	sexes         = []string{registry.SexFemale, registry.SexMale, registry.SexMale, registry.SexMale, registry.SexOther, registry.SexUnknown}
	// ages in whole years chosen for each group (birthdays never on the
	// registration day's month, so the age is plain).
	ages = map[string][2]int{
		stats.Age0to4: {0, 4}, stats.Age5to11: {5, 11}, stats.Age12to17: {12, 17},
		stats.Age18to34: {18, 34}, stats.Age35to59: {35, 59}, stats.Age60Plus: {60, 90},
	}
)

// People makes n people registered on day at (UTC), with counts kept in
// want (which it creates when nil and adds to otherwise). seed fixes the
// draw.
func People(seed uint64, n int, at time.Time, want *Want) ([]*registry.Person, *Want) {
	if want == nil {
		want = &Want{Nationality: map[string]int{}, Sex: map[string]int{}, Age: map[string]int{}, Category: map[string]int{}, Unaccompanied: map[string]int{}}
	}
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([]*registry.Person, n)
	for i := range out {
		nat := nationalities[r.IntN(len(nationalities))]
		sex := sexes[r.IntN(len(sexes))]
		cat := registry.Categories[r.IntN(len(registry.Categories))]
		group := stats.AgeGroups[r.IntN(len(stats.AgeGroups))]
		p := &registry.Person{
			FamilyName: "Testperson", GivenNames: fmt.Sprintf("Example %d", i),
			Nationalities: []string{nat}, Sex: sex, Category: cat,
			Encounter: registry.Encounter{Kind: "apprehension", Place: "Test crossing", At: at.Add(-EarlyLead)},
		}
		if i%5 == 4 {
			p.Encounter.At = at.Add(-LateLead)
			want.After72h++
		} else {
			want.Within72h++
		}
		if group != stats.AgeUnknown {
			span := ages[group]
			age := span[0] + r.IntN(span[1]-span[0]+1)
			// Born six months from at's month: the birthday of at's year
			// is clearly behind or ahead, and the age plain.
			m := (int(at.Month())+5)%12 + 1
			y := at.Year() - age
			if m > int(at.Month()) {
				y-- // this year's birthday is still to come
			}
			p.BirthDate = registry.Date{Year: y, Month: m, Day: 10}
		}
		if (group == stats.Age12to17 || group == stats.Age5to11) && r.IntN(3) == 0 {
			p.Vulnerabilities = []string{registry.VulnUnaccompaniedChild}
			want.Unaccompanied[sex]++
		}
		out[i] = p
		want.Total++
		want.Nationality[nat]++
		want.Sex[sex]++
		want.Age[group]++
		want.Category[cat]++
	}
	return out, want
}

// Check compares figures with want and returns what differs, in plain
// words ("" when they agree). The nationalities are compared in full: the
// figures must have been asked with a top large enough.
func Check(f *stats.Figures, want *Want) string {
	var msg string
	diff := func(name string, got stats.Count, w int) {
		if int(got) != w {
			msg += fmt.Sprintf("%s = %v, want %d; ", name, got, w)
		}
	}
	diff("total", f.Total, want.Total)
	for _, m := range []struct {
		name string
		got  stats.Counts
		want map[string]int
	}{{"nationality", f.ByNationality, want.Nationality}, {"sex", f.BySex, want.Sex}, {"age", f.ByAgeGroup, want.Age},
		{"category", f.ByCategory, want.Category}, {"unaccompanied", f.UnaccompaniedChildren, want.Unaccompanied}} {
		for k, w := range m.want {
			diff(m.name+" "+k, m.got[k], w)
		}
		for k, g := range m.got {
			if _, ok := m.want[k]; !ok && g != 0 {
				diff(m.name+" "+k, g, 0)
			}
		}
	}
	return msg
}
