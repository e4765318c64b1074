package registry

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Occupancy operations: where a registered person sleeps. Each is an event
// on the person's record, signed and sealed like a registration, so a
// centre's laptop works offline and every step names its officer and device.
const (
	OpRefer    = "refer"    // referred to a centre and section, with a reason and transport note
	OpCheckIn  = "checkin"  // arrived and given a bed (or back from an absence)
	OpAbsent   = "absent"   // temporarily away; the bed is held
	OpCheckOut = "checkout" // left the centre, with a reason
	OpTransfer = "transfer" // referred on from the centre they are in to another
)

// IsOccupancyOp reports whether op is one of the occupancy operations.
func IsOccupancyOp(op string) bool {
	switch op {
	case OpRefer, OpCheckIn, OpAbsent, OpCheckOut, OpTransfer:
		return true
	}
	return false
}

// Sections of a reception centre.
const (
	SectionSingleMen     = "single_men"
	SectionSingleWomen   = "single_women"
	SectionFamilies      = "families"
	SectionUnaccompanied = "unaccompanied_children"
	SectionVulnerable    = "vulnerable" // medical, disability, elderly, trafficking indicators
)

// Sections lists every section in display order.
var Sections = []string{SectionSingleMen, SectionSingleWomen, SectionFamilies, SectionUnaccompanied, SectionVulnerable}

// ValidSection reports whether s names a section.
func ValidSection(s string) bool { return slices.Contains(Sections, s) }

// Check-out reasons.
const (
	LeftCentre      = "left"        // left of their own accord
	LeftTransferred = "transferred" // moved to a place outside the centres of this deployment
	LeftReturned    = "returned"    // assisted voluntary return
	LeftAsylum      = "asylum_accommodation"
	LeftAbsent      = "absent_too_long" // absent longer than the centre's limit
	LeftNotArrived  = "not_arrived"     // closes a referral that never arrived
)

// CheckoutReasons lists every check-out reason.
var CheckoutReasons = []string{LeftCentre, LeftTransferred, LeftReturned, LeftAsylum, LeftAbsent, LeftNotArrived}

// Stay states.
const (
	StayReferred = "referred" // expected at the centre; a place is kept
	StayResident = "resident" // checked in
	StayAbsent   = "absent"   // checked in and temporarily away; the bed is held
	StayLeft     = "left"     // checked out, or a referral closed
)

// Limits of an occupancy change.
const (
	MaxGroupReferral = 50  // people referred together
	MaxStayNote      = 500 // bytes of a reason or transport note
)

// Occupancy is what an occupancy event says (Change.Stay).
type Occupancy struct {
	Centre    string   `json:"centre"`
	Section   string   `json:"section,omitempty"`
	Group     []string `json:"group,omitempty"`     // registration IDs referred or checked in together
	Reason    string   `json:"reason,omitempty"`    // check-out reason (CheckoutReasons); for a referral, why (free text)
	Transport string   `json:"transport,omitempty"` // referral: how the person gets there
	WalkIn    bool     `json:"walk_in,omitempty"`   // check-in: arrived without a referral to this centre
}

// Stay is where a person is as the fold of their occupancy events says.
type Stay struct {
	Centre  string   `json:"centre"`
	Section string   `json:"section"`
	State   string   `json:"state"` // StayReferred, StayResident, StayAbsent, StayLeft
	Since   HLC      `json:"since"` // when the state began
	Reason  string   `json:"reason,omitempty"`
	Group   []string `json:"group,omitempty"`
	WalkIn  bool     `json:"walk_in,omitempty"`
	Event   EventID  `json:"event"` // the last occupancy event
}

// Open reports whether the stay holds a place: a referral not yet closed,
// a resident, or an absent resident whose bed is held.
func (s *Stay) Open() bool { return s != nil && s.State != StayLeft }

// StayEvent is an occupancy event without the rest of its record: what a
// stay is folded from where the record's other events are not at hand (the
// hub keeps these, sealed, per record).
type StayEvent struct {
	Event EventID   `json:"event"`
	HLC   HLC       `json:"hlc"`
	Op    string    `json:"op"`
	Stay  Occupancy `json:"stay"`
}

// FoldStay folds occupancy events, given in any order (repeats ignored), to
// the stay Fold gives the record that holds them; nil when there are none.
func FoldStay(evs []StayEvent) *Stay {
	sorted := sortStay(evs)
	var st *Stay
	for i, e := range sorted {
		if i > 0 && sorted[i-1].Event == e.Event {
			continue
		}
		st = applyStay(st, e.Event, e.HLC, e.Op, &e.Stay)
	}
	return st
}

// applyStay folds one occupancy event into the stay (nil: none yet).
func applyStay(cur *Stay, id EventID, at HLC, op string, o *Occupancy) *Stay {
	next := &Stay{Centre: o.Centre, Section: o.Section, Since: at, Group: o.Group, Event: id}
	switch op {
	case OpRefer, OpTransfer:
		next.State = StayReferred
	case OpCheckIn:
		next.State, next.WalkIn = StayResident, o.WalkIn
	case OpAbsent:
		next.State = StayAbsent
		if cur != nil && cur.Centre == o.Centre {
			next.Group, next.WalkIn = cur.Group, cur.WalkIn
		}
	case OpCheckOut:
		next.State, next.Reason = StayLeft, o.Reason
		if cur != nil && next.Section == "" {
			next.Section = cur.Section
		}
	}
	return next
}

var centreCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,23}$`)

// ValidCentreCode reports whether c is a centre code: 2 to 24 capital
// letters, digits and hyphens, such as BIH-BORICI.
func ValidCentreCode(c string) bool { return centreCode.MatchString(c) }

// ErrBadOccupancy is an occupancy change that breaks its rules.
var ErrBadOccupancy = errors.New("occupancy change malformed")

// checkOccupancy checks the form of an occupancy change of event e.
func checkOccupancy(e *Event, o *Occupancy) error {
	if o == nil {
		return fmt.Errorf("%w: no centre", ErrBadOccupancy)
	}
	if !ValidCentreCode(o.Centre) {
		return fmt.Errorf("%w: the centre code is not valid", ErrBadOccupancy)
	}
	needSection := e.Op == OpRefer || e.Op == OpTransfer || e.Op == OpCheckIn
	if (needSection || o.Section != "") && !ValidSection(o.Section) {
		return fmt.Errorf("%w: the section is not one of %s", ErrBadOccupancy, strings.Join(Sections, ", "))
	}
	if e.Op == OpCheckOut && !slices.Contains(CheckoutReasons, o.Reason) {
		return fmt.Errorf("%w: the check-out reason is not one of %s", ErrBadOccupancy, strings.Join(CheckoutReasons, ", "))
	}
	if len(o.Group) > MaxGroupReferral {
		return fmt.Errorf("%w: more than %d people together", ErrBadOccupancy, MaxGroupReferral)
	}
	if len(o.Group) > 0 && !slices.Contains(o.Group, e.Record) {
		return fmt.Errorf("%w: the group does not hold the record", ErrBadOccupancy)
	}
	for _, id := range o.Group {
		if c, err := ParseRegID(id); err != nil || c != id {
			return fmt.Errorf("%w: the group holds something that is not a registration ID", ErrBadOccupancy)
		}
	}
	for _, t := range []string{o.Reason, o.Transport} {
		if len(t) > MaxStayNote || !utf8.ValidString(t) || strings.ContainsFunc(t, unicode.IsControl) {
			return fmt.Errorf("%w: a note is too long or holds control characters", ErrBadOccupancy)
		}
	}
	return nil
}

// Fit says which sections fit a group referred together, in the order they
// are offered: a family or group stays together (families, or vulnerable
// when one of them is vulnerable); an unaccompanied or separated child, or
// anyone under 18 referred alone, goes only to unaccompanied_children or
// vulnerable, never to single_men; a vulnerable person is offered
// vulnerable first. at is the day ages are counted on.
func Fit(people []*Person, at time.Time) []string {
	if len(people) == 0 {
		return nil
	}
	vulnerable, child := false, false
	for _, p := range people {
		for _, v := range p.Vulnerabilities {
			if v == VulnUnaccompaniedChild || v == VulnSeparatedChild {
				child = true
			} else {
				vulnerable = true
			}
		}
		if len(people) == 1 && !p.BirthDate.IsZero() && at.Year()-p.BirthDate.Year < 18 {
			child = true
		}
	}
	switch {
	case child && len(people) > 1:
		return []string{SectionVulnerable} // a child who is not with their family: never among unrelated adults
	case child:
		return []string{SectionUnaccompanied, SectionVulnerable}
	}
	var out []string
	if vulnerable {
		out = append(out, SectionVulnerable)
	}
	if len(people) > 1 {
		return append(out, SectionFamilies)
	}
	switch people[0].Sex {
	case SexMale:
		out = append(out, SectionSingleMen)
	case SexFemale:
		out = append(out, SectionSingleWomen)
	default:
		out = append(out, SectionSingleWomen, SectionSingleMen)
	}
	return out
}

// ErrDoesNotFit is a section that the person or group may not be referred to.
var ErrDoesNotFit = errors.New("the section does not fit")

// CheckFit refuses section for people when Fit does not offer it, saying
// in words why.
func CheckFit(people []*Person, section string, at time.Time) error {
	fit := Fit(people, at)
	if slices.Contains(fit, section) {
		return nil
	}
	why := "this person may go to " + strings.Join(fit, " or ")
	if len(people) > 1 {
		why = "a family or group stays together, in " + strings.Join(fit, " or ")
	}
	if slices.Contains(fit, SectionUnaccompanied) || (len(fit) == 1 && fit[0] == SectionVulnerable && len(people) > 1) {
		why = "an unaccompanied child goes only to " + strings.Join(fit, " or ")
		if len(people) > 1 {
			why = "an unaccompanied child referred with others goes only to vulnerable"
		}
	}
	return fmt.Errorf("%w: %s: %s", ErrDoesNotFit, section, why)
}

// Move is an arrival at a centre or a departure from it, on a day (UTC,
// YYYY-MM-DD): the figures of a situation report.
type Move struct {
	Day, Centre string
	Arrive      bool
}

// Moves lists the arrivals and departures a person's occupancy events make,
// folded in the same order as FoldStay: a check-in is an arrival unless the
// person is back from an absence at the same centre; a check-out, or a
// transfer or referral elsewhere, of someone checked in is a departure.
func Moves(evs []StayEvent) []Move {
	sorted := sortStay(evs)
	var out []Move
	var st *Stay
	for i, e := range sorted {
		if i > 0 && sorted[i-1].Event == e.Event {
			continue
		}
		day := e.HLC.Time().Format("2006-01-02")
		in := st != nil && (st.State == StayResident || st.State == StayAbsent)
		switch {
		case e.Op == OpCheckIn && !(in && st.Centre == e.Stay.Centre):
			if in {
				out = append(out, Move{Day: day, Centre: st.Centre})
			}
			out = append(out, Move{Day: day, Centre: e.Stay.Centre, Arrive: true})
		case (e.Op == OpCheckOut || e.Op == OpTransfer || e.Op == OpRefer) && in:
			out = append(out, Move{Day: day, Centre: st.Centre})
		}
		st = applyStay(st, e.Event, e.HLC, e.Op, &e.Stay)
	}
	return out
}

// sortStay orders occupancy events as Fold does (Less).
func sortStay(evs []StayEvent) []StayEvent {
	sorted := slices.Clone(evs)
	slices.SortFunc(sorted, func(a, b StayEvent) int {
		x := &Event{HLC: a.HLC, Origin: a.Event.Origin, Epoch: a.Event.Epoch, Seq: a.Event.Seq}
		y := &Event{HLC: b.HLC, Origin: b.Event.Origin, Epoch: b.Event.Epoch, Seq: b.Event.Seq}
		switch {
		case Less(x, y):
			return -1
		case Less(y, x):
			return 1
		}
		return 0
	})
	return sorted
}
