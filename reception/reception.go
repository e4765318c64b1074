// Package reception turns the authority's centres list and the occupancy
// counts a node keeps into the capacity view: per centre and section the
// beds, the residents, the open referrals and the free places. Device and
// hub keep the counts up to date as occupancy events arrive (a projection),
// so the view never opens a sealed payload. Nothing here is personal: the
// counts are figures, who stays where stays sealed in the stores.
package reception

import (
	"slices"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/trust"
)

// Count is what a node holds of one centre's section: people checked in
// (absent ones included, their bed is held), open referrals, residents
// absent now, and when the node last learned of an event there.
type Count struct {
	Centre, Section string
	Residents       int
	Referred        int
	Absent          int
	AsOf            time.Time
}

// Delta is the change one stay makes to the counts.
type Delta struct {
	Centre, Section             string
	Residents, Referred, Absent int
}

// Deltas is how the counts change when a person's stay goes from old to new
// (either may be nil): what old counted is taken away, what new counts is
// added. Sections whose counts do not change are left out.
func Deltas(old, new *registry.Stay) []Delta {
	var out []Delta
	add := func(s *registry.Stay, sign int) {
		if !s.Open() {
			return
		}
		d := Delta{Centre: s.Centre, Section: s.Section}
		switch s.State {
		case registry.StayReferred:
			d.Referred = sign
		case registry.StayResident:
			d.Residents = sign
		case registry.StayAbsent:
			d.Residents, d.Absent = sign, sign
		}
		for i := range out {
			if out[i].Centre == d.Centre && out[i].Section == d.Section {
				out[i].Residents += d.Residents
				out[i].Referred += d.Referred
				out[i].Absent += d.Absent
				return
			}
		}
		out = append(out, d)
	}
	add(old, -1)
	add(new, 1)
	return slices.DeleteFunc(out, func(d Delta) bool { return d.Residents == 0 && d.Referred == 0 && d.Absent == 0 })
}

// Section is one section of a centre in the capacity view. Free is
// capacity minus residents minus open referrals: it is negative when
// offline devices referred more people than there are beds, and Over says
// by how many ("over capacity by N"); nothing is refused for it.
type Section struct {
	Capacity  int `json:"capacity"`
	Residents int `json:"residents"`
	Referred  int `json:"referred"`
	Free      int `json:"free"`
	Absent    int `json:"absent,omitempty"`
	Over      int `json:"over_capacity,omitempty"`
}

// View is one centre in the capacity view (`centres --json`, `reghub
// centre list --json`). AsOf is when this node last learned of the
// centre's events (or received the list, or synced, whichever is later).
type View struct {
	Code     string             `json:"code"`
	Name     string             `json:"name"`
	Place    string             `json:"place,omitempty"`
	Address  string             `json:"address,omitempty"`
	Kind     string             `json:"kind,omitempty"`
	Status   string             `json:"status"`
	Contact  string             `json:"contact,omitempty"`
	AsOf     time.Time          `json:"as_of"`
	Sections map[string]Section `json:"sections"`
	// Unknown is set for a centre that events name but the centres list
	// this node holds does not (a list not yet received, or a centre removed).
	Unknown bool `json:"unknown,omitempty"`
	// Days are the arrivals and departures per day (UTC, YYYY-MM-DD) of
	// the last week, where the node keeps them (the hub).
	Days map[string]Day `json:"days,omitempty"`
}

// Free sums the free places of the view's sections (never below zero per section).
func (v *View) Free(sections ...string) int {
	n := 0
	for name, s := range v.Sections {
		if len(sections) == 0 || slices.Contains(sections, name) {
			n += max(s.Free, 0)
		}
	}
	return n
}

// Views builds the capacity view of every centre of cs and of every centre
// the counts name that cs does not, in code order. known is the time the
// node last learned everything its source knew (its last sync, or the time
// the list arrived): AsOf is the later of it and the centre's latest count.
func Views(cs *trust.Centres, counts []Count, known time.Time) []View {
	byCode := map[string]*View{}
	var order []string
	get := func(code string) *View {
		if v := byCode[code]; v != nil {
			return v
		}
		v := &View{Code: code, Name: code, Status: "unknown", Unknown: true, AsOf: known.UTC(), Sections: map[string]Section{}}
		if c := cs.Find(code); c != nil {
			v.Name, v.Place, v.Address, v.Kind, v.Status, v.Contact, v.Unknown = c.Name, c.Place, c.Address, c.Kind, c.Status, c.Contact, false
			for s, n := range c.Capacity {
				v.Sections[s] = Section{Capacity: n}
			}
		}
		byCode[code] = v
		order = append(order, code)
		return v
	}
	if cs != nil {
		for _, c := range cs.Centres {
			get(c.Code)
		}
	}
	for _, c := range counts {
		v := get(c.Centre)
		s := v.Sections[c.Section]
		s.Residents += c.Residents
		s.Referred += c.Referred
		s.Absent += c.Absent
		v.Sections[c.Section] = s
		if c.AsOf.After(v.AsOf) {
			v.AsOf = c.AsOf.UTC()
		}
	}
	out := make([]View, 0, len(order))
	slices.Sort(order)
	for _, code := range order {
		v := byCode[code]
		for name, s := range v.Sections {
			s.Free = s.Capacity - s.Residents - s.Referred
			s.Over = max(-s.Free, 0)
			v.Sections[name] = s
		}
		out = append(out, *v)
	}
	return out
}

// Offer is a centre open to referral with a section that fits, and the
// free places of that section as last known.
type Offer struct {
	View    View
	Section string
	Free    int // free places in Section (negative: over capacity)
}

// Offers returns, for n people who fit sections fit (in the order they are
// offered), each open centre with one of those sections: the first fitting
// section with room for all n, else the first with beds at all (the
// officer sees there is no room). Centres with room come first, then by
// the order of fit, then by most free places. Closed centres and centres
// full by decision are left out.
func Offers(views []View, fit []string, n int) []Offer {
	var out []Offer
	for _, v := range views {
		if v.Status != "open" {
			continue
		}
		best := Offer{View: v}
		for _, s := range fit {
			sec, ok := v.Sections[s]
			if !ok || sec.Capacity == 0 {
				continue
			}
			if best.Section == "" || (best.Free < n && sec.Free >= n) {
				best.Section, best.Free = s, sec.Free
			}
		}
		if best.Section != "" {
			out = append(out, best)
		}
	}
	rank := func(o Offer) int { return slices.Index(fit, o.Section) }
	slices.SortStableFunc(out, func(a, b Offer) int {
		if ra, rb := a.Free >= n, b.Free >= n; ra != rb {
			if ra {
				return -1
			}
			return 1
		}
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		if a.Free != b.Free {
			return b.Free - a.Free
		}
		return strings.Compare(a.View.Code, b.View.Code)
	})
	return out
}

// DayCount is the arrivals at and departures from a centre on a day (UTC,
// YYYY-MM-DD).
type DayCount struct {
	Day, Centre          string
	Arrivals, Departures int
}

// MoveDeltas is how the arrivals and departures per day change when a
// person's moves (registry.Moves) go from old to new; days and centres
// that do not change are left out.
func MoveDeltas(old, new []registry.Move) []DayCount {
	var out []DayCount
	add := func(ms []registry.Move, sign int) {
		for _, m := range ms {
			i := slices.IndexFunc(out, func(d DayCount) bool { return d.Day == m.Day && d.Centre == m.Centre })
			if i < 0 {
				out = append(out, DayCount{Day: m.Day, Centre: m.Centre})
				i = len(out) - 1
			}
			if m.Arrive {
				out[i].Arrivals += sign
			} else {
				out[i].Departures += sign
			}
		}
	}
	add(old, -1)
	add(new, 1)
	return slices.DeleteFunc(out, func(d DayCount) bool { return d.Arrivals == 0 && d.Departures == 0 })
}

// Day is a centre's arrivals and departures on one day, in the view.
type Day struct {
	Arrivals   int `json:"arrivals"`
	Departures int `json:"departures"`
}

// AddDays puts the arrivals and departures per day into the views of
// their centres (View.Days, by day).
func AddDays(views []View, days []DayCount) {
	for _, d := range days {
		for i := range views {
			if views[i].Code != d.Centre {
				continue
			}
			if views[i].Days == nil {
				views[i].Days = map[string]Day{}
			}
			views[i].Days[d.Day] = Day{Arrivals: d.Arrivals, Departures: d.Departures}
		}
	}
}
