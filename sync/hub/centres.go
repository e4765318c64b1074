package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/reception"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/trust"
)

// Errors of the centre commands.
var (
	// ErrNoCentres: the authority has listed no reception centre yet.
	ErrNoCentres = errors.New("no reception centres are listed yet: add them with 'reghub centre add'")
	// ErrUnknownCentre: no centre of that code in the list.
	ErrUnknownCentre = errors.New("no reception centre has this code")
	// ErrCentreExists: centre add of a code already listed.
	ErrCentreExists = errors.New("a reception centre with this code exists already (change it with 'reghub centre set')")
)

// Centres returns the authority's list of reception centres, or ErrNoCentres.
func (h *Hub) Centres(ctx context.Context) (*trust.Centres, error) {
	cs, err := heldDocument(func(key string) ([]byte, error) { return h.st.GetMeta(ctx, key) }, trust.CentresKind)
	if errors.Is(err, hubstore.ErrNotFound) {
		return nil, ErrNoCentres
	}
	return cs, err
}

// Centre returns one centre of the list, or ErrUnknownCentre.
func (h *Hub) Centre(ctx context.Context, code string) (*trust.Centre, error) {
	cs, err := h.Centres(ctx)
	if err != nil {
		return nil, err
	}
	if c := cs.Find(code); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownCentre, code)
}

// SetCentre adds a centre (add) or replaces the one of the same code,
// signs the new list with the authority's root key and keeps it: every
// device receives it at its next sync or in its next bundle. The new list
// is dated after the one before, so devices always take it. A centre that
// breaks a rule (an unknown section, a negative or absurd capacity, a bad
// code) is refused and nothing changes.
func (h *Hub) SetCentre(ctx context.Context, c trust.Centre, add bool) (*trust.Centres, error) {
	signed, err := signDocument(ctx, h, trust.CentresKind, func(old *trust.Centres) (*trust.Centres, error) {
		exists := old.Find(c.Code) != nil
		switch {
		case add && exists:
			return nil, fmt.Errorf("%w: %s", ErrCentreExists, c.Code)
		case !add && !exists:
			return nil, fmt.Errorf("%w: %s", ErrUnknownCentre, c.Code)
		}
		return h.auth.SignCentres(*old.With(c), old, h.opts.Now())
	})
	if err != nil {
		return nil, err
	}
	h.log.Info("reception centre set", "centre", c.Code, "issued", signed.Issued)
	return signed, nil
}

// Capacity is the capacity view of the whole country: per centre and
// section the beds, residents, open referrals and free places, and the
// arrivals and departures of the last DaysShown days (by the day each
// event was signed), from the counts the hub keeps of the occupancy events
// (the records not counted yet are counted first; stats.go).
// A centre's AsOf is when the hub last took one of its events, or when the
// list was signed.
func (h *Hub) Capacity(ctx context.Context) ([]reception.View, error) {
	cs, err := h.Centres(ctx)
	if err != nil && !errors.Is(err, ErrNoCentres) {
		return nil, err
	}
	if _, err := h.countPending(ctx, false); err != nil {
		return nil, fmt.Errorf("capacity: counting records: %w", err)
	}
	rows, err := h.st.Occupancy(ctx)
	if err != nil {
		return nil, err
	}
	counts := make([]reception.Count, len(rows))
	for i, r := range rows {
		counts[i] = reception.Count{Centre: r.Centre, Section: r.Section, Residents: r.Residents, Referred: r.Referred, Absent: r.Absent, AsOf: r.AsOf}
	}
	var known time.Time
	if cs != nil {
		known = time.Unix(cs.Issued, 0)
	}
	views := reception.Views(cs, counts, known)
	today := h.opts.Now().UTC()
	days, err := h.st.Days(ctx, today.AddDate(0, 0, -DaysShown+1).Format("2006-01-02"), today.Format("2006-01-02"))
	if err != nil {
		return nil, err
	}
	dc := make([]reception.DayCount, len(days))
	for i, d := range days {
		dc[i] = reception.DayCount(d)
	}
	reception.AddDays(views, dc)
	return views, nil
}

// DaysShown is how many days of arrivals and departures (today included)
// the capacity view shows.
const DaysShown = 7

// stayAD binds a person's sealed occupancy events at the hub to the record.
func stayAD(record string) []byte { return seal.AD("hub stays", "events", record) }

// restay brings the occupancy projection up to date with record's
// occupancy events (evs: all that are stored of it, opened), inside tx.
// The hub keeps, per person, the occupancy events the counts were made
// from (sealed under the records key: who stays where is personal data);
// the counts change by the difference between their fold and the fold of
// evs, so events arriving in any order give the same counts, and counting
// the same events again changes nothing.
func (h *Hub) restay(tx hubstore.Tx, record string, evs []registry.StayEvent, now time.Time) error {
	if len(evs) == 0 {
		return nil // no occupancy event: no stay (a stay only goes with an erasure)
	}
	held, err := h.heldStay(tx, record)
	if err != nil {
		return err
	}
	if sameEvents(held, evs) {
		return nil
	}
	cur := registry.FoldStay(evs)
	if err := addDeltas(tx, registry.FoldStay(held), cur, now); err != nil {
		return err
	}
	for _, d := range reception.MoveDeltas(registry.Moves(held), registry.Moves(evs)) {
		if err := tx.AddDay(hubstore.DayRow(d), false); err != nil {
			return err
		}
	}
	pt, _ := json.Marshal(evs)
	sealed, err := seal.Seal(h.records, pt, stayAD(record))
	if err != nil {
		return err
	}
	return tx.PutStay(record, cur.Open(), sealed)
}

// sameEvents reports whether a and b hold the same events.
func sameEvents(a, b []registry.StayEvent) bool {
	ids := make(map[registry.EventID]bool, len(a))
	for _, e := range a {
		ids[e.Event] = true
	}
	for _, e := range b {
		if !ids[e.Event] {
			return false
		}
		delete(ids, e.Event)
	}
	return len(ids) == 0
}

// heldStay reads (and on PostgreSQL locks) the occupancy events the hub
// holds of record, inside tx.
func (h *Hub) heldStay(tx hubstore.Tx, record string) ([]registry.StayEvent, error) {
	b, err := tx.Stay(record)
	if errors.Is(err, hubstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pt, err := seal.Open(h.records, b, stayAD(record))
	if err != nil {
		return nil, fmt.Errorf("hub: the stay of %s does not open: %w", record, err)
	}
	var held []registry.StayEvent
	if err := json.Unmarshal(pt, &held); err != nil {
		return nil, fmt.Errorf("hub: the stay of %s is malformed: %w", record, err)
	}
	return held, nil
}

// addDeltas changes the counts by what a person's stay held before (old)
// and holds now (cur), inside tx.
func addDeltas(tx hubstore.Tx, old, cur *registry.Stay, now time.Time) error {
	for _, d := range reception.Deltas(old, cur) {
		if err := tx.AddOccupancy(hubstore.OccupancyRow{Centre: d.Centre, Section: d.Section, Residents: d.Residents,
			Referred: d.Referred, Absent: d.Absent, AsOf: now}); err != nil {
			return err
		}
	}
	return nil
}

// ForgetStay removes record's stay from the hub's occupancy projection
// (its place in the counts and its sealed occupancy events), inside tx:
// for erasure, which drops a person's accommodation entries with the rest
// of the record. Nothing happens for a record without one.
func (h *Hub) ForgetStay(tx hubstore.Tx, record string) error {
	held, err := h.heldStay(tx, record)
	if err != nil || held == nil {
		return err
	}
	if err := addDeltas(tx, registry.FoldStay(held), nil, h.opts.Now()); err != nil {
		return err
	}
	return tx.DeleteStay(record)
}
