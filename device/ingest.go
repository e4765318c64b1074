package device

// Ingestion: events from elsewhere (a pull from the hub, an answer bundle,
// ApplyEvents) judged by the acceptance rule (registry/accept), written in
// one transaction per chunk, and the records they touch folded again.

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/accept"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

// trustState is the deployment's trust as this device holds it.
type trustState struct {
	creds   map[string]*trust.Credential
	revoked *trust.RevocationList
}

func (d *Device) loadTrust() (*trustState, error) {
	rows, err := d.st.Credentials()
	if err != nil {
		return nil, err
	}
	ts := &trustState{creds: map[string]*trust.Credential{}}
	for _, r := range rows {
		if c, err := trust.UnmarshalCredential(r.Credential); err == nil {
			ts.creds[r.DeviceID] = c
		}
	}
	if b, err := d.st.GetMeta(metaRevocations); err == nil {
		ts.revoked, _ = trust.UnmarshalRevocationList(b)
	}
	return ts, nil
}

// applyChunk takes events from the hub in one transaction: each judged by
// the acceptance rule (registry/accept) under the trust list and
// revocation list this device holds, inserted or ignored, a different
// event under an existing key quarantined; then every record touched is
// folded again and its projection rewritten.
func (s *Session) applyChunk(evs []*registry.Event) (ApplyResult, error) {
	c, err := s.prepareChunk(evs)
	if err != nil {
		return ApplyResult{}, err
	}
	return s.writeChunk(c)
}

// preparedChunk is a chunk of events checked and, for records new to the
// device, folded and projected: everything but the write.
type preparedChunk struct {
	evs      []*registry.Event
	verdicts []accept.Verdict           // of the acceptance rule, one per event
	pre      map[string]*preparedRecord // new records, ready to write
}

// rule is this device's acceptance rule for events from elsewhere: the
// trust list it received from its hub, its revocation list, and the
// records key k.
func (d *Device) rule(k *keys) (*accept.Rule, error) {
	ts, err := d.loadTrust()
	if err != nil {
		return nil, err
	}
	return &accept.Rule{Country: d.info.Country, Records: k.records, Origin: func(id string) (accept.Origin, bool) {
		c := ts.creds[id]
		if c == nil {
			return accept.Origin{}, false
		}
		at, _ := ts.revoked.RevokedAt(id)
		return accept.Origin{Key: c.PublicKey, RevokedAt: at}, true
	}}, nil
}

// prepareChunk does the CPU work of applying evs on every core, without
// writing: the acceptance rule (signatures are most of the cost), and
// folding, sealing and indexing records new to the device. It may run while
// an earlier chunk is being written (the write checks again which records
// exist).
func (s *Session) prepareChunk(evs []*registry.Event) (*preparedChunk, error) {
	c := &preparedChunk{evs: evs}
	if len(evs) == 0 {
		return c, nil
	}
	// Records new to this device whose every event is in this chunk (the
	// common case when a device catches up) are folded, sealed and indexed
	// on every core before the write transaction; the transaction only
	// writes them. Anything else is folded inside it from the stored events.
	err := s.withKeys(func(k *keys) error {
		rule, err := s.d.rule(k)
		if err != nil {
			return err
		}
		c.verdicts = rule.CheckAll(evs)
		c.pre = s.prepareNew(evs, c.verdicts)
		return nil
	})
	return c, err
}

// writeChunk stores a prepared chunk in one transaction: each event taken
// by its verdict (takeEvent), then the records that received events folded
// again (refold). An error rolls everything back: nothing was taken.
func (s *Session) writeChunk(c *preparedChunk) (ApplyResult, error) {
	var res ApplyResult
	if len(c.evs) == 0 {
		return res, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return res, ErrSessionLocked
	}
	now := s.d.opts.Now()
	err := s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		res = ApplyResult{}
		inserted := map[string]int{} // new events per record
		var order []string           // the records of inserted, in chunk order
		var ts *trustState
		var records []string
		seen := map[string]bool{}
		for i, e := range c.evs {
			if c.verdicts[i].Err == nil && !seen[e.Record] {
				seen[e.Record] = true
				records = append(records, e.Record)
			}
		}
		tombs, err := tx.ErasedAmong(records) // records erased here (or, later, by this chunk)
		if err != nil {
			return err
		}
		for i, e := range c.evs {
			if v := c.verdicts[i]; v.Err == nil {
				gone := tombs[e.Record]
				if ts == nil && (gone || e.Erased() || e.Op == registry.OpErase) {
					var err error
					if ts, err = s.d.loadTrust(); err != nil {
						return err
					}
				}
				switch {
				case gone || e.Erased():
					// An erased record does not come back: its events are
					// kept as headers, signatures and payload hashes, so
					// logs and vectors stay whole (docs/erasure.md).
					if err := s.takeErased(tx, ts, e, v.Change, now); err != nil {
						return err
					}
					continue
				case e.Op == registry.OpErase:
					if _, err := tx.InsertEvent(e, now); err != nil {
						return err
					}
					if err := s.eraseTx(tx, ts, e.ID(), e.Record, v.Change.Erase.Reason); err != nil {
						return err
					}
					if err := appendAudit(tx, s.k.audit, now, s.officer.ID, "erase", e.Record, "ordered on device "+e.Origin); err != nil {
						return err
					}
					tombs[e.Record] = true
					res.Received++
					res.Erased++
					continue
				}
			}
			o, err := takeEvent(tx, e, c.verdicts[i], now)
			if err != nil {
				return err
			}
			switch o {
			case refused:
				res.Refused++
			case quarantined:
				res.Quarantined++
			case received:
				res.Received++
				if inserted[e.Record] == 0 {
					order = append(order, e.Record)
				}
				inserted[e.Record]++
				if !e.HLC.Time().After(now.Add(wire.FutureSkew)) {
					s.d.clock.Observe(e.HLC)
					continue
				}
				// Taken, but the clock is not dragged a day or more ahead.
				res.Future++
				if err := tx.Flag(e.ID(), "future", now); err != nil {
					return err
				}
			}
		}
		live := order[:0:0]
		for _, id := range order {
			if !tombs[id] { // erased by a later event of the chunk
				live = append(live, id)
			}
		}
		res.Conflicts, err = s.refold(tx, live, inserted, c.pre)
		return err
	})
	if err != nil {
		return ApplyResult{}, err
	}
	return res, nil
}

// outcome is what became of one event of a chunk.
type outcome int

const (
	refused     outcome = iota // not from its origin: unknown device, bad signature, signed after revocation
	quarantined                // from its origin but refused for its content, or a forked log
	duplicate                  // held already
	received                   // stored
)

// takeEvent stores e by its verdict v.
func takeEvent(tx *store.Tx, e *registry.Event, v accept.Verdict, now time.Time) (outcome, error) {
	switch {
	case !v.Authentic():
		return refused, nil
	case v.Err != nil:
		// Signed by its origin, yet refused for its content: no valid
		// event will take its slot, so the log may pass it (as at the hub).
		if err := tx.Quarantine(e, v.Reason(), now); err != nil {
			return 0, err
		}
		return quarantined, tx.AddHole(e.ID(), v.Reason(), now)
	}
	ins, err := tx.InsertEvent(e, now)
	if err != nil || ins {
		return received, err
	}
	old, err := tx.Event(e.ID())
	if err != nil {
		return 0, err
	}
	if accept.Same(old, e) {
		return duplicate, nil
	}
	return quarantined, tx.Quarantine(e, accept.ReasonForked, now)
}

// refold rewrites the projection of each record of order, which received
// inserted[id] new events, and its conflict mark; it returns how many now
// hold a conflict. A record prepared outside the transaction (pre) is
// written as prepared when it is still new and received all its events
// here; those are written together at the end (their search tokens in one
// ordered pass). Any other record is folded from its stored events.
func (s *Session) refold(tx *store.Tx, order []string, inserted map[string]int, pre map[string]*preparedRecord) (int, error) {
	conflicts := 0
	newRows := make([]store.RecordRow, 0, len(pre))
	newTokens := make([][][]byte, 0, len(pre))
	newCounts := make([]store.Counted, 0, len(pre))
	existing, err := tx.RecordsExisting(order)
	if err != nil {
		return 0, err
	}
	for _, id := range order {
		exists := existing[id]
		if p := pre[id]; p != nil && p.err == nil && !exists && inserted[id] == p.events {
			newRows = append(newRows, p.row)
			newTokens = append(newTokens, p.tokens)
			newCounts = append(newCounts, p.count)
			if p.conflicts {
				// A record new here has no conflict mark to clear (the
				// mark goes with the record's row, store.EraseRecord):
				// only a conflict is written, saving the writer a
				// statement per record.
				conflicts++
				if err := tx.MarkConflict(id, true); err != nil {
					return 0, err
				}
			}
			if p.stay != nil {
				if err := s.putStay(tx, id, p.stay); err != nil {
					return 0, err
				}
			}
			continue
		}
		r, err := s.foldTx(tx, id)
		if err != nil {
			return 0, err
		}
		if err := s.project(tx, r, !exists); err != nil {
			return 0, err
		}
		if len(r.Conflicts) > 0 {
			conflicts++
		}
		if err := tx.MarkConflict(id, len(r.Conflicts) > 0); err != nil {
			return 0, err
		}
	}
	if err := tx.PutNewRecords(newRows, newTokens); err != nil {
		return conflicts, err
	}
	return conflicts, tx.PutCounted(newCounts, s.mergeDay)
}

// preparedRecord is a new record folded and projected outside the write
// transaction.
type preparedRecord struct {
	events    int // events of the record in the chunk
	row       store.RecordRow
	tokens    [][]byte
	count     store.Counted
	conflicts bool
	stay      *registry.Stay // the record's stay, for the occupancy projection
	err       error
}

// prepareNew folds and projects, on every core, the records of evs that this
// device does not hold yet and whose events all passed the acceptance rule
// (verdicts). Called with s.mu read-locked and the session unlocked.
func (s *Session) prepareNew(evs []*registry.Event, verdicts []accept.Verdict) map[string]*preparedRecord {
	byRecord := map[string][]registry.Opened{}
	bad := map[string]bool{}
	for i, e := range evs {
		if verdicts[i].Err != nil || e.Erased() || e.Op == registry.OpErase {
			bad[e.Record] = true // refused, or an erasure: taken inside the transaction
			continue
		}
		byRecord[e.Record] = append(byRecord[e.Record], registry.Opened{Event: e, Change: verdicts[i].Change, Person: verdicts[i].Person})
	}
	var candidates []string
	for id := range byRecord {
		if !bad[id] {
			candidates = append(candidates, id)
		}
	}
	// Records known here are folded inside the transaction; erased ones
	// have their events taken without payloads. If the lookup fails,
	// everything is folded inside the transaction.
	ids, err := s.d.st.Unknown(candidates)
	if err != nil {
		return nil
	}
	out := make(map[string]*preparedRecord, len(ids))
	for _, id := range ids {
		out[id] = &preparedRecord{events: len(byRecord[id])}
	}
	var wg sync.WaitGroup
	workers := min(runtime.NumCPU(), 1+len(ids)/16)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			t := s.tokenizer()
			for n := w; n < len(ids); n += workers {
				id, p := ids[n], out[ids[n]]
				r, err := registry.Fold(id, byRecord[id])
				if p.err = err; err != nil {
					continue
				}
				p.conflicts = len(r.Conflicts) > 0
				p.stay = r.Stay
				p.row, p.tokens, p.count, p.err = s.projectNew(t, r)
			}
		}(w)
	}
	wg.Wait()
	return out
}

// ApplyResult says what ApplyEvents took.
type ApplyResult struct {
	Received    int // new events stored
	Refused     int // unknown device, bad signature, or signed after revocation
	Quarantined int // forked log, or payload that does not open
	Conflicts   int // records touched that now hold a conflict
	Future      int // stamped more than a day ahead: accepted and flagged
	Erased      int // records erased by an erase event among them
}

// ApplyEvents takes events from another replica (the hub, or a bundle) in
// one transaction, exactly as a sync does: judged by the acceptance rule
// under the trust list this device received from its hub, inserted or
// ignored, and the records they touch folded again. Applying the same events again changes nothing.
func (s *Session) ApplyEvents(evs []*registry.Event) (ApplyResult, error) {
	if err := s.check(); err != nil {
		return ApplyResult{}, err
	}
	if len(evs) > wire.MaxChunkEvents {
		return ApplyResult{}, fmt.Errorf("at most %d events at a time", wire.MaxChunkEvents)
	}
	return s.applyChunk(evs)
}

// add counts o into a.
func (a *ApplyResult) add(o ApplyResult) {
	a.Received += o.Received
	a.Refused += o.Refused
	a.Quarantined += o.Quarantined
	a.Conflicts += o.Conflicts
	a.Future += o.Future
	a.Erased += o.Erased
}
