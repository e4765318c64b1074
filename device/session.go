package device

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

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
	row, tokens, err := s.projection(s.tokenizer(), r)
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

// tokenizer holds the HMAC states of a session's two blind-index keys,
// made once and reused record after record by one goroutine (it is not
// safe for concurrent use): a batch's workers have one each.
type tokenizer struct {
	search, index *blind.Indexer
}

// tokenizer returns a new tokenizer under the session's keys. The caller
// holds the keys.
func (s *Session) tokenizer() *tokenizer {
	return &tokenizer{search: blind.New(s.k.search), index: blind.New(s.k.index)}
}

// projection seals a folded record's list summary and computes its
// blind-index tokens with t (the full state is folded from the record's
// events when it is read, see state). It touches no database, so batches
// run it in parallel, a tokenizer for each goroutine.
func (s *Session) projection(t *tokenizer, r *registry.Record) (store.RecordRow, [][]byte, error) {
	sum, _ := json.Marshal(summaryOf(r))
	sealedSum, err := seal.Seal(s.k.master, sum, seal.AD("records", "summary", r.ID))
	if err != nil {
		return store.RecordRow{}, nil, err
	}
	var grp []byte
	if r.Person.Group != "" {
		grp = t.search.Token("group", r.Person.Group)
	}
	row := store.RecordRow{ID: r.ID, Created: int64(r.Created()), Updated: int64(r.Updated()), Group: grp, Summary: sealedSum}
	return row, recordTokens(t, &r.Person), nil
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
	if len(people) == 0 {
		return nil, errors.New("nobody to register")
	}
	var ids []string
	err := s.registerBatches([][]*registry.Person{people}, func(_ int, tx *store.Tx, got []string) error {
		if then != nil {
			return then(tx, got)
		}
		return nil
	}, func(_ int, got []string, err error) bool {
		ids = got
		return false
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// preparedBatch is a batch of registrations sealed, signed, folded and
// projected, ready for its write transaction.
type preparedBatch struct {
	base  uint64 // the sequence number of its first event
	ids   []string
	evs   []*registry.Event
	rows  []store.RecordRow
	toks  [][][]byte
	count []store.Counted
}

// prepareBatch validates people and does a batch's CPU work (seal, sign,
// fold, project, count) on every core, touching no database: events get
// the sequence numbers from base on. The caller holds the keys and the
// device's write lock. A person who does not validate fails it with a
// GroupError.
func (s *Session) prepareBatch(people []*registry.Person, base uint64, now time.Time) (*preparedBatch, error) {
	if len(people) == 0 {
		return nil, errors.New("nobody to register")
	}
	b := &preparedBatch{base: base, ids: make([]string, len(people)), evs: make([]*registry.Event, len(people)),
		rows: make([]store.RecordRow, len(people)), toks: make([][][]byte, len(people)), count: make([]store.Counted, len(people))}
	hlcs := make([]registry.HLC, len(people))
	for i := range people {
		var err error
		if b.ids[i], err = registry.NewRegID(s.d.info.Country, s.d.opts.Rand); err != nil {
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
			t := s.tokenizer()
			for i := w; i < len(people); i += workers {
				errs[i] = s.prepareOne(b, t, i, people[i], hlcs[i], now)
			}
		}(w)
	}
	wg.Wait()
	for i, err := range errs {
		var inv invalidPerson
		if errors.As(err, &inv) {
			return nil, &GroupError{Index: i, Err: inv.err}
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// invalidPerson is a person who does not validate, within prepareBatch.
type invalidPerson struct{ err error }

func (e invalidPerson) Error() string { return e.err.Error() }

// prepareOne prepares the i-th registration of b.
func (s *Session) prepareOne(b *preparedBatch, t *tokenizer, i int, p *registry.Person, hlc registry.HLC, now time.Time) error {
	registry.Normalize(p)
	if err := registry.Validate(p, now); err != nil {
		return invalidPerson{err}
	}
	c := &registry.Change{Fields: registry.FieldsOf(p), By: s.officer.Name}
	e := &registry.Event{Origin: s.d.info.DeviceID, Epoch: s.d.info.Epoch, Seq: b.base + uint64(i), HLC: hlc,
		Officer: s.officer.ID, Record: b.ids[i], Op: registry.OpRegister}
	if err := e.SealChange(s.k.records, c); err != nil {
		return err
	}
	e.Sign(s.k.sign)
	r, err := registry.Fold(b.ids[i], []registry.Opened{{Event: e, Change: c}})
	if err != nil {
		return err
	}
	b.evs[i] = e
	b.rows[i], b.toks[i], b.count[i], err = s.projectNew(t, r)
	return err
}

// writeBatch writes a prepared batch in one durable transaction, then runs
// then inside it with the batch's IDs.
func (s *Session) writeBatch(b *preparedBatch, now time.Time, then func(tx *store.Tx, ids []string) error) error {
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if next, err := tx.NextSeq(s.d.info.DeviceID, s.d.info.Epoch); err != nil {
			return err
		} else if next != b.base {
			return fmt.Errorf("this device's event log moved during the save (sequence %d, expected %d): nothing was saved, try again", next, b.base)
		}
		for i, e := range b.evs {
			ok, err := tx.InsertEvent(e, now)
			if err != nil {
				return fmt.Errorf("store event: %w", err)
			}
			if !ok {
				return fmt.Errorf("event %s already stored: nothing was saved, try again", e.ID())
			}
			if err := appendAudit(tx, s.k.audit, now, s.officer.ID, "register", b.ids[i], ""); err != nil {
				return err
			}
		}
		// The batch's search tokens in one ordered pass.
		if err := tx.PutNewRecords(b.rows, b.toks); err != nil {
			return err
		}
		if err := tx.PutCounted(b.count, s.mergeDay); err != nil {
			return err
		}
		return then(tx, b.ids)
	})
}

// doneAlready is a channel closed from the start.
var doneAlready = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// checkpoint starts checkpointing the WAL after the durable commit of a
// bulk batch of n events (bulkCheckpoint) and returns a channel closed
// when it is done, so that it overlaps with the wait for the next prepared
// batch and the printing of this one's IDs; the next batch's write waits
// for it, so the WAL still starts over and holds one batch at most. A
// smaller save leaves it to the background checkpointer (the channel is
// closed).
func (s *Session) checkpoint(n int) <-chan struct{} {
	if n < bulkCheckpoint {
		return doneAlready
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The batch is saved; a checkpoint that fails (busy) is retried
		// by the background checkpointer, so its error changes nothing.
		_ = s.d.st.Checkpoint()
	}()
	return done
}

// registerBatches saves batches of people in order, each in its own
// durable transaction (all of a batch or none of it), running then inside
// each batch's transaction with its IDs. While one batch is written, the
// next is prepared on every core. After each batch, saved is told its IDs
// or why it was not saved; a person who does not validate (GroupError)
// fails only that batch, and saved's answer says whether to go on (any
// other error always stops: the disk or the database, not a line). An
// empty batch is not written; saved is told so at once. It returns the
// error that stopped it, else the first GroupError.
func (s *Session) registerBatches(batches [][]*registry.Person, then func(k int, tx *store.Tx, ids []string) error, saved func(k int, ids []string, err error) bool) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := s.d.checkNotRevoked(); err != nil {
		return err
	}
	now := s.d.opts.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	// This device's own log is written by one batch at a time, so the
	// sequence numbers read here stay free while batches are prepared.
	s.d.writeMu.Lock()
	defer s.d.writeMu.Unlock()
	base, err := s.d.st.NextSeq(s.d.info.DeviceID, s.d.info.Epoch)
	if err != nil {
		return err
	}
	type result struct {
		b   *preparedBatch
		err error
	}
	prepare := func(k int, base uint64) chan result {
		ch := make(chan result, 1)
		if k >= len(batches) || len(batches[k]) == 0 {
			ch <- result{}
			return ch
		}
		go func() {
			b, err := s.prepareBatch(batches[k], base, now)
			ch <- result{b, err}
		}()
		return ch
	}
	var first error
	next := prepare(0, base)
	var ckpt <-chan struct{} = doneAlready // the checkpoint after the last batch written
	defer func() { <-ckpt }()
	for k := range batches {
		r := <-next
		switch {
		case len(batches[k]) == 0:
			next = prepare(k+1, base)
			if !saved(k, nil, nil) {
				return first
			}
			continue
		case r.err != nil:
			first = cmp.Or(first, r.err)
			var ge *GroupError
			if !errors.As(r.err, &ge) {
				saved(k, nil, r.err)
				return r.err
			}
			next = prepare(k+1, base)
			if !saved(k, nil, r.err) {
				return first
			}
			continue
		}
		// The next batch is prepared while this one is written; if the
		// write fails, it is thrown away unwritten.
		next = prepare(k+1, base+uint64(len(r.b.evs)))
		<-ckpt
		err := s.writeBatch(r.b, now, func(tx *store.Tx, ids []string) error { return then(k, tx, ids) })
		if err != nil {
			<-next
			saved(k, nil, err)
			return err
		}
		ckpt = s.checkpoint(len(r.b.evs))
		base += uint64(len(r.b.evs))
		if !saved(k, r.b.ids, nil) {
			<-next
			return first
		}
	}
	return first
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

// state reads a record's events and folds them: the record as it stands.
// It is not stored apart (a copy of every registration sealed a second
// time, with its history, was 1.2 KB of the 4 KB a registration took);
// a record has a few events, each opened in microseconds.
func (s *Session) state(id string) (*registry.Record, error) {
	// A record without a projection (erased, or not folded yet) is not
	// there for anyone who reads it.
	if _, err := s.d.st.Record(id); err != nil {
		return nil, err
	}
	evs, err := s.d.st.RecordEvents(id)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, store.ErrNotFound
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return nil, ErrSessionLocked
	}
	r, err := s.foldEvents(id, evs)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", id, err)
	}
	return r, nil
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
