package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/reception"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// Meta keys of the reception centres.
const (
	// metaCentresKnown is when (Unix milliseconds) this device last
	// learned everything its source knew of the centres: its last sync or
	// bundle from the hub, or (standalone) its own list being set.
	metaCentresKnown = "centres_known"
)

// Errors of the accommodation commands. Their messages are plain words and
// never name a person.
var (
	// ErrNoCentres: the device holds no centres list yet.
	ErrNoCentres = errors.New("no reception centres are known on this device yet: they arrive with the next sync or bundle (standalone: add them with 'fieldreg centre add')")
	// ErrUnknownCentre: no centre of that code in the list.
	ErrUnknownCentre = errors.New("no reception centre has this code")
	// ErrCentreExists: centre add of a code already listed.
	ErrCentreExists = errors.New("a reception centre with this code exists already (change it with 'centre set')")
	// ErrCentreNotOpen: a referral to a centre closed or full by decision.
	ErrCentreNotOpen = errors.New("the centre takes no referrals")
	// ErrStay: the person's stay does not allow the step (already
	// referred, not resident, ...); the error says why.
	ErrStay = errors.New("not possible for this person now")
	// errCentresAtHub refuses setting centres on an enrolled device.
	errCentresAtHub = errors.New("only the country authority sets the reception centres: set them at the hub (reghub centre add|set); devices receive them at their next sync or bundle")
)

// Centres returns the authority's reception centres this device holds,
// verified against the authority's root key, or ErrNoCentres.
func (d *Device) Centres() (*trust.Centres, error) {
	cs, err := held(d, trust.CentresKind)
	if errors.Is(err, errNoDocument) {
		return nil, ErrNoCentres
	}
	return cs, err
}

// Centre returns one centre of the list, or ErrUnknownCentre.
func (d *Device) Centre(code string) (*trust.Centre, error) {
	cs, err := d.Centres()
	if err != nil {
		return nil, err
	}
	c := cs.Find(strings.ToUpper(strings.TrimSpace(code)))
	if c == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownCentre, code)
	}
	return c, nil
}

// putCentresKnown records, inside tx, that the device has just learned what
// its source knows of the centres.
func (d *Device) putCentresKnown(tx *store.Tx) error {
	return tx.PutMeta(metaCentresKnown, []byte(strconv.FormatInt(d.opts.Now().UnixMilli(), 10)))
}

// SetCentre adds a centre (add) or replaces the one of the same code, signs
// the new list and stores it, on a standalone device, which is its own
// country authority (a supervisor's task). An enrolled device refuses: its
// authority is the hub. A centre that breaks a rule is refused and nothing
// changes.
func (s *Session) SetCentre(c trust.Centre, add bool) (*trust.Centres, error) {
	if err := s.requireSupervisor(); err != nil {
		return nil, err
	}
	old, err := s.d.Centres()
	if err != nil && !errors.Is(err, ErrNoCentres) {
		return nil, err
	}
	exists := old.Find(c.Code) != nil
	switch {
	case add && exists:
		return nil, fmt.Errorf("%w: %s", ErrCentreExists, c.Code)
	case !add && !exists:
		return nil, fmt.Errorf("%w: %s", ErrUnknownCentre, c.Code)
	}
	var signed *trust.Centres
	err = s.withKeys(func(k *keys) error {
		if k.authority == nil {
			return errCentresAtHub
		}
		var err error
		signed, err = k.authority.SignCentres(*old.With(c), old, s.d.opts.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := putDocument(tx, trust.CentresKind, signed.Marshal()); err != nil {
			return err
		}
		if err := s.d.putCentresKnown(tx); err != nil {
			return err
		}
		return s.auditTx(tx, "centre_set", "", "centre "+c.Code)
	})
	if err != nil {
		return nil, err
	}
	return signed, nil
}

// Capacity is the capacity view of every centre this device knows: beds,
// residents, open referrals and free places per section, as last known on
// this device (View.AsOf says since when). It reads the occupancy counts
// the device keeps as events arrive and opens no sealed data.
func (s *Session) Capacity() ([]reception.View, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.d.capacity()
}

func (d *Device) capacity() ([]reception.View, error) {
	cs, err := d.Centres()
	if err != nil && !errors.Is(err, ErrNoCentres) {
		return nil, err
	}
	rows, err := d.st.Occupancy()
	if err != nil {
		return nil, err
	}
	counts := make([]reception.Count, len(rows))
	for i, r := range rows {
		counts[i] = reception.Count{Centre: r.Centre, Section: r.Section, Residents: r.Residents, Referred: r.Referred, Absent: r.Absent,
			AsOf: time.UnixMilli(r.AsOf)}
	}
	var known time.Time
	if d.info.Standalone {
		// Its own authority: every event of its centres is made here.
		known = d.opts.Now()
	} else if b, err := d.st.GetMeta(metaCentresKnown); err == nil {
		if ms, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			known = time.UnixMilli(ms)
		}
	}
	return reception.Views(cs, counts, known), nil
}

// stayAD binds a sealed stay to its table and record.
func stayAD(id string) []byte { return seal.AD("stays", "state", id) }

// putStay brings the occupancy projection up to date with record id's stay
// as folded now (nil: none), inside tx: the counts lose what the stay held
// before and gain what it holds now, and the sealed stay is rewritten.
// Called with the session's keys held.
func (s *Session) putStay(tx *store.Tx, id string, stay *registry.Stay) error {
	var old *registry.Stay
	if b, err := tx.Stay(id); err == nil {
		pt, err := seal.Open(s.k.master, b, stayAD(id))
		if err != nil {
			return fmt.Errorf("record %s: stay: %w", id, err)
		}
		old = new(registry.Stay)
		if err := json.Unmarshal(pt, old); err != nil {
			return fmt.Errorf("record %s: stored stay malformed: %w", id, err)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if stay == nil {
		if old == nil {
			return nil
		}
		if err := s.addDeltas(tx, old, nil); err != nil {
			return err
		}
		return tx.DeleteStay(id)
	}
	if old != nil && old.Event == stay.Event && old.State == stay.State {
		return nil
	}
	if err := s.addDeltas(tx, old, stay); err != nil {
		return err
	}
	b, _ := json.Marshal(stay)
	sealed, err := seal.Seal(s.k.master, b, stayAD(id))
	if err != nil {
		return err
	}
	return tx.PutStay(id, stay.Open(), sealed)
}

func (s *Session) addDeltas(tx *store.Tx, old, new *registry.Stay) error {
	now := s.d.opts.Now().UnixMilli()
	for _, d := range reception.Deltas(old, new) {
		if err := tx.AddOccupancy(d.Centre, d.Section, d.Residents, d.Referred, d.Absent, now); err != nil {
			return err
		}
	}
	return nil
}

// ForgetStay removes record id's stay from the occupancy projection (the
// counts and the sealed stay), inside tx: for erasure, which drops a
// person's accommodation entries with the rest of the record.
func (s *Session) ForgetStay(tx *store.Tx, id string) error { return s.putStay(tx, id, nil) }

// writeTx runs fn in one write transaction of this device's log, with the
// session's keys held and the device's write lock taken (in that order, as
// every writer does).
func (s *Session) writeTx(fn func(tx *store.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	s.d.writeMu.Lock()
	defer s.d.writeMu.Unlock()
	return s.d.st.Update(context.Background(), fn)
}

// checkSection refuses a section that is given but unknown.
func checkSection(section string) error {
	if section != "" && !registry.ValidSection(section) {
		return fmt.Errorf("unknown section %q (sections: %s)", section, strings.Join(registry.Sections, ", "))
	}
	return nil
}

// Referral is what refer recorded: the people referred together, the centre
// and section, and the free places there as known after it (negative: over
// capacity, which is shown, never refused).
type Referral struct {
	IDs     []string  `json:"ids"`
	Centre  string    `json:"centre"`
	Name    string    `json:"name"`
	Address string    `json:"address,omitempty"`
	Place   string    `json:"place,omitempty"`
	Section string    `json:"section"`
	At      time.Time `json:"at"`
	Free    int       `json:"free"`
	Over    int       `json:"over_capacity,omitempty"`
}

// ReferralOptions are the optional parts of a referral.
type ReferralOptions struct {
	Section   string // "": the first section that fits with a free place
	Reason    string // why this centre (free text, sealed)
	Transport string // how the person gets there (sealed)
}

// people reads the records of ids (canonical, no repeats) for the fit
// rules, inside tx.
func (s *Session) people(tx *store.Tx, ids []string) ([]*registry.Record, error) {
	out := make([]*registry.Record, 0, len(ids))
	for _, id := range ids {
		r, err := s.foldTx(tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrUnknownRecord, id)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ErrUnknownRecord is a registration ID this device does not hold.
var ErrUnknownRecord = errors.New("no registration with this ID on this device")

// canonIDs reads registration IDs as typed, refusing one that is not an ID
// and dropping repeats.
func canonIDs(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, errors.New("give at least one registration ID")
	}
	if len(ids) > registry.MaxGroupReferral {
		return nil, fmt.Errorf("at most %d people together", registry.MaxGroupReferral)
	}
	var out []string
	for _, id := range ids {
		c, err := registry.ParseRegID(id)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", id, err)
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// chooseSection picks the section for a referral of n people who fit
// sections fit at centre v: the first with n free places, else the first the
// centre has beds in (over capacity is shown, not refused).
func chooseSection(v *reception.View, fit []string, n int) string {
	for _, s := range fit {
		if sec, ok := v.Sections[s]; ok && sec.Capacity > 0 && sec.Free >= n {
			return s
		}
	}
	for _, s := range fit {
		if sec, ok := v.Sections[s]; ok && sec.Capacity > 0 {
			return s
		}
	}
	return ""
}

func (d *Device) view(code string) (*reception.View, *trust.Centre, error) {
	c, err := d.Centre(code)
	if err != nil {
		return nil, nil, err
	}
	views, err := d.capacity()
	if err != nil {
		return nil, nil, err
	}
	for i := range views {
		if views[i].Code == c.Code {
			return &views[i], c, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: %s", ErrUnknownCentre, code)
}

// Refer refers the people ids together (a family or group stays together)
// to a section of centre code. The section must fit them
// (registry.CheckFit: an unaccompanied child only to unaccompanied_children
// or vulnerable, a family to families or vulnerable, ...); without one, the
// first that fits with free places is taken. A centre closed or full by
// decision, an unknown centre, section or ID, a person who already holds a
// place, or a section that does not fit is refused in words and nothing is
// recorded. A section with no free place left is not refused: the result
// says by how many it is over capacity.
func (s *Session) Refer(ids []string, code string, o ReferralOptions) (*Referral, error) {
	return s.place(registry.OpRefer, ids, code, o)
}

// Transfer refers residents of one centre on to another (ids together, as
// Refer): their bed is freed when the transfer is recorded and a place is
// kept at the new centre until they check in there.
func (s *Session) Transfer(ids []string, code string, o ReferralOptions) (*Referral, error) {
	return s.place(registry.OpTransfer, ids, code, o)
}

func (s *Session) place(op string, ids []string, code string, o ReferralOptions) (*Referral, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ids, err := canonIDs(ids)
	if err != nil {
		return nil, err
	}
	v, c, err := s.d.view(code)
	if err != nil {
		return nil, err
	}
	if c.Status != "open" {
		return nil, fmt.Errorf("%w: %s is %s", ErrCentreNotOpen, c.Code, c.Status)
	}
	if err := checkSection(o.Section); err != nil {
		return nil, err
	}
	occ := &registry.Occupancy{Centre: c.Code, Reason: strings.TrimSpace(o.Reason), Transport: strings.TrimSpace(o.Transport)}
	if len(ids) > 1 {
		occ.Group = ids
	}
	ref := &Referral{IDs: ids, Centre: c.Code, Name: c.Name, Address: c.Address, Place: c.Place}
	err = s.writeTx(func(tx *store.Tx) error {
		recs, err := s.people(tx, ids)
		if err != nil {
			return err
		}
		people := make([]*registry.Person, len(recs))
		for i, r := range recs {
			people[i] = &r.Person
			switch {
			case op == registry.OpRefer && r.Stay.Open():
				return fmt.Errorf("%w: %s is already %s at %s (check out, or transfer, first)", ErrStay, r.ID, r.Stay.State, r.Stay.Centre)
			case op == registry.OpTransfer && (r.Stay == nil || (r.Stay.State != registry.StayResident && r.Stay.State != registry.StayAbsent)):
				return fmt.Errorf("%w: %s is not checked in at a centre (refer instead)", ErrStay, r.ID)
			case op == registry.OpTransfer && r.Stay.Centre == c.Code:
				return fmt.Errorf("%w: %s is at %s already", ErrStay, r.ID, c.Code)
			}
		}
		at := s.d.opts.Now()
		section := o.Section
		if section == "" {
			if section = chooseSection(v, registry.Fit(people, at), len(ids)); section == "" {
				return fmt.Errorf("%w: %s has no beds in %s", registry.ErrDoesNotFit, c.Code, strings.Join(registry.Fit(people, at), " or "))
			}
		}
		if err := registry.CheckFit(people, section, at); err != nil {
			return err
		}
		if c.Capacity[section] == 0 {
			return fmt.Errorf("%w: %s has no beds in %s", registry.ErrDoesNotFit, c.Code, section)
		}
		occ.Section = section
		for _, id := range ids {
			if _, err := s.recordEvent(tx, id, op, &registry.Change{Stay: occ}); err != nil {
				return err
			}
		}
		ref.Section, ref.At = section, at.UTC()
		return appendAudit(tx, s.k.audit, at, s.officer.ID, op, ids[0], fmt.Sprintf("centre=%s section=%s people=%d", c.Code, section, len(ids)))
	})
	if err != nil {
		return nil, err
	}
	if v, _, err := s.d.view(c.Code); err == nil {
		ref.Free = v.Sections[ref.Section].Free
		ref.Over = v.Sections[ref.Section].Over
	}
	return ref, nil
}

// CheckIn is what a check-in recorded: each person checked in (a family
// referred together checks in together), and whether they walked in
// without a referral to this centre.
type CheckIn struct {
	Centre string   `json:"centre"`
	IDs    []string `json:"ids"`
	WalkIn bool     `json:"walk_in,omitempty"`
	Over   int      `json:"over_capacity,omitempty"`
}

// CheckIn checks person id in at centre code. Referred there, they take the
// section they were referred to, and the others referred with them who are
// still expected check in together; back from an absence, they return to
// their bed. Not referred there, they are recorded as walking in, in
// section (or the first that fits). An unknown centre or ID, a centre
// closed, someone already checked in there, or a section that does not fit
// is refused and nothing is recorded. A full section is not refused: the
// centre decides, and the count shows it over capacity.
func (s *Session) CheckIn(code, id, section string) (*CheckIn, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ids, err := canonIDs([]string{id})
	if err != nil {
		return nil, err
	}
	v, c, err := s.d.view(code)
	if err != nil {
		return nil, err
	}
	if c.Status == "closed" {
		return nil, fmt.Errorf("%w: %s is closed", ErrCentreNotOpen, c.Code)
	}
	if err := checkSection(section); err != nil {
		return nil, err
	}
	res := &CheckIn{Centre: c.Code}
	err = s.writeTx(func(tx *store.Tx) error {
		recs, err := s.people(tx, ids)
		if err != nil {
			return err
		}
		r := recs[0]
		st := r.Stay
		at := s.d.opts.Now()
		switch {
		case st != nil && st.Centre == c.Code && st.State == registry.StayResident:
			return fmt.Errorf("%w: %s is checked in at %s already", ErrStay, r.ID, c.Code)
		case st != nil && st.Centre == c.Code && (st.State == registry.StayReferred || st.State == registry.StayAbsent):
			// Expected here, or back from an absence: with the others of the group still expected.
			todo := []*registry.Record{r}
			for _, other := range st.Group {
				if other == r.ID {
					continue
				}
				o, err := s.foldTx(tx, other)
				if err != nil {
					continue // not on this device: checks in when they arrive
				}
				if o.Stay != nil && o.Stay.Centre == c.Code && o.Stay.State == registry.StayReferred && slices.Equal(o.Stay.Group, st.Group) {
					todo = append(todo, o)
				}
			}
			for _, m := range todo {
				occ := &registry.Occupancy{Centre: c.Code, Section: m.Stay.Section, Group: st.Group}
				if _, err := s.recordEvent(tx, m.ID, registry.OpCheckIn, &registry.Change{Stay: occ}); err != nil {
					return err
				}
				res.IDs = append(res.IDs, m.ID)
			}
			section = st.Section
		default:
			// Walked in: not referred here.
			people := []*registry.Person{&r.Person}
			if section == "" {
				if section = chooseSection(v, registry.Fit(people, at), 1); section == "" {
					return fmt.Errorf("%w: %s has no beds in %s", registry.ErrDoesNotFit, c.Code, strings.Join(registry.Fit(people, at), " or "))
				}
			}
			if err := registry.CheckFit(people, section, at); err != nil {
				return err
			}
			occ := &registry.Occupancy{Centre: c.Code, Section: section, WalkIn: true}
			if _, err := s.recordEvent(tx, r.ID, registry.OpCheckIn, &registry.Change{Stay: occ}); err != nil {
				return err
			}
			res.IDs, res.WalkIn = []string{r.ID}, true
		}
		return appendAudit(tx, s.k.audit, at, s.officer.ID, "checkin", r.ID, fmt.Sprintf("centre=%s section=%s people=%d walk_in=%v", c.Code, section, len(res.IDs), res.WalkIn))
	})
	if err != nil {
		return nil, err
	}
	if v, _, err := s.d.view(c.Code); err == nil {
		res.Over = v.Sections[section].Over
	}
	return res, nil
}

// ErrReceiptNotValid is a receipt that does not verify; the error says why.
var ErrReceiptNotValid = errors.New("the receipt is not valid")

// CheckInReceipt checks in the person whose receipt text was scanned (the
// same offline verification as Verify): a receipt that is not valid is
// refused with the verdict's reason, and nothing is recorded.
func (s *Session) CheckInReceipt(code, text, section string) (*CheckIn, error) {
	v, err := s.d.VerifyReceipt(text)
	if err != nil {
		return nil, err
	}
	if !v.Valid || v.Fields == nil {
		return nil, fmt.Errorf("%w: %s", ErrReceiptNotValid, v.Message)
	}
	return s.CheckIn(code, v.RegistrationID, section)
}

// Absent records that resident id is temporarily away from their centre:
// the bed is held until they return (check in again) or are checked out.
func (s *Session) Absent(id string) error {
	return s.leave(registry.OpAbsent, id, "")
}

// CheckOut records that id left their centre for reason (one of
// registry.CheckoutReasons), or, with registry.LeftNotArrived, closes a
// referral that never arrived. The place is freed.
func (s *Session) CheckOut(id, reason string) error {
	if !slices.Contains(registry.CheckoutReasons, reason) {
		return fmt.Errorf("unknown reason %q (reasons: %s)", reason, strings.Join(registry.CheckoutReasons, ", "))
	}
	return s.leave(registry.OpCheckOut, id, reason)
}

func (s *Session) leave(op, id, reason string) error {
	if err := s.check(); err != nil {
		return err
	}
	ids, err := canonIDs([]string{id})
	if err != nil {
		return err
	}
	return s.writeTx(func(tx *store.Tx) error {
		recs, err := s.people(tx, ids)
		if err != nil {
			return err
		}
		r := recs[0]
		st := r.Stay
		resident := st != nil && (st.State == registry.StayResident || st.State == registry.StayAbsent)
		switch {
		case !st.Open():
			return fmt.Errorf("%w: %s holds no place at any centre", ErrStay, r.ID)
		case op == registry.OpAbsent && st.State != registry.StayResident:
			return fmt.Errorf("%w: %s is not checked in (%s)", ErrStay, r.ID, st.State)
		case reason == registry.LeftNotArrived && st.State != registry.StayReferred:
			return fmt.Errorf("%w: %s arrived; check out with another reason", ErrStay, r.ID)
		case op == registry.OpCheckOut && reason != registry.LeftNotArrived && !resident:
			return fmt.Errorf("%w: %s never checked in; close the referral with --reason %s", ErrStay, r.ID, registry.LeftNotArrived)
		}
		occ := &registry.Occupancy{Centre: st.Centre, Section: st.Section, Reason: reason}
		if _, err := s.recordEvent(tx, r.ID, op, &registry.Change{Stay: occ}); err != nil {
			return err
		}
		return appendAudit(tx, s.k.audit, s.d.opts.Now(), s.officer.ID, op, r.ID, "centre="+st.Centre+" "+reason)
	})
}

// Resident is a person a centre expects or houses, with what needs doing:
// DidNotArrive (referred longer ago than the centre's did-not-arrive limit)
// and AbsentTooLong (away longer than its absence limit: to check out; the
// bed is held until then).
type Resident struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Section       string    `json:"section"`
	State         string    `json:"state"` // referred, resident, absent
	Since         time.Time `json:"since"`
	WalkIn        bool      `json:"walk_in,omitempty"`
	Group         []string  `json:"group,omitempty"`
	DidNotArrive  bool      `json:"did_not_arrive,omitempty"`
	AbsentTooLong bool      `json:"absent_too_long,omitempty"`
}

// Residents lists the people referred to, living at or absent from centre
// code, by state then name. Opening the list is audit-logged.
func (s *Session) Residents(code string) ([]Resident, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	c, err := s.d.Centre(code)
	if err != nil {
		return nil, err
	}
	now := s.d.opts.Now()
	var out []Resident
	err = s.d.st.OpenStays(context.Background(), func(id string, b []byte) error {
		var st registry.Stay
		err := s.withKeys(func(k *keys) error {
			pt, err := seal.Open(k.master, b, stayAD(id))
			if err != nil {
				return fmt.Errorf("record %s: stay: %w", id, err)
			}
			return json.Unmarshal(pt, &st)
		})
		if err != nil || st.Centre != c.Code {
			return err
		}
		m, err := s.Summary(id)
		if err != nil {
			return err
		}
		since := st.Since.Time()
		out = append(out, Resident{ID: id, Name: m.FullName(), Section: st.Section, State: st.State, Since: since, WalkIn: st.WalkIn, Group: st.Group,
			DidNotArrive:  st.State == registry.StayReferred && now.Sub(since) > c.NoShow(),
			AbsentTooLong: st.State == registry.StayAbsent && now.Sub(since) > c.Absence()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	order := map[string]int{registry.StayReferred: 0, registry.StayResident: 1, registry.StayAbsent: 2}
	slices.SortFunc(out, func(a, b Resident) int {
		if a.State != b.State {
			return order[a.State] - order[b.State]
		}
		if a.Name != b.Name {
			return strings.Compare(a.Name, b.Name)
		}
		return strings.Compare(a.ID, b.ID)
	})
	if err := s.audit("residents", "", "centre "+c.Code); err != nil {
		return nil, err
	}
	return out, nil
}

// StayOf returns where person id is referred or staying (nil: nowhere), and
// the centre when it is in the list: for the receipt and the record screen.
func (s *Session) StayOf(id string) (*registry.Stay, *trust.Centre, error) {
	r, err := s.state(id)
	if err != nil {
		return nil, nil, err
	}
	if !r.Stay.Open() {
		return nil, nil, nil
	}
	c, err := s.d.Centre(r.Stay.Centre)
	if err != nil && !errors.Is(err, ErrUnknownCentre) && !errors.Is(err, ErrNoCentres) {
		return nil, nil, err
	}
	return r.Stay, c, nil
}

// Offers lists the open centres with a section that fits the people ids
// together (registry.Fit), best first (reception.Offers): what the
// referral panel offers after a registration, with free places as last
// known on this device.
func (s *Session) Offers(ids []string) ([]reception.Offer, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ids, err := canonIDs(ids)
	if err != nil {
		return nil, err
	}
	people := make([]*registry.Person, 0, len(ids))
	for _, id := range ids {
		r, err := s.state(id)
		if err != nil {
			return nil, err
		}
		people = append(people, &r.Person)
	}
	views, err := s.d.capacity()
	if err != nil {
		return nil, err
	}
	return reception.Offers(views, registry.Fit(people, s.d.opts.Now()), len(ids)), nil
}
