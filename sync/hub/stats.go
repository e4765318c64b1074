package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// The hub counts as events arrive. Events are sealed under the records
// key, which the hub holds in memory whenever it serves or imports (it is
// opened with the operator's passphrase), so Hub.store counts the
// records its events touch in the same transaction that stores them:
// each record is folded from its events, its fact (stats.Fact, sealed
// under the records key) replaces the one it was counted with, and the
// difference goes into the per-day aggregate, sealed under the records
// key too (hubstore.PutCounted: counts beside receipt times can tell a
// person's category on a quiet day). A record whose events do not fold is
// left as counted before, and ingestion goes on: a count never stops a
// registration from being kept.
//
// Records stored before this version, or copied by `reghub migrate` (which
// copies events, not the aggregate), have no fact yet; the first Stats
// counts them (catchUp), so figures are always complete. docs/statistics.md.

// stationCache maps device IDs to the stations of their credentials.
type stationCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (h *Hub) stationOf(ctx context.Context, device string) string {
	c := &h.stations
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[device]; ok {
		return v
	}
	if rows, err := h.st.Credentials(ctx); err == nil {
		c.m = make(map[string]string, len(rows))
		for _, r := range rows {
			c.m[r.DeviceID] = r.Station
		}
	}
	if v, ok := c.m[device]; ok {
		return v
	}
	return stats.Unknown
}

// count recounts, inside tx, the records of events (those just stored),
// each once.
func (h *Hub) count(ctx context.Context, tx hubstore.Tx, events []*registry.Event) error {
	ids := make([]string, 0, len(events))
	for _, e := range events {
		ids = append(ids, e.Record)
	}
	slices.Sort(ids) // a fixed order: two servers lock records in the same order
	return h.countRecords(ctx, tx, slices.Compact(ids))
}

func (h *Hub) countRecords(ctx context.Context, tx hubstore.Tx, ids []string) error {
	var facts []hubstore.Fact
	var cells []stats.Cell
	for _, id := range ids {
		// An erased record keeps the counts it was counted with and has
		// nothing left to count again.
		if gone, err := tx.Erased(id); err != nil || gone {
			if err != nil {
				return err
			}
			continue
		}
		f, c, err := h.recount(ctx, tx, id)
		if errors.Is(err, errNotCounted) {
			h.log.Warn("record not counted in the statistics", "record", id, "err", err.Error())
			continue
		}
		if err != nil {
			return err
		}
		if f != nil {
			facts = append(facts, *f)
			cells = append(cells, c...)
		}
	}
	return hubstore.PutCounted(tx, h.records, facts, cells)
}

// errNotCounted wraps why a record's events cannot be counted (they do
// not open or fold): a fact of the record, not of the database.
var errNotCounted = errors.New("not counted")

// recount works out what record id is counted with now, and the cells that
// change; a nil fact when nothing changes.
func (h *Hub) recount(ctx context.Context, tx hubstore.Tx, id string) (*hubstore.Fact, []stats.Cell, error) {
	old, err := h.countedFact(tx, id)
	if err != nil {
		return nil, nil, err
	}
	evs, err := tx.RecordEvents(id)
	if err != nil {
		return nil, nil, err
	}
	opened := make([]registry.Opened, 0, len(evs))
	for _, e := range evs {
		if e.Erased() || e.Op == registry.OpErase {
			// Erased: the counts already made stay as they are.
			return nil, nil, nil
		}
		c, err := e.OpenChange(h.records)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", errNotCounted, err)
		}
		opened = append(opened, registry.Opened{Event: e, Change: c})
	}
	r, err := registry.Fold(id, opened)
	if err != nil || len(r.Versions) == 0 {
		return nil, nil, fmt.Errorf("%w: %v", errNotCounted, err)
	}
	first := r.Versions[0]
	now := stats.FactOf(r, h.stationOf(ctx, first.Event.Origin), h.auth.IndexKey)
	if first.Op == registry.OpRegister {
		got, err := tx.Received(first.Event)
		if err != nil {
			return nil, nil, err
		}
		now = now.Transmitted(stats.ClockStart(r), got)
	}
	if old != nil {
		// A "registered elsewhere" hit is a fact of the region's answer,
		// not of the record: it stays (countHit).
		now.ElsewhereDay = old.ElsewhereDay
	}
	cells := stats.Delta(old, &now)
	if old != nil && len(cells) == 0 {
		return nil, nil, nil
	}
	b, _ := json.Marshal(now)
	s, err := seal.Seal(h.records, b, seal.AD("stats", "fact", id))
	if err != nil {
		return nil, nil, err
	}
	return &hubstore.Fact{Record: id, Sealed: s}, cells, nil
}

// catchUpBatch is how many uncounted records one transaction counts.
const catchUpBatch = 500

// countedAll is the stat_facts row that says a catch-up pass went through
// every record: from then on ingestion counts each record as it arrives.
// It lives beside the facts (not in the settings, which migrate copies), so
// a database that received events without their counts (a copy) has none.
// Registration IDs never start with "~".
const countedAll = "~all-counted"

// catchUp counts the records that have events but no fact yet, once.
func (h *Hub) catchUp(ctx context.Context) error {
	var done bool
	err := h.st.Update(ctx, func(tx hubstore.Tx) error {
		_, err := tx.RecordFact(countedAll)
		done = err == nil
		if errors.Is(err, hubstore.ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil || done {
		return err
	}
	after := ""
	for {
		ids, err := h.st.Uncounted(ctx, after, catchUpBatch)
		if err != nil {
			return err
		}
		err = h.st.Update(ctx, func(tx hubstore.Tx) error {
			if len(ids) == 0 {
				return hubstore.PutCounted(tx, h.records, []hubstore.Fact{{Record: countedAll, Sealed: []byte{1}}}, nil)
			}
			return h.countRecords(ctx, tx, ids)
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		after = ids[len(ids)-1]
	}
}

// Stats works out the figures of q over the country's records, exact. It
// first counts records not counted yet (stored before this version, or
// copied by migrate). A region holds no records: ErrRegion (RegionStats).
func (h *Hub) Stats(ctx context.Context, q stats.Query) (*stats.Figures, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	if h.IsRegion() {
		return nil, ErrRegion
	}
	if err := h.catchUp(ctx); err != nil {
		return nil, fmt.Errorf("statistics: counting records: %w", err)
	}
	f, err := stats.Compute(ctx, q, hubstore.StatScan(h.st, h.records))
	if err != nil {
		return nil, err
	}
	if f.Accommodation, err = h.accommodation(ctx, q); err != nil {
		return nil, fmt.Errorf("statistics: reception centres: %w", err)
	}
	return f, nil
}
