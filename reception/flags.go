package reception

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"strings"

	"github.com/fieldreg/fieldreg/trust"
)

// CentreFlags are the flags of `reghub centre add|set` and `fieldreg centre
// add|set`, one definition for both programs.
type CentreFlags struct {
	fs                                                *flag.FlagSet
	code, name, place, address, kind, status, contact *string
	capacity                                          *string
	absence, noShow                                   *int
}

// Register defines the flags on fs.
func (f *CentreFlags) Register(fs *flag.FlagSet) {
	f.fs = fs
	f.code = fs.String("code", "", "the centre's code: capital letters, digits and hyphens (like BIH-BORICI)")
	f.name = fs.String("name", "", "the centre's name")
	f.place = fs.String("place", "", "the town or municipality")
	f.address = fs.String("address", "", "the street address (printed on the person's receipt)")
	f.kind = fs.String("kind", "", "one of "+strings.Join(trust.CentreKinds, ", "))
	f.status = fs.String("status", "", "one of "+strings.Join(trust.CentreStatuses, ", ")+" (add: open)")
	f.contact = fs.String("contact", "", "the centre's telephone or e-mail")
	f.capacity = fs.String("capacity", "", "beds per section, like single_men=800,families=200,unaccompanied_children=40 (set: the sections given change)")
	f.absence = fs.Int("absence-days", 0, fmt.Sprintf("days a resident may be absent before being flagged for check-out (default %d)", trust.DefaultAbsence))
	f.noShow = fs.Int("no-show-hours", 0, fmt.Sprintf("hours before a referral that never arrived is flagged (default %d)", trust.DefaultNoShow))
}

// Code is the --code given, in capitals.
func (f *CentreFlags) Code() string { return strings.ToUpper(strings.TrimSpace(*f.code)) }

// Centre applies the flags given to old (nil for add: a new centre, whose
// name, place, kind and capacity are required) and returns the centre to
// sign. Bad values are refused with trust.ErrBadCentre; the caller signs,
// which checks the whole centre again.
func (f *CentreFlags) Centre(old *trust.Centre) (trust.Centre, error) {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var c trust.Centre
	if old != nil {
		c = *old
		c.Capacity = maps.Clone(old.Capacity)
	} else {
		for _, req := range []string{"code", "name", "place", "kind", "capacity"} {
			if !set[req] {
				return trust.Centre{}, fmt.Errorf("%w: --%s is required", trust.ErrBadCentre, req)
			}
		}
		c.Status = "open"
	}
	c.Code = f.Code()
	if c.Code == "" {
		return trust.Centre{}, fmt.Errorf("%w: --code is required", trust.ErrBadCentre)
	}
	strs := map[string]*string{"name": &c.Name, "place": &c.Place, "address": &c.Address, "kind": &c.Kind, "status": &c.Status, "contact": &c.Contact}
	vals := map[string]*string{"name": f.name, "place": f.place, "address": f.address, "kind": f.kind, "status": f.status, "contact": f.contact}
	for k, dst := range strs {
		if set[k] {
			*dst = strings.TrimSpace(*vals[k])
		}
	}
	if set["capacity"] {
		cp, err := trust.ParseCapacity(*f.capacity)
		if err != nil {
			return trust.Centre{}, err
		}
		if c.Capacity == nil {
			c.Capacity = map[string]int{}
		}
		maps.Copy(c.Capacity, cp)
	}
	if set["absence-days"] {
		if *f.absence < 1 {
			return trust.Centre{}, fmt.Errorf("%w: --absence-days must be at least 1", trust.ErrBadCentre)
		}
		c.AbsenceDays = *f.absence
	}
	if set["no-show-hours"] {
		if *f.noShow < 1 {
			return trust.Centre{}, fmt.Errorf("%w: --no-show-hours must be at least 1", trust.ErrBadCentre)
		}
		c.NoShowHours = *f.noShow
	}
	changed := false
	for _, k := range []string{"name", "place", "address", "kind", "status", "contact", "capacity", "absence-days", "no-show-hours"} {
		changed = changed || set[k]
	}
	if old != nil && !changed {
		return trust.Centre{}, errors.New("nothing to change: give --capacity, --status or another field")
	}
	return c, c.Check()
}
