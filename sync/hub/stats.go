package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// The hub counts after it stores. A push or a bundle stores its events in
// one transaction, which also marks their records pending
// (hubstore.Tx.AddPending); the events are then durable and acknowledged.
// The counting pass (countPending) takes pending records off the queue and
// counts them, a batch per transaction: each record's events are read and
// opened once, folded for the statistics (its fact, stats.Fact sealed
// under the records key, replaces the one it was counted with, and the
// difference goes into the per-day aggregate, sealed under the records key
// too: hubstore.PutCounted) and, its
// occupancy events, for the occupancy projection (centres.go). Counting a
// record works out its counts from all its events and adds the difference
// to what it was counted with, so counting it again changes nothing; and
// it leaves the queue in the transaction that counts it, so a crash
// between the push and the pass leaves it pending, counted by the next
// pass, never counted twice nor missed. `reghub serve` runs the pass in
// the background once pushes pause (runCounting); whatever reads the
// figures (Stats, Capacity, the dashboard) finishes it first, so figures
// are exact whenever they are read. A record whose events do not open or
// fold is left as counted before: a count never stops a registration from
// being kept, nor the pass from counting the others.
//
// Records stored before counting existed, or copied by `reghub migrate`
// (which copies events, not the aggregate), have no fact yet; the first
// Stats counts them (catchUp), so figures are always complete.
// docs/statistics.md.

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

// countBatch is how many pending records one transaction of the counting
// pass counts: a pass holds SQLite's writer for one batch at a time, so a
// push waits for at most one batch.
const countBatch = 500

// countPending runs the counting pass until no record is pending, and
// returns how many records it counted. In the background (skipLocked)
// records another server is counting are left to it; a reader of the
// figures waits for them instead.
func (h *Hub) countPending(ctx context.Context, skipLocked bool) (int, error) {
	total := 0
	for {
		n := 0
		err := h.st.Update(ctx, func(tx hubstore.Tx) error {
			ids, err := tx.TakePending(countBatch, skipLocked)
			if n = len(ids); err != nil || n == 0 {
				return err
			}
			return h.countRecords(ctx, tx, ids)
		})
		if err != nil || n == 0 {
			return total, err
		}
		total += n
	}
}

// The background pass waits for pushes to pause for countQuiet (no store
// for that long, and no push request in progress), so that a push has the
// machine to itself, and under steady pushing counts at
// least every countLatest. Nothing waits on it but the readers of the
// figures, which finish it themselves: it only keeps the queue short.
const (
	countQuiet  = 300 * time.Millisecond
	countLatest = time.Minute
)

// runCounting runs the counting pass until ctx is done: at once (what a
// crash left pending), then after pushes (store signals h.stored).
func (h *Hub) runCounting(ctx context.Context) {
	var since time.Time // the first store not counted yet; zero: none
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.stored:
			if since.IsZero() {
				since = time.Now()
			}
			t.Reset(max(0, min(countQuiet, time.Until(since.Add(countLatest)))))
		case <-t.C:
			if h.group.pushing.Load() > 0 && !since.IsZero() && time.Since(since) < countLatest {
				// A push is being judged or stored: not a pause.
				t.Reset(min(countQuiet, time.Until(since.Add(countLatest))))
				continue
			}
			since = time.Time{}
			if n, err := h.countPending(ctx, true); err != nil && ctx.Err() == nil {
				h.log.Warn("counting pass stopped; the records left are counted by the next pass or when figures are read", "err", err.Error())
			} else if n > 0 {
				h.log.Debug("records counted", "records", n)
			}
		}
	}
}

// countRecords counts records ids (in order, no repeats) inside tx, each
// from all its events, read for the whole batch at once
// (hubstore.Tx.ToCount) and opened once for both projections: the
// statistics at a country hub, and the occupancy projection.
func (h *Hub) countRecords(ctx context.Context, tx hubstore.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	batch, err := tx.ToCount(ids)
	if err != nil {
		return err
	}
	var facts []hubstore.Fact
	var cells []stats.Cell
	now := h.opts.Now()
	for _, rc := range batch {
		// An erased record keeps the counts it was counted with and has
		// nothing left to count again.
		if rc.Erased || len(rc.Events) == 0 {
			continue
		}
		opened, stays, err := h.openAll(rc.Events)
		if errors.Is(err, errNotCounted) {
			h.log.Warn("record not counted", "record", rc.Record, "err", err.Error())
			continue
		}
		if err := h.restay(tx, rc.Record, stays, now); err != nil {
			return err
		}
		if h.IsRegion() || errors.Is(err, errErasedEvents) {
			continue // a region counts no statistics; an erased record's stay as counted
		}
		f, c, err := h.recount(ctx, rc, opened)
		if errors.Is(err, errNotCounted) {
			h.log.Warn("record not counted in the statistics", "record", rc.Record, "err", err.Error())
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
	if len(facts) == 0 && len(cells) == 0 {
		return nil
	}
	return hubstore.PutCounted(tx, h.records, facts, cells)
}

// errNotCounted wraps why a record's events cannot be counted (they do
// not open or fold): a fact of the record, not of the database.
var errNotCounted = errors.New("not counted")

// errErasedEvents: a record with erased events or an erase event keeps
// the statistics it was counted with (its occupancy events still count
// until the erasure takes its stay out).
var errErasedEvents = errors.New("erased events")

// openFact opens what record id is counted with in the statistics
// (sealed); nil when not counted yet.
func (h *Hub) openFact(id string, sealed []byte) (*stats.Fact, error) {
	if sealed == nil {
		return nil, nil
	}
	b, err := seal.Open(h.records, sealed, seal.AD("stats", "fact", id))
	if err != nil {
		return nil, fmt.Errorf("%w: counted fact does not open: %v", errNotCounted, err)
	}
	old := new(stats.Fact)
	if err := json.Unmarshal(b, old); err != nil {
		return nil, fmt.Errorf("%w: counted fact malformed", errNotCounted)
	}
	return old, nil
}

// openAll opens each of a record's events once: all of them for the fold
// (nil, with errErasedEvents, when one is erased or erases), and the
// occupancy events among them as stay events. An event that does not open
// is errNotCounted.
func (h *Hub) openAll(evs []*registry.Event) ([]registry.Opened, []registry.StayEvent, error) {
	opened := make([]registry.Opened, 0, len(evs))
	var stays []registry.StayEvent
	var erased error
	for _, e := range evs {
		if e.Erased() || e.Op == registry.OpErase {
			erased = errErasedEvents // an erased event arrives without its payload: nothing to open
			continue
		}
		c, err := e.OpenChange(h.records)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: event %s: %v", errNotCounted, e.ID(), err)
		}
		if registry.IsOccupancyOp(e.Op) {
			if c.Stay == nil {
				return nil, nil, fmt.Errorf("%w: occupancy event %s without a stay", errNotCounted, e.ID())
			}
			stays = append(stays, registry.StayEvent{Event: e.ID(), HLC: e.HLC, Op: e.Op, Stay: *c.Stay})
		}
		opened = append(opened, registry.Opened{Event: e, Change: c})
	}
	if erased != nil {
		return nil, stays, erased
	}
	return opened, stays, nil
}

// recount works out what record rc is counted with now (its events
// opened) and the cells that change from what it was counted with; a nil
// fact when nothing changes.
func (h *Hub) recount(ctx context.Context, rc hubstore.Counting, opened []registry.Opened) (*hubstore.Fact, []stats.Cell, error) {
	old, err := h.openFact(rc.Record, rc.Fact)
	if err != nil {
		return nil, nil, err
	}
	r, err := registry.Fold(rc.Record, opened)
	if err != nil || len(r.Versions) == 0 {
		return nil, nil, fmt.Errorf("%w: %v", errNotCounted, err)
	}
	first := r.Versions[0]
	now := stats.FactOf(r, h.stationOf(ctx, first.Event.Origin), h.auth.IndexKey)
	if first.Op == registry.OpRegister {
		i := slices.IndexFunc(rc.Events, func(e *registry.Event) bool { return e.ID() == first.Event })
		if i < 0 {
			return nil, nil, fmt.Errorf("hub: counting %s: its first event is not among its events", rc.Record) // a bug if seen
		}
		now = now.Transmitted(stats.ClockStart(r), rc.Received[i])
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
	s, err := seal.Seal(h.records, b, seal.AD("stats", "fact", rc.Record))
	if err != nil {
		return nil, nil, err
	}
	return &hubstore.Fact{Record: rc.Record, Sealed: s}, cells, nil
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
// first counts records not counted yet (the pending ones, and those stored
// before counting existed or copied by migrate). A region holds no records: ErrRegion (RegionStats).
func (h *Hub) Stats(ctx context.Context, q stats.Query) (*stats.Figures, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	if h.IsRegion() {
		return nil, ErrRegion
	}
	if _, err := h.countPending(ctx, false); err != nil {
		return nil, fmt.Errorf("statistics: counting records: %w", err)
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
