package hubstore

import (
	"slices"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/accept"
)

// FlagFuture marks events stamped more than a day (wire.FutureSkew) ahead
// of the hub's clock: stored, and flagged for the operator.
const FlagFuture = "future"

// Arrival is an event that reached the hub (a push or a bundle) with the
// verdict of the acceptance rule (registry/accept).
type Arrival struct {
	Event *registry.Event
	// Reason is "" when the event may be stored; otherwise why it is
	// quarantined (plain words, no personal data).
	Reason string
	// Lost: refused, and its slot is known lost (accept.Verdict.LosesSlot),
	// so its log's acknowledgement may pass it.
	Lost bool
	// Future: stamped too far ahead of the hub's clock; stored and flagged.
	Future bool
}

// Refusal is an event Ingest quarantined, and the reason.
type Refusal struct {
	Event  registry.EventID
	Reason string
}

// Ingested says what Ingest did with a chunk.
type Ingested struct {
	Accepted    int // new events stored
	Duplicates  int // already stored, identical
	Flagged     int // stored and flagged FlagFuture
	Quarantined []Refusal
	Stored      []*registry.Event // the new events stored (their records are pending: Tx.AddPending)
}

// IngestTx stores a chunk of arrivals in tx, the same for a push and a
// bundle, on every back end (their Tx.Ingest): the events that passed
// are inserted at once with insert-or-ignore; an identical replay counts
// as a duplicate; a different event under an existing key is quarantined
// (a forked log); a future stamp is flagged; an event that failed the rule
// is quarantined with its reason, and its slot recorded as a hole when
// Lost (docs/sync.md). The records of the events stored are made pending
// in the same transaction: the hub counts them after it commits, and a
// crash in between leaves them pending, never lost (Tx.AddPending).
func IngestTx(tx Tx, evs []Arrival, now time.Time) (Ingested, error) {
	var res Ingested
	good := make([]*registry.Event, 0, len(evs))
	future := make([]bool, 0, len(evs))
	for _, a := range evs {
		e := a.Event
		if a.Reason == "" {
			good = append(good, e)
			future = append(future, a.Future)
			continue
		}
		if err := tx.Quarantine(e, a.Reason, now); err != nil {
			return Ingested{}, err
		}
		if a.Lost {
			if err := tx.AddHole(e.ID(), a.Reason, now); err != nil {
				return Ingested{}, err
			}
		}
		res.Quarantined = append(res.Quarantined, Refusal{Event: e.ID(), Reason: a.Reason})
	}
	stored, err := tx.InsertEvents(good, now)
	if err != nil {
		return Ingested{}, err
	}
	for i, e := range good {
		if stored[i] {
			res.Accepted++
			res.Stored = append(res.Stored, e)
			if future[i] {
				res.Flagged++
				if err := tx.Flag(e.ID(), FlagFuture, now); err != nil {
					return Ingested{}, err
				}
			}
			continue
		}
		old, err := tx.Event(e.ID())
		if err != nil {
			return Ingested{}, err
		}
		if accept.Same(old, e) {
			res.Duplicates++
			continue
		}
		if err := tx.Quarantine(e, accept.ReasonForked, now); err != nil {
			return Ingested{}, err
		}
		res.Quarantined = append(res.Quarantined, Refusal{Event: e.ID(), Reason: "forked log"})
	}
	if len(res.Stored) > 0 {
		ids := make([]string, len(res.Stored))
		for i, e := range res.Stored {
			ids[i] = e.Record
		}
		slices.Sort(ids) // one order: two servers lock shared rows alike
		if err := tx.AddPending(slices.Compact(ids)); err != nil {
			return Ingested{}, err
		}
	}
	return res, nil
}

// NewCountings makes the entries Tx.ToCount returns for records, and the
// index of each record's entry.
func NewCountings(records []string) ([]Counting, map[string]int) {
	out := make([]Counting, len(records))
	at := make(map[string]int, len(records))
	for i, r := range records {
		out[i].Record, at[r] = r, i
	}
	return out, at
}
