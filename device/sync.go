package device

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

// hubPeer names the hub in the peer_heads table.
const hubPeer = "hub"

// Deadline is how long a registration may wait before it must have reached
// the central system (Eurodac recast, Regulation (EU) 2024/1358: 72 hours).
const Deadline = 72 * time.Hour

// DeadlineWarning is how close to its deadline a waiting registration makes
// the home screen warn.
const DeadlineWarning = 12 * time.Hour

// ErrNoHub means the device is standalone: it has no hub to sync with.
var ErrNoHub = errors.New("this device is not enrolled with a hub: there is nothing to sync with")

// Progress is reported during a sync. Counts are events.
type Progress struct {
	Phase     string // "connecting", "sending", "receiving", "done"
	Sent      int
	ToSend    int
	Received  int
	ToReceive int
}

// SyncReport says what a sync did. Refused and Quarantined events were not
// taken (bad signature, unknown or revoked device, a forked log); Conflicts
// counts records that now hold a concurrent edit for a supervisor; Future
// counts events stamped more than a day ahead of this device's clock.
type SyncReport struct {
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	Sent        int       `json:"sent"`
	Duplicates  int       `json:"duplicates"` // sent but already held by the hub
	Received    int       `json:"received"`
	Refused     int       `json:"refused"`
	Quarantined int       `json:"quarantined"`
	Conflicts   int       `json:"conflicts"`
	Future      int       `json:"future"`
	Complete    bool      `json:"complete"` // both sides held everything when it ended
	// Questions to the regional joint database that waited for this sync:
	// answered (stored on their records), and failed (asked again later).
	Answered        int    `json:"answered,omitempty"`
	QuestionsFailed int    `json:"questions_failed,omitempty"`
	Error           string `json:"error,omitempty"`
}

// SyncOptions tune a sync; the zero value is the production setting.
type SyncOptions struct {
	HubURL      string         // overrides the enrolment's hub address
	ChunkEvents int            // events per chunk; wire.MaxChunkEvents when 0
	Progress    func(Progress) // called from the syncing goroutine
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	Timeout     time.Duration // per request
}

// hubConfig reads the enrolment's sync settings.
func (d *Device) hubConfig() (url string, hubCert, clientCert []byte, err error) {
	u, err1 := d.st.GetMeta(metaHubURL)
	hc, err2 := d.st.GetMeta(metaHubCert)
	cc, err3 := d.st.GetMeta(metaClientCert)
	if err1 != nil || err2 != nil || err3 != nil {
		return "", nil, nil, ErrNoHub
	}
	return string(u), hc, cc, nil
}

// SetHubURL changes the address of the hub (supervisors; audit-logged). The
// pinned certificate stays: the hub must be the same.
func (s *Session) SetHubURL(url string) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	if err := client.CheckURL(url); err != nil {
		return err
	}
	if _, _, _, err := s.d.hubConfig(); err != nil {
		return err
	}
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutMeta(metaHubURL, []byte(url)); err != nil {
			return err
		}
		return s.auditTx(tx, "setting", "", "hub address changed")
	})
}

// SyncStatus is what the sync screen shows.
type SyncStatus struct {
	Enrolled     bool        // false: standalone, no hub
	HubURL       string      // where the device syncs to
	LastSync     time.Time   // last complete sync; zero if never
	LastReport   *SyncReport // last attempt, with its error if it failed
	Waiting      int         // this device's events the hub has not acknowledged
	Pending      int         // of them, registrations (the 72-hour clock runs)
	NextDeadline time.Time   // earliest deadline among pending registrations; zero if none
	Questions    int         // "registered elsewhere?" questions waiting for the hub
	// NotTaken are events set aside, by record: this device's own that
	// the hub refused (damaged or invalid: `fieldreg audit verify` says
	// more), and other devices' that this device could not take.
	NotTaken []RecordProblem
}

// SyncStatus reports the sync state. It needs no unlocked session: nothing
// in it is personal data.
func (d *Device) SyncStatus() (SyncStatus, error) {
	var st SyncStatus
	url, _, _, err := d.hubConfig()
	if err == nil {
		st.Enrolled, st.HubURL = true, url
	}
	if b, err := d.st.GetMeta(metaLastSync); err == nil {
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			st.LastSync = time.Unix(n, 0)
		}
	}
	if b, err := d.st.GetMeta(metaLastReport); err == nil {
		var r SyncReport
		if json.Unmarshal(b, &r) == nil {
			st.LastReport = &r
		}
	}
	pend, waiting, err := d.pending()
	if err != nil {
		return st, err
	}
	st.Waiting, st.Pending = waiting, len(pend)
	if len(pend) > 0 {
		st.NextDeadline = pend[0].Deadline
	}
	if st.Questions, err = d.st.CountWaitingQuestions(); err != nil {
		return st, err
	}
	q, err := d.st.Quarantined()
	for _, e := range q {
		st.NotTaken = append(st.NotTaken, RecordProblem{Record: e.Record, Problem: fmt.Sprintf("event %s: %s", e.Event, e.Reason)})
	}
	return st, err
}

// PendingRegistration is a registration made on this device that the hub
// has not yet acknowledged, with its 72-hour deadline.
type PendingRegistration struct {
	ID         string
	Registered time.Time
	Deadline   time.Time // Registered + Deadline
}

// TimeLeft is the time until the deadline at now (negative once overdue).
func (p PendingRegistration) TimeLeft(now time.Time) time.Duration { return p.Deadline.Sub(now) }

// Pending lists this device's registrations that have not reached the hub,
// earliest deadline first. It reads only event headers.
func (d *Device) Pending() ([]PendingRegistration, error) {
	p, _, err := d.pending()
	return p, err
}

// Pending lists the registrations waiting for the hub (see Device.Pending).
func (s *Session) Pending() ([]PendingRegistration, error) { return s.d.Pending() }

func (d *Device) pending() ([]PendingRegistration, int, error) {
	acked, err := d.st.PeerHeads(hubPeer)
	if err != nil {
		return nil, 0, err
	}
	k := vector.Key{Origin: d.info.DeviceID, Epoch: d.info.Epoch}
	var out []PendingRegistration
	waiting := 0
	err = d.st.Unacknowledged(k, acked[k], func(e *registry.Event) error {
		waiting++
		if e.Op == registry.OpRegister {
			t := e.HLC.Time()
			out = append(out, PendingRegistration{ID: e.Record, Registered: t, Deadline: t.Add(Deadline)})
		}
		return nil
	})
	return out, waiting, err
}

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

// takeTrust stores the hub's trust list (each credential checked against the
// authority's root), a newer revocation list and newer notice contacts
// (checked too), and records
// the hub's vector as acknowledged, in one transaction.
func (s *Session) takeTrust(rep *wire.HelloReply, hubVec vector.Vector) error {
	root, err := s.d.st.GetMeta("root_public")
	if err != nil || len(root) != ed25519.PublicKeySize {
		return errors.New("this device's authority root key is missing or damaged")
	}
	var newList []byte
	if len(rep.Revocations) > 0 {
		l, err := trust.UnmarshalRevocationList(rep.Revocations)
		if err != nil || l.Verify(root) != nil || l.Country != s.d.info.Country {
			return &client.Error{Kind: client.ErrHub, Op: "hello", Message: "the hub sent a revocation list that does not verify"}
		}
		cur := int64(-1)
		if b, err := s.d.st.GetMeta(metaRevocations); err == nil {
			if old, err := trust.UnmarshalRevocationList(b); err == nil {
				cur = old.Issued
			}
		}
		if l.Issued > cur {
			newList = rep.Revocations
		}
	}
	newContacts, err := s.d.newerContacts(rep.Contacts, root)
	if err != nil {
		return &client.Error{Kind: client.ErrHub, Op: "hello", Message: "the hub sent notice contacts that do not verify"}
	}
	newCentres, err := s.d.newerCentres(rep.Centres, root)
	if err != nil {
		return &client.Error{Kind: client.ErrHub, Op: "hello", Message: "the hub sent a list of reception centres that does not verify"}
	}
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if newContacts != nil {
			if err := tx.PutMeta(metaContacts, newContacts); err != nil {
				return err
			}
		}
		if newCentres != nil {
			if err := tx.PutMeta(metaCentres, newCentres); err != nil {
				return err
			}
		}
		// What the hub holds of the centres' occupancy arrives in this
		// exchange: the capacity view is as fresh as it from now on.
		if err := s.d.putCentresKnown(tx); err != nil {
			return err
		}
		for _, raw := range rep.Credentials {
			c, err := trust.UnmarshalCredential(raw)
			if err != nil || c.Verify(root, time.Unix(c.IssuedAt, 0)) != nil || c.Country != s.d.info.Country {
				continue // not from this authority: ignored, never trusted
			}
			if err := tx.PutCredential(store.CredentialRow{DeviceID: c.DeviceID, Credential: raw, Station: c.Station}); err != nil {
				return err
			}
		}
		if newList != nil {
			if err := tx.PutMeta(metaRevocations, newList); err != nil {
				return err
			}
		}
		return raiseHubHeads(tx, s.d.info.DeviceID, hubVec)
	})
}

// raiseHubHeads records what the hub says it holds. Of this device's own
// logs the hub cannot hold more than the device wrote: a larger claim (a
// bug, or something answering in the hub's place) is cut down to what
// exists, so it can never take the device's registrations off the list of
// what still has to reach the hub (USB bundles and the 72-hour clock are
// made from that list).
func raiseHubHeads(tx *store.Tx, self string, v vector.Vector) error {
	local, err := tx.Heads()
	if err != nil {
		return err
	}
	believed := vector.Vector{}
	for k, high := range v {
		if k.Origin == self {
			high = min(high, local[k])
		}
		believed[k] = high
	}
	return tx.RaisePeerHeads(hubPeer, believed)
}

// Sync exchanges events with the hub: it sends what the hub lacks and
// receives what this device lacks, in bounded chunks, each applied in one
// transaction, and records the hub's acknowledgements (the 72-hour clock).
// Interrupted at any point, it loses nothing: the next sync resumes.
// Errors wrap the sentinels of sync/client (client.ErrUnreachable,
// client.ErrRevoked, client.ErrCertMismatch, ...); client.Retryable says
// whether trying again later may help. The report is returned in every case.
func (s *Session) Sync(ctx context.Context, opts SyncOptions) (*SyncReport, error) {
	rep := &SyncReport{Started: s.d.opts.Now()}
	err := s.sync(ctx, opts, rep)
	s.noteRevoked(err)
	rep.Finished = s.d.opts.Now()
	if err != nil {
		rep.Error = err.Error()
	}
	b, _ := json.Marshal(rep)
	_ = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutMeta(metaLastReport, b); err != nil {
			return err
		}
		if rep.Complete {
			if err := tx.PutMeta(metaLastSync, []byte(strconv.FormatInt(rep.Finished.Unix(), 10))); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("sent %d, received %d, refused %d, quarantined %d", rep.Sent, rep.Received, rep.Refused, rep.Quarantined)
		if err != nil {
			detail += "; failed"
		}
		return s.auditTx(tx, "sync", "", detail)
	})
	return rep, err
}

func (s *Session) sync(ctx context.Context, opts SyncOptions, rep *SyncReport) error {
	if err := s.check(); err != nil {
		return err
	}
	url, hubCert, clientCert, err := s.d.hubConfig()
	if err != nil {
		return err
	}
	if opts.HubURL != "" {
		url = opts.HubURL
	}
	if err := client.CheckURL(url); err != nil {
		return err
	}
	chunk := opts.ChunkEvents
	if chunk <= 0 || chunk > wire.MaxChunkEvents {
		chunk = wire.MaxChunkEvents
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(Progress) {}
	}
	s.mu.RLock()
	if s.k == nil {
		s.mu.RUnlock()
		return ErrSessionLocked
	}
	key := slices.Clone(s.k.sign)
	s.mu.RUnlock()
	defer clear(key)
	c := client.New(client.Config{URL: url, HubCert: hubCert, ClientCert: clientCert, Key: ed25519.PrivateKey(key),
		DialContext: opts.DialContext, Timeout: opts.Timeout})
	defer c.Close()

	p := Progress{Phase: "connecting"}
	progress(p)
	local, err := s.d.st.Heads()
	if err != nil {
		return err
	}
	hello, err := c.Hello(ctx, local)
	if err != nil {
		return err
	}
	hubVec, err := wire.ToVector(hello.Vector)
	if err != nil {
		return &client.Error{Kind: client.ErrHub, Op: "hello", Message: "the hub sent a malformed vector"}
	}
	if err := s.takeTrust(hello, hubVec); err != nil {
		return err
	}
	missing := local.Missing(hubVec)
	for _, r := range missing {
		p.ToSend += int(r.To - r.From + 1)
	}
	p.ToReceive = int(hello.Incoming)
	p.Phase = "sending"
	progress(p)

	// Send: chunks read straight from the database, pushParallel in
	// flight, so reading and encoding here overlap checking and storing
	// at the hub. Acknowledgements may arrive out of order: each is the
	// hub's contiguous mark after its commit, and marks only ever rise.
	if err := s.send(ctx, c, missing, chunk, rep, &p, progress); err != nil {
		return err
	}

	// Receive: chunk by chunk until the hub has nothing more.
	p.Phase = "receiving"
	progress(p)
	for {
		if err := ctx.Err(); err != nil {
			return &client.Error{Kind: client.ErrUnreachable, Op: "pull", Message: "sync cancelled", Err: err}
		}
		before, err := s.d.st.Heads()
		if err != nil {
			return err
		}
		pulled, err := c.PullChunk(ctx, before, chunk)
		if err != nil {
			return err
		}
		evs, more := pulled.Events, pulled.More
		res, err := s.applyChunk(evs)
		if err != nil {
			return err
		}
		// The hub sends only within its contiguous heads: it holds every
		// event of each log up to the highest one it sent, or knows the
		// slot lost (a hole, which the device records too).
		held := vector.Vector{}
		for _, e := range evs {
			k := vector.Key{Origin: e.Origin, Epoch: e.Epoch}
			held[k] = max(held[k], e.Seq)
		}
		err = s.d.st.Update(ctx, func(tx *store.Tx) error {
			for _, h := range pulled.Holes {
				if h.Origin == s.d.info.DeviceID && h.Epoch == s.d.info.Epoch {
					continue // this device's own log: it holds every event of it
				}
				if err := tx.AddHole(h, "lost at the hub", s.d.opts.Now()); err != nil {
					return err
				}
				k := vector.Key{Origin: h.Origin, Epoch: h.Epoch}
				held[k] = max(held[k], h.Seq)
			}
			return raiseHubHeads(tx, s.d.info.DeviceID, held)
		})
		if err != nil {
			return err
		}
		rep.Received += res.received
		rep.Refused += res.refused
		rep.Quarantined += res.quarantined
		rep.Conflicts += res.conflicts
		rep.Future += res.future
		p.Received += len(evs)
		progress(p)
		if !more {
			break
		}
		after, err := s.d.st.Heads()
		if err != nil {
			return err
		}
		if after.String() == before.String() {
			break // nothing in the chunk could be taken: stop rather than ask again
		}
	}
	local, err = s.d.st.Heads()
	if err != nil {
		return err
	}
	acked, err := s.d.st.PeerHeads(hubPeer)
	if err != nil {
		return err
	}
	rep.Complete = acked.Dominates(local) && rep.Refused == 0 && rep.Quarantined == 0
	// The hub now holds this device's records: ask the questions that
	// waited for it.
	s.askWaiting(ctx, c, rep)
	p.Phase = "done"
	progress(p)
	return nil
}

type applied struct {
	received, refused, quarantined, conflicts, future int
}

// applyChunk takes events from the hub in one transaction: each verified
// against its origin's credential and the revocation list, inserted or
// ignored, a different event under an existing key quarantined; then every
// record touched is folded again and its projection rewritten.
func (s *Session) applyChunk(evs []*registry.Event) (applied, error) {
	c, err := s.prepareChunk(evs)
	if err != nil {
		return applied{}, err
	}
	return s.writeChunk(c)
}

// preparedChunk is a chunk of events checked and, for records new to the
// device, folded and projected: everything but the write.
type preparedChunk struct {
	evs []*registry.Event
	ok  []bool                     // signature and revocation checks passed
	pre map[string]*preparedRecord // new records, ready to write
}

// prepareChunk does the CPU work of applying evs on every core, without
// writing: signatures, and folding, sealing and indexing records new to the
// device. It may run while an earlier chunk is being written (the write
// checks again which records exist).
func (s *Session) prepareChunk(evs []*registry.Event) (*preparedChunk, error) {
	c := &preparedChunk{evs: evs}
	if len(evs) == 0 {
		return c, nil
	}
	ts, err := s.d.loadTrust()
	if err != nil {
		return nil, err
	}
	// Signatures are checked before the write lock is taken, on every core:
	// Ed25519 verification is most of the CPU cost of applying events.
	ok := make([]bool, len(evs))
	workers := min(runtime.NumCPU(), 1+len(evs)/64)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(evs); i += workers {
				e := evs[i]
				c := ts.creds[e.Origin]
				if c == nil || e.Verify(c.PublicKey) != nil {
					continue
				}
				if at, revoked := ts.revoked.RevokedAt(e.Origin); revoked && !e.HLC.Time().Before(at) {
					continue
				}
				ok[i] = true
			}
		}(w)
	}
	wg.Wait()
	c.ok = ok
	// Records new to this device whose every event is in this chunk (the
	// common case when a device catches up) are folded, sealed and indexed
	// on every core before the write transaction; the transaction only
	// writes them. Anything else is folded inside it from the stored events.
	err = s.withKeys(func(*keys) error {
		c.pre = s.prepareNew(evs, ok)
		return nil
	})
	return c, err
}

// writeChunk stores a prepared chunk in one transaction.
func (s *Session) writeChunk(c *preparedChunk) (applied, error) {
	var res applied
	if len(c.evs) == 0 {
		return res, nil
	}
	evs, ok, pre := c.evs, c.ok, c.pre
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return res, ErrSessionLocked
	}
	now := s.d.opts.Now()
	err := s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		res = applied{}
		touched := map[string]bool{}
		inserted := map[string]int{}
		var order []string
		for i, e := range evs {
			if !ok[i] {
				res.refused++
				continue
			}
			if p := pre[e.Record]; p != nil && p.err == nil {
				// Already opened and folded while preparing.
			} else if reason := s.checkChange(e); reason != "" {
				res.quarantined++
				if err := tx.Quarantine(e, reason, now); err != nil {
					return err
				}
				// Signed by its origin, yet refused: no valid event will
				// take its slot, so the log may pass it (as at the hub).
				if err := tx.AddHole(e.ID(), reason, now); err != nil {
					return err
				}
				continue
			}
			ins, err := tx.InsertEvent(e, now)
			if err != nil {
				return err
			}
			if !ins {
				old, err := tx.Event(e.ID())
				if err != nil {
					return err
				}
				if string(old.Sig) != string(e.Sig) || string(old.SignedBytes()) != string(e.SignedBytes()) {
					res.quarantined++
					if err := tx.Quarantine(e, "a different event under an existing sequence number (forked log)", now); err != nil {
						return err
					}
				}
				continue
			}
			res.received++
			inserted[e.Record]++
			if e.HLC.Time().After(now.Add(wire.FutureSkew)) {
				// Accepted, but the clock is not dragged a day or more ahead.
				res.future++
				if err := tx.Flag(e.ID(), "future", now); err != nil {
					return err
				}
			} else {
				s.d.clock.Observe(e.HLC)
			}
			if !touched[e.Record] {
				touched[e.Record] = true
				order = append(order, e.Record)
			}
		}
		// Records prepared outside the transaction are written together at
		// the end (their search tokens in one ordered pass).
		var newRows []store.RecordRow
		var newTokens [][][]byte
		for _, id := range order {
			exists, err := tx.RecordExists(id)
			if err != nil {
				return err
			}
			if p := pre[id]; p != nil && p.err == nil && !exists && inserted[id] == p.events {
				newRows = append(newRows, p.row)
				newTokens = append(newTokens, p.tokens)
				if p.conflicts {
					res.conflicts++
				}
				if err := tx.MarkConflict(id, p.conflicts); err != nil {
					return err
				}
				if p.stay != nil {
					if err := s.putStay(tx, id, p.stay); err != nil {
						return err
					}
				}
				continue
			}
			r, err := s.foldTx(tx, id)
			if err != nil {
				return err
			}
			if err := s.project(tx, r, !exists); err != nil {
				return err
			}
			if len(r.Conflicts) > 0 {
				res.conflicts++
			}
			if err := tx.MarkConflict(id, len(r.Conflicts) > 0); err != nil {
				return err
			}
		}
		return tx.PutNewRecords(newRows, newTokens)
	})
	if err != nil {
		return applied{}, err // rolled back: nothing was taken
	}
	return res, nil
}

// RecordConflicts is a record holding concurrent edits of identity fields.
type RecordConflicts struct {
	ID        string
	Summary   Summary
	Conflicts []registry.Conflict // each: the field, the competing values and who wrote them
}

// Conflicts lists the records that hold a conflict for a supervisor to
// resolve (ResolveConflict). Opening them is not audit-logged as a view:
// the list shows summaries only.
func (s *Session) Conflicts() ([]RecordConflicts, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ids, err := s.d.st.ConflictRecords()
	if err != nil {
		return nil, err
	}
	var out []RecordConflicts
	for _, id := range ids {
		r, err := s.state(id)
		if err != nil {
			return nil, err
		}
		if len(r.Conflicts) == 0 {
			continue
		}
		out = append(out, RecordConflicts{ID: id, Summary: summaryOf(r), Conflicts: r.Conflicts})
	}
	return out, nil
}

// ResolveConflict settles a conflict on field of record id with value (the
// JSON value of the field: one of the conflict's values, or a merge the
// supervisor typed). It writes an amendment that names the current writer
// of the field as seen, which the fold takes as a resolution. Supervisors
// only; audit-logged. It fails if the field holds no conflict or the value
// does not validate.
func (s *Session) ResolveConflict(id, field string, value json.RawMessage) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	now := s.d.opts.Now()
	s.d.writeMu.Lock()
	defer s.d.writeMu.Unlock()
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		cur, err := s.foldTx(tx, id)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(cur.Conflicts, func(c registry.Conflict) bool { return c.Field == field }) {
			return fmt.Errorf("record %s holds no conflict on %s", id, field)
		}
		// Check the value by applying it to the current person.
		m := map[string]json.RawMessage{}
		b, _ := json.Marshal(&cur.Person)
		_ = json.Unmarshal(b, &m)
		m[field] = value
		b, _ = json.Marshal(m)
		var p registry.Person
		if err := json.Unmarshal(b, &p); err != nil {
			return registry.FieldErrors{field: "is not a valid value for this field"}
		}
		if err := registry.Validate(&p, now); err != nil {
			return err
		}
		ch := &registry.Change{Fields: map[string]json.RawMessage{field: value},
			Prev: map[string]registry.EventID{field: cur.Writers[field]}, Reason: "conflict resolved by a supervisor"}
		r, err := s.recordEvent(tx, id, registry.OpAmend, ch)
		if err != nil {
			return err
		}
		if err := tx.MarkConflict(id, len(r.Conflicts) > 0); err != nil {
			return err
		}
		return appendAudit(tx, s.k.audit, now, s.officer.ID, "conflict_resolve", id, "field: "+field)
	})
}

// Syncer runs syncs for the app: one at a time (SyncNow), or in the
// background with backoff (Run). It is safe for concurrent use.
type Syncer struct {
	s    *Session
	opts SyncOptions
	mu   sync.Mutex // one sync at a time
}

// NewSyncer returns a Syncer for an unlocked session.
func NewSyncer(s *Session, opts SyncOptions) *Syncer { return &Syncer{s: s, opts: opts} }

// SyncNow runs one sync, waiting for a running one to finish first. The
// progress callback of the options is called from this goroutine.
func (y *Syncer) SyncNow(ctx context.Context) (*SyncReport, error) {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.s.Sync(ctx, y.opts)
}

// Backoff bounds of Run.
const (
	MinBackoff = 30 * time.Second
	MaxBackoff = 30 * time.Minute
)

// Run syncs every interval until ctx is done or the session locks. After a
// failure that retrying may fix (client.Retryable), it waits with
// exponential backoff and jitter from MinBackoff up to MaxBackoff; after
// one it cannot (revoked, certificate mismatch), it waits MaxBackoff. Each
// result goes to done (report and error), if not nil.
func (y *Syncer) Run(ctx context.Context, interval time.Duration, done func(*SyncReport, error)) {
	wait := time.Duration(0)
	backoff := MinBackoff
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if y.s.Locked() {
			return
		}
		rep, err := y.SyncNow(ctx)
		if done != nil {
			done(rep, err)
		}
		switch {
		case errors.Is(err, ErrSessionLocked):
			return
		case err == nil:
			wait, backoff = interval, MinBackoff
		case client.Retryable(err):
			wait = backoff/2 + rand.N(backoff/2+1)
			backoff = min(backoff*2, MaxBackoff)
		default:
			wait = MaxBackoff
		}
	}
}

// preparedRecord is a new record folded and projected outside the write
// transaction.
type preparedRecord struct {
	events    int // events of the record in the chunk
	row       store.RecordRow
	tokens    [][]byte
	conflicts bool
	stay      *registry.Stay // the record's stay, for the occupancy projection
	err       error
}

// prepareNew folds and projects, on every core, the records of evs that this
// device does not hold yet and whose events all passed the signature check.
// Called with s.mu read-locked and the session unlocked.
func (s *Session) prepareNew(evs []*registry.Event, ok []bool) map[string]*preparedRecord {
	byRecord := map[string][]registry.Opened{}
	bad := map[string]bool{}
	for i, e := range evs {
		if !ok[i] {
			bad[e.Record] = true
			continue
		}
		byRecord[e.Record] = append(byRecord[e.Record], registry.Opened{Event: e})
	}
	var ids []string
	for id := range byRecord {
		if bad[id] {
			continue
		}
		if _, err := s.d.st.Record(id); err == nil || !errors.Is(err, store.ErrNotFound) {
			continue // known here (or unreadable): fold inside the transaction
		}
		ids = append(ids, id)
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
			for n := w; n < len(ids); n += workers {
				id, p := ids[n], out[ids[n]]
				opened := byRecord[id]
				for i := range opened {
					if opened[i].Change, p.err = opened[i].Event.OpenChange(s.k.records); p.err != nil {
						break
					}
					if p.err = registry.CheckEvent(opened[i].Event, opened[i].Change, s.d.info.Country); p.err != nil {
						break // written in the transaction, which quarantines it
					}
				}
				if p.err != nil {
					continue
				}
				r, err := registry.Fold(id, opened)
				if p.err = err; err != nil {
					continue
				}
				p.conflicts = len(r.Conflicts) > 0
				p.stay = r.Stay
				p.row, p.tokens, p.err = s.projection(r)
			}
		}(w)
	}
	wg.Wait()
	return out
}

// checkChange says why event e cannot be taken ("" if it can): its payload
// does not open, or its content breaks the rules a device applies when it
// writes an event (registry.CheckEvent: a foreign record ID, a wrong check
// character, a missing category, a date that does not exist, ...). A signed
// event like that must not stop every later fold of its record. Called with
// s.mu read-locked and the session unlocked.
func (s *Session) checkChange(e *registry.Event) string {
	c, err := e.OpenChange(s.k.records)
	if errors.Is(err, registry.ErrNotUTF8) {
		return "change malformed: text that is not valid UTF-8"
	}
	if err != nil {
		return "payload does not open with the deployment's records key"
	}
	if err := registry.CheckEvent(e, c, s.d.info.Country); err != nil {
		return err.Error()
	}
	return ""
}

// ApplyResult says what ApplyEvents took.
type ApplyResult struct {
	Received    int // new events stored
	Refused     int // unknown device, bad signature, or signed after revocation
	Quarantined int // forked log, or payload that does not open
	Conflicts   int // records touched that now hold a conflict
	Future      int // stamped more than a day ahead: accepted and flagged
}

// ApplyEvents takes events from another replica (the hub, or a bundle) in
// one transaction, exactly as a sync does: verified against the trust list
// this device received from its hub, inserted or ignored, and the records
// they touch folded again. Applying the same events again changes nothing.
func (s *Session) ApplyEvents(evs []*registry.Event) (ApplyResult, error) {
	if err := s.check(); err != nil {
		return ApplyResult{}, err
	}
	if len(evs) > wire.MaxChunkEvents {
		return ApplyResult{}, fmt.Errorf("at most %d events at a time", wire.MaxChunkEvents)
	}
	r, err := s.applyChunk(evs)
	return ApplyResult{Received: r.received, Refused: r.refused, Quarantined: r.quarantined, Conflicts: r.conflicts, Future: r.future}, err
}

// Digest is a SHA-256 over every record's folded state (fields, versions,
// conflicts, links) in record ID order: two replicas holding the same
// events have the same digest. It also checks that each stored projection
// equals a fresh fold of the record's events, and fails if one does not.
// It returns the digest in hex and the number of records.
func (s *Session) Digest() (string, int, error) {
	if err := s.check(); err != nil {
		return "", 0, err
	}
	rows, err := s.d.st.DB().Query("SELECT DISTINCT record FROM events ORDER BY record")
	if err != nil {
		return "", 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return "", 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	h := sha256.New()
	for _, id := range ids {
		evs, err := s.d.st.RecordEvents(id)
		if err != nil {
			return "", 0, err
		}
		s.mu.RLock()
		if s.k == nil {
			s.mu.RUnlock()
			return "", 0, ErrSessionLocked
		}
		r, err := s.foldEvents(id, evs)
		s.mu.RUnlock()
		if err != nil {
			return "", 0, err
		}
		fresh, _ := json.Marshal(r)
		stored, err := s.state(id)
		if err != nil {
			return "", 0, fmt.Errorf("record %s: no projection: %w", id, err)
		}
		if b, _ := json.Marshal(stored); string(b) != string(fresh) {
			return "", 0, fmt.Errorf("record %s: stored projection differs from the fold of its events", id)
		}
		h.Write([]byte(id))
		h.Write([]byte{0})
		h.Write(fresh)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), len(ids), nil
}

// keepRefused records the events of this device's own log that the hub
// quarantined, with the hub's reason, in the device's quarantine list: the
// hub's acknowledgement passes them (they will never be taken), so this is
// where the sync screen and `fieldreg audit verify` name their records.
func (s *Session) keepRefused(tx *store.Tx, refused []wire.Refusal) error {
	for _, q := range refused {
		if q.Event.Origin != s.d.info.DeviceID {
			continue
		}
		e, err := tx.Event(q.Event)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := tx.Quarantine(e, "refused by the hub: "+q.Reason, s.d.opts.Now()); err != nil {
			return err
		}
	}
	return nil
}

// pushParallel is how many chunks are in flight to the hub at once.
const pushParallel = 2

func (s *Session) send(ctx context.Context, c *client.Client, missing []vector.Range, chunk int, rep *SyncReport, p *Progress, progress func(Progress)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct{ evs [][]byte }
	jobs := make(chan job)
	var mu sync.Mutex // guards rep, p, firstErr and the acknowledgement writes
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for w := 0; w < pushParallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				ack, err := c.Push(ctx, j.evs)
				if err != nil {
					var ce *client.Error
					if errors.As(err, &ce) {
						mu.Lock()
						rep.Refused += len(ce.Refused)
						mu.Unlock()
					}
					fail(err)
					continue
				}
				heads, err := wire.ToVector(ack.Heads)
				if err != nil {
					fail(&client.Error{Kind: client.ErrHub, Op: "push", Message: "the hub sent a malformed acknowledgement"})
					continue
				}
				mu.Lock()
				if err := s.d.st.Update(context.Background(), func(tx *store.Tx) error {
					if err := s.keepRefused(tx, ack.Quarantined); err != nil {
						return err
					}
					return raiseHubHeads(tx, s.d.info.DeviceID, heads)
				}); err != nil {
					mu.Unlock()
					fail(err)
					continue
				}
				rep.Sent += ack.Accepted
				rep.Duplicates += ack.Duplicates
				rep.Quarantined += len(ack.Quarantined)
				p.Sent += len(j.evs)
				progress(*p)
				mu.Unlock()
			}
		}()
	}
	errFull := errors.New("full")
	var readErr error
read:
	for _, r := range missing {
		for from := r.From; from <= r.To; {
			var evs [][]byte
			var last uint64
			size := 0
			err := s.d.st.EventRange(ctx, vector.Range{Key: r.Key, From: from, To: r.To}, func(e *registry.Event) error {
				b := wire.EncodeEvent(e)
				if len(evs) >= chunk || len(evs) > 0 && size+len(b) > wire.MaxChunkBytes {
					return errFull
				}
				evs, size, last = append(evs, b), size+len(b), e.Seq
				return nil
			})
			if err != nil && !errors.Is(err, errFull) {
				if ctx.Err() == nil {
					readErr = err
				}
				break read
			}
			if len(evs) == 0 {
				break // a gap in this device's own copy: nothing more to send here
			}
			select {
			case jobs <- job{evs}:
			case <-ctx.Done():
				break read
			}
			from = last + 1
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if readErr != nil {
		return readErr
	}
	if err := ctx.Err(); err != nil {
		return &client.Error{Kind: client.ErrUnreachable, Op: "push", Message: "sync cancelled", Err: err}
	}
	return nil
}
