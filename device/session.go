package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/fieldreg/fieldreg/crypto/blind"
	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// Session is an unlocked device: an officer and the keys their passphrase
// opened. Lock drops the keys from memory. It is safe for concurrent use.
type Session struct {
	d       *Device
	officer Officer
	mu      sync.RWMutex
	k       *keys // nil once locked
}

// Officer is the officer who unlocked the session.
func (s *Session) Officer() Officer { return s.officer }

// Device is the device the session belongs to.
func (s *Session) Device() *Device { return s.d }

// Lock wipes the keys from memory and audit-logs the lock. Every later call
// fails with ErrSessionLocked.
func (s *Session) Lock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.k == nil {
		return
	}
	_ = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		return appendAudit(tx, s.k.audit, s.d.opts.Now(), s.officer.ID, "lock", "", "")
	})
	s.k.wipe()
	s.k = nil
}

// Locked reports whether Lock was called.
func (s *Session) Locked() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.k == nil
}

func (s *Session) check() error {
	if s.Locked() {
		return ErrSessionLocked
	}
	return nil
}

// withKeys runs fn with the session's keys, read-locked; ErrSessionLocked
// if the session locked.
func (s *Session) withKeys(fn func(k *keys) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	return fn(s.k)
}

func (s *Session) audit(action, record, detail string) error {
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		return s.auditTx(tx, action, record, detail)
	})
}

func (s *Session) auditTx(tx *store.Tx, action, record, detail string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	return appendAudit(tx, s.k.audit, s.d.opts.Now(), s.officer.ID, action, record, detail)
}

// Audit appends an entry to the audit log on behalf of the officer (for
// actions done by other packages: receipts issued, exports). detail must not
// hold personal data.
func (s *Session) Audit(action, record, detail string) error { return s.audit(action, record, detail) }

// Authority returns the country authority held by a standalone device, or nil.
func (s *Session) Authority() *trust.Authority {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return nil
	}
	return s.k.authority
}

// Summary is what a list row shows of a record. It is decrypted on demand.
type Summary struct {
	ID            string        `json:"id"`
	FamilyName    string        `json:"family_name"`
	GivenNames    string        `json:"given_names"`
	BirthDate     registry.Date `json:"birth_date"`
	Sex           string        `json:"sex"`
	Nationalities []string      `json:"nationalities,omitempty"`
	Category      string        `json:"category"`
	Vulnerable    bool          `json:"vulnerable,omitempty"`
	Relationship  string        `json:"relationship,omitempty"`
	Created       registry.HLC  `json:"created"`
	Place         string        `json:"place,omitempty"`
	Conflicts     int           `json:"conflicts,omitempty"`
	// DocumentNumber is kept for the duplicate check (sealed like the rest).
	DocumentNumber string `json:"document_number,omitempty"`
	// Decided lists records an officer has decided this one is, or is not,
	// the same person as.
	Decided []string `json:"decided,omitempty"`
	// EraseBy is the earlier erasure date a supervisor set (YYYY-MM-DD).
	EraseBy string `json:"erase_by,omitempty"`
}

// FullName is "FAMILY, Given".
func (m Summary) FullName() string {
	p := registry.Person{FamilyName: m.FamilyName, GivenNames: m.GivenNames}
	return p.FullName()
}

func summaryOf(r *registry.Record) Summary {
	p := r.Person
	m := Summary{ID: r.ID, FamilyName: p.FamilyName, GivenNames: p.GivenNames, BirthDate: p.BirthDate, Sex: p.Sex,
		Nationalities: p.Nationalities, Category: p.Category, Vulnerable: len(p.Vulnerabilities) > 0, Relationship: p.Relationship,
		Created: r.Created(), Place: p.Encounter.Place, Conflicts: len(r.Conflicts), DocumentNumber: p.Document.Number, EraseBy: r.EraseBy}
	for _, l := range r.Links {
		m.Decided = append(m.Decided, l.Other)
	}
	return m
}

// newEvent builds, seals and signs the next event of this device inside tx.
// The caller holds d.writeMu (taken before the transaction, always in that
// order, so writers of the device's log never wait on each other in a cycle).
func (s *Session) newEvent(tx *store.Tx, record, op string, c *registry.Change) (*registry.Event, error) {
	if err := s.d.checkNotRevoked(); err != nil {
		return nil, err
	}
	seq, err := tx.NextSeq(s.d.info.DeviceID, s.d.info.Epoch)
	if err != nil {
		return nil, err
	}
	e := &registry.Event{Origin: s.d.info.DeviceID, Epoch: s.d.info.Epoch, Seq: seq, HLC: s.d.clock.Now(),
		Officer: s.officer.ID, Record: record, Op: op}
	c.By = s.officer.Name
	if err := e.SealChange(s.k.records, c); err != nil {
		return nil, err
	}
	e.Sign(s.k.sign)
	if _, err := tx.InsertEvent(e, s.d.opts.Now()); err != nil {
		return nil, fmt.Errorf("store event: %w", err)
	}
	return e, nil
}

// recordEvent writes a new event on record id and projects the record's new
// state, inside tx. It returns the record as folded after the event.
func (s *Session) recordEvent(tx *store.Tx, id, op string, c *registry.Change) (*registry.Record, error) {
	if _, err := s.newEvent(tx, id, op, c); err != nil {
		return nil, err
	}
	r, err := s.foldTx(tx, id)
	if err != nil {
		return nil, err
	}
	return r, s.project(tx, r, false)
}

// fold reads and folds a record's events inside tx.
func (s *Session) foldTx(tx *store.Tx, id string) (*registry.Record, error) {
	evs, err := tx.RecordEvents(id)
	if err != nil {
		return nil, err
	}
	return s.foldEvents(id, evs)
}

func (s *Session) foldEvents(id string, evs []*registry.Event) (*registry.Record, error) {
	if len(evs) == 0 {
		return nil, fmt.Errorf("record %s: %w", id, store.ErrNotFound)
	}
	opened := make([]registry.Opened, 0, len(evs))
	for _, e := range evs {
		if e.Erased() || e.Op == registry.OpErase {
			// Its payload was dropped where it came from (an erasure that
			// has not reached this device yet), or it is the erasure
			// itself: there is nothing to fold.
			continue
		}
		c, err := e.OpenChange(s.k.records)
		if err != nil {
			return nil, err
		}
		opened = append(opened, registry.Opened{Event: e, Change: c})
	}
	if len(opened) == 0 {
		return nil, fmt.Errorf("record %s: %w", id, store.ErrNotFound)
	}
	return registry.Fold(id, opened)
}

// project writes the sealed projection and search tokens of a folded record.
func (s *Session) project(tx *store.Tx, r *registry.Record, fresh bool) error {
	row, tokens, err := s.projection(r)
	if err != nil {
		return err
	}
	if err := tx.PutRecord(row, tokens, fresh); err != nil {
		return err
	}
	if r.Stay != nil {
		if err := s.putStay(tx, r.ID, r.Stay); err != nil { // the occupancy projection (device/centres.go)
			return err
		}
	}
	return s.recount(tx, r)
}

// projection seals a folded record's state and list summary and computes its
// blind-index tokens. It touches no database, so batches run it in parallel.
func (s *Session) projection(r *registry.Record) (store.RecordRow, [][]byte, error) {
	state, err := json.Marshal(r)
	if err != nil {
		return store.RecordRow{}, nil, err
	}
	sealedState, err := seal.Seal(s.k.master, state, seal.AD("records", "state", r.ID))
	if err != nil {
		return store.RecordRow{}, nil, err
	}
	sum, _ := json.Marshal(summaryOf(r))
	sealedSum, err := seal.Seal(s.k.master, sum, seal.AD("records", "summary", r.ID))
	if err != nil {
		return store.RecordRow{}, nil, err
	}
	var grp []byte
	if r.Person.Group != "" {
		grp = blind.New(s.k.search).Token("group", r.Person.Group)
	}
	row := store.RecordRow{ID: r.ID, Created: int64(r.Created()), Updated: int64(r.Updated()), Group: grp, Summary: sealedSum, State: sealedState}
	return row, append(searchTokens(blind.New(s.k.search), &r.Person), matchTokens(s.k.index, &r.Person)...), nil
}

// Register validates and saves one person. When it returns, the registration
// is committed durably. It returns the new registration ID.
func (s *Session) Register(p *registry.Person) (string, error) {
	ids, err := s.RegisterGroup([]*registry.Person{p})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// GroupError reports which member of a group failed validation.
type GroupError struct {
	Index int // 0-based member index
	Err   error
}

func (e *GroupError) Error() string { return fmt.Sprintf("person %d: %v", e.Index+1, e.Err) }
func (e *GroupError) Unwrap() error { return e.Err }

// RegisterGroup saves several people as one family or group in a single
// transaction: all are saved or none. With more than one person they share a
// new group ID (unless the first already names one). It returns their
// registration IDs in order.
func (s *Session) RegisterGroup(people []*registry.Person) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(people) > 1 && people[0].Group == "" {
		g, err := s.NewGroupID()
		if err != nil {
			return nil, err
		}
		for _, p := range people {
			p.Group = g
		}
	}
	return s.RegisterBatch(people)
}

// NewGroupID mints an identifier for a family or group.
func (s *Session) NewGroupID() (string, error) {
	g, err := trust.NewDeviceID(s.d.opts.Rand)
	if err != nil {
		return "", err
	}
	return "G" + strings.ToUpper(g[:10]), nil
}

// RegisterBatch saves several people in one transaction (all or none), each
// with the Group it already names. Bulk imports use it to save many records
// per durable commit.
func (s *Session) RegisterBatch(people []*registry.Person) ([]string, error) {
	return s.registerBatch(people, nil)
}

// registerBatch saves people in one transaction and, if then is not nil,
// runs then inside the same transaction after them, with their IDs: all or
// none.
func (s *Session) registerBatch(people []*registry.Person, then func(tx *store.Tx, ids []string) error) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(people) == 0 {
		return nil, errors.New("nobody to register")
	}
	if err := s.d.checkNotRevoked(); err != nil {
		return nil, err
	}
	now := s.d.opts.Now()
	for i, p := range people {
		registry.Normalize(p)
		if err := registry.Validate(p, now); err != nil {
			return nil, &GroupError{Index: i, Err: err}
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return nil, ErrSessionLocked
	}
	// This device's own log is written by one batch at a time, so the
	// sequence numbers read here stay free while the batch is prepared.
	s.d.writeMu.Lock()
	defer s.d.writeMu.Unlock()
	base, err := s.d.st.NextSeq(s.d.info.DeviceID, s.d.info.Epoch)
	if err != nil {
		return nil, err
	}
	// Prepare every registration (seal, sign, fold, project: the CPU work)
	// on every core, outside the write transaction.
	type prepared struct {
		e      *registry.Event
		row    store.RecordRow
		tokens [][]byte
		count  store.Counted
	}
	preps := make([]prepared, len(people))
	ids := make([]string, len(people))
	hlcs := make([]registry.HLC, len(people))
	for i := range people {
		if ids[i], err = registry.NewRegID(s.d.info.Country, s.d.opts.Rand); err != nil {
			return nil, err
		}
		hlcs[i] = s.d.clock.Now()
	}
	errs := make([]error, len(people))
	var wg sync.WaitGroup
	workers := min(runtime.NumCPU(), 1+len(people)/16)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(people); i += workers {
				c := &registry.Change{Fields: registry.FieldsOf(people[i]), By: s.officer.Name}
				e := &registry.Event{Origin: s.d.info.DeviceID, Epoch: s.d.info.Epoch, Seq: base + uint64(i), HLC: hlcs[i],
					Officer: s.officer.ID, Record: ids[i], Op: registry.OpRegister}
				if errs[i] = e.SealChange(s.k.records, c); errs[i] != nil {
					continue
				}
				e.Sign(s.k.sign)
				r, err := registry.Fold(ids[i], []registry.Opened{{Event: e, Change: c}})
				if errs[i] = err; err != nil {
					continue
				}
				preps[i].e = e
				if preps[i].row, preps[i].tokens, errs[i] = s.projection(r); errs[i] == nil {
					preps[i].count, errs[i] = s.counted(r)
				}
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if next, err := tx.NextSeq(s.d.info.DeviceID, s.d.info.Epoch); err != nil {
			return err
		} else if next != base {
			return fmt.Errorf("this device's event log moved during the save (sequence %d, expected %d): nothing was saved, try again", next, base)
		}
		rows := make([]store.RecordRow, len(preps))
		tokens := make([][][]byte, len(preps))
		counts := make([]store.Counted, len(preps))
		for i, p := range preps {
			ok, err := tx.InsertEvent(p.e, now)
			if err != nil {
				return fmt.Errorf("store event: %w", err)
			}
			if !ok {
				return fmt.Errorf("event %s already stored: nothing was saved, try again", p.e.ID())
			}
			rows[i], tokens[i], counts[i] = p.row, p.tokens, p.count
			if err := appendAudit(tx, s.k.audit, now, s.officer.ID, "register", ids[i], ""); err != nil {
				return err
			}
		}
		// The batch's search tokens in one ordered pass.
		if err := tx.PutNewRecords(rows, tokens); err != nil {
			return err
		}
		if err := tx.PutCounted(counts, s.mergeDay); err != nil {
			return err
		}
		if then != nil {
			return then(tx, ids)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(people) >= bulkCheckpoint {
		// The batch is saved; a checkpoint that fails (busy) is retried
		// by the background checkpointer, so its error changes nothing.
		_ = s.d.st.Checkpoint()
	}
	return ids, nil
}

// bulkCheckpoint is the batch size from which a save checkpoints the WAL
// at once (bulk imports): the WAL then holds one batch at most. A single
// registration or a family is left to the background checkpointer, which
// keeps the database file's fsync out of the officer's save.
const bulkCheckpoint = 100

// Amend saves a new version of record id with the values of p, for reason
// (required). Only changed fields are written; nothing is edited in place:
// the earlier versions stay in the history. ErrNoChange if p equals the
// current state.
func (s *Session) Amend(id string, p *registry.Person, reason string) error {
	if err := s.check(); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return registry.FieldErrors{"reason": "say why the record is amended"}
	}
	if len(reason) > 500 {
		return registry.FieldErrors{"reason": "is too long (at most 500 characters)"}
	}
	registry.Normalize(p)
	if err := registry.Validate(p, s.d.opts.Now()); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	s.d.writeMu.Lock()
	defer s.d.writeMu.Unlock()
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		return s.amendTx(tx, id, p, reason)
	})
}

// amendTx writes the amendment of record id to p inside tx. The caller
// holds the session's keys and the device's write lock, and has normalised
// and validated p.
func (s *Session) amendTx(tx *store.Tx, id string, p *registry.Person, reason string) error {
	cur, err := s.foldTx(tx, id)
	if err != nil {
		return err
	}
	diff := registry.Diff(&cur.Person, p)
	if len(diff) == 0 {
		return ErrNoChange
	}
	prev := map[string]registry.EventID{}
	fields := make([]string, 0, len(diff))
	for k := range diff {
		if w, ok := cur.Writers[k]; ok {
			prev[k] = w
		}
		fields = append(fields, k)
	}
	if _, err := s.recordEvent(tx, id, registry.OpAmend, &registry.Change{Fields: diff, Prev: prev, Reason: reason}); err != nil {
		return err
	}
	return appendAudit(tx, s.k.audit, s.d.opts.Now(), s.officer.ID, "amend", id, "fields: "+strings.Join(slices.Sorted(slices.Values(fields)), ","))
}

// Link records the officer's decision that record id and other are the same
// person (same=true) or different people. Nothing is merged: both records stay.
func (s *Session) Link(id, other string, same bool, note string) error {
	if err := s.check(); err != nil {
		return err
	}
	if id == other {
		return errors.New("a record cannot be linked to itself")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	s.d.writeMu.Lock()
	defer s.d.writeMu.Unlock()
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if _, err := s.foldTx(tx, other); err != nil {
			return err
		}
		if _, err := s.foldTx(tx, id); err != nil {
			return err
		}
		if _, err := s.recordEvent(tx, id, registry.OpLink, &registry.Change{Link: &registry.Link{Other: other, Same: same, Note: note}}); err != nil {
			return err
		}
		return appendAudit(tx, s.k.audit, s.d.opts.Now(), s.officer.ID, "link", id, fmt.Sprintf("other=%s same=%v", other, same))
	})
}

// RecordView is a record with names resolved for display.
type RecordView struct {
	*registry.Record
	// By says who made each version (and each link decision): this
	// device's officers by name, another device's as that device reported
	// them, attributed to it ("Officer X (device D)").
	By    map[registry.EventID]string
	Group []Summary // other members of the record's group
}

// Get returns a record with its full history, and audit-logs the view.
func (s *Session) Get(id string) (*RecordView, error) {
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	r, err := s.state(id)
	if errors.Is(err, store.ErrNotFound) {
		if e := s.Erased(id); e != nil {
			return nil, e
		}
	}
	if err != nil {
		return nil, err
	}
	n, err := s.namer()
	if err != nil {
		return nil, err
	}
	v := &RecordView{Record: r, By: map[registry.EventID]string{}}
	for _, ver := range r.Versions {
		v.By[ver.Event] = n.version(ver)
	}
	if r.Person.Group != "" {
		members, err := s.GroupMembers(r.Person.Group)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if m.ID != id {
				v.Group = append(v.Group, m)
			}
		}
	}
	if err := s.audit("view", id, ""); err != nil {
		return nil, err
	}
	return v, nil
}

// state decrypts a record's projection.
func (s *Session) state(id string) (*registry.Record, error) {
	row, err := s.d.st.Record(id)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return nil, ErrSessionLocked
	}
	b, err := seal.Open(s.k.master, row.State, seal.AD("records", "state", id))
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", id, err)
	}
	var r registry.Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("record %s: stored state malformed: %w", id, err)
	}
	return &r, nil
}

// Summary decrypts the list summary of a record (not audit-logged: lists).
func (s *Session) Summary(id string) (Summary, error) {
	b, _, err := s.d.st.Summary(id)
	if err != nil {
		return Summary{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return Summary{}, ErrSessionLocked
	}
	pt, err := seal.Open(s.k.master, b, seal.AD("records", "summary", id))
	if err != nil {
		return Summary{}, fmt.Errorf("record %s: %w: %w", id, ErrDamagedRecord, err)
	}
	var m Summary
	if err := json.Unmarshal(pt, &m); err != nil {
		return Summary{}, fmt.Errorf("record %s: %w: summary malformed", id, ErrDamagedRecord)
	}
	return m, nil
}

// ErrDamagedRecord is a record whose stored summary does not open or read:
// damaged on disk or edited. `fieldreg audit verify` names such records.
var ErrDamagedRecord = errors.New("record damaged on this device")

// GroupMembers returns the summaries of a group's members, oldest first.
func (s *Session) GroupMembers(group string) ([]Summary, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var tok []byte
	if err := s.withKeys(func(k *keys) error { tok = blind.New(k.search).Token("group", group); return nil }); err != nil {
		return nil, err
	}
	ids, err := s.d.st.Find(store.Filter{Group: tok})
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(ids))
	for i := len(ids) - 1; i >= 0; i-- {
		m, err := s.Summary(ids[i])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
