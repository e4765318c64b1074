package device

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/accept"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/bundle"
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
	Erased      int       `json:"erased,omitempty"` // records erased by an erase event received
	Complete    bool      `json:"complete"`         // both sides held everything when it ended
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

// takeTrust stores the hub's trust list (each credential checked against the
// authority's root), a newer revocation list and the authority's newer
// documents (notice contacts, reception centres, retention rules; checked
// too), and records the hub's vector as acknowledged, in one transaction.
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
	docs, err := s.d.newerDocuments(func(k trust.DocKind) []byte { return rep.Document(k.Name()) }, root)
	if err != nil {
		return &client.Error{Kind: client.ErrHub, Op: "hello", Message: err.Error(), Err: err}
	}
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		for _, doc := range docs {
			if err := putDocument(tx, doc.kind, doc.raw); err != nil {
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

// raiseHubHeads records what the hub says it holds, bounded by the
// acceptance rule (accept.Acknowledged): a claim of more of this device's
// own logs than it wrote can never take its registrations off the list of
// what still has to reach the hub (USB bundles and the 72-hour clock are
// made from that list).
func raiseHubHeads(tx *store.Tx, self string, v vector.Vector) error {
	local, err := tx.Heads()
	if err != nil {
		return err
	}
	return tx.RaisePeerHeads(hubPeer, accept.Acknowledged(self, v, local))
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
	r := &syncRun{s: s, c: c, chunk: opts.ChunkEvents, rep: rep, progress: opts.Progress}
	if r.chunk <= 0 || r.chunk > wire.MaxChunkEvents {
		r.chunk = wire.MaxChunkEvents
	}
	if r.progress == nil {
		r.progress = func(Progress) {}
	}

	r.phase("connecting")
	missing, err := r.hello(ctx)
	if err != nil {
		return err
	}
	// Send: chunks read straight from the database, pushParallel in
	// flight, so reading and encoding here overlap checking and storing
	// at the hub. Acknowledgements may arrive out of order: each is the
	// hub's contiguous mark after its commit, and marks only ever rise.
	r.phase("sending")
	if err := r.send(ctx, missing); err != nil {
		return err
	}
	r.phase("receiving")
	if err := r.receive(ctx); err != nil {
		return err
	}
	if rep.Complete, err = s.d.complete(rep.Refused, rep.Quarantined); err != nil {
		return err
	}
	// The hub now holds this device's records: ask the questions that
	// waited for it.
	s.askWaiting(ctx, c, rep)
	r.phase("done")
	return nil
}

// syncRun is one sync under way.
type syncRun struct {
	s        *Session
	c        *client.Client
	chunk    int // events per chunk
	rep      *SyncReport
	mu       sync.Mutex // guards rep and p while chunks are in flight
	p        Progress
	progress func(Progress)
}

// phase reports the start of a phase.
func (r *syncRun) phase(name string) {
	r.p.Phase = name
	r.progress(r.p)
}

// hello tells the hub what this device holds, stores the trust the hub
// sends and its vector as acknowledged, and returns what the hub lacks.
func (r *syncRun) hello(ctx context.Context) ([]vector.Range, error) {
	local, err := r.s.d.st.Heads()
	if err != nil {
		return nil, err
	}
	// The device's one-time bundle keys go with the hello and the hub's
	// come back, so that a USB bundle after a network sync is sealed
	// forward-secret (docs/erasure.md).
	own, err := r.s.publishPrekeys(ctx)
	if err != nil {
		return nil, err
	}
	ownB, err := bundle.MarshalPrekeys(own)
	if err != nil {
		return nil, err
	}
	hello, err := r.c.HelloPrekeys(ctx, local, ownB)
	if err != nil {
		return nil, err
	}
	hubVec, err := wire.ToVector(hello.Vector)
	if err != nil {
		return nil, &client.Error{Kind: client.ErrHub, Op: "hello", Message: "the hub sent a malformed vector"}
	}
	if err := r.s.takeTrust(hello, hubVec); err != nil {
		return nil, err
	}
	if len(hello.Prekeys) > 0 {
		ps, err := bundle.UnmarshalPrekeys(hello.Prekeys)
		if err != nil {
			return nil, &client.Error{Kind: client.ErrHub, Op: "hello", Message: "the hub sent malformed one-time bundle keys"}
		}
		if err := r.s.takeHubPrekeys(ctx, ps); err != nil {
			return nil, err
		}
	}
	missing := local.Missing(hubVec)
	for _, rg := range missing {
		r.p.ToSend += int(rg.To - rg.From + 1)
	}
	r.p.ToReceive = int(hello.Incoming)
	return missing, nil
}

// receive pulls chunk by chunk until the hub has nothing more, each chunk
// ingested in one transaction, then acknowledged with the holes it passed.
func (r *syncRun) receive(ctx context.Context) error {
	s := r.s
	for {
		if err := ctx.Err(); err != nil {
			return &client.Error{Kind: client.ErrUnreachable, Op: "pull", Message: "sync cancelled", Err: err}
		}
		before, err := s.d.st.Heads()
		if err != nil {
			return err
		}
		pulled, err := r.c.PullChunk(ctx, before, r.chunk)
		if err != nil {
			return err
		}
		res, err := s.applyChunk(pulled.Events)
		if err != nil {
			return err
		}
		if err := s.takePulled(ctx, pulled); err != nil {
			return err
		}
		r.rep.add(res)
		r.p.Received += len(pulled.Events)
		r.progress(r.p)
		if !pulled.More {
			return nil
		}
		after, err := s.d.st.Heads()
		if err != nil {
			return err
		}
		if after.String() == before.String() {
			return nil // nothing in the chunk could be taken: stop rather than ask again
		}
	}
}

// takePulled records what a pulled chunk shows the hub holds. The hub
// sends only within its contiguous heads: it holds every event of each
// log up to the highest one it sent, or knows the slot lost (a hole, which
// the device records too).
func (s *Session) takePulled(ctx context.Context, pulled *client.Pulled) error {
	held := vector.Vector{}
	for _, e := range pulled.Events {
		k := vector.Key{Origin: e.Origin, Epoch: e.Epoch}
		held[k] = max(held[k], e.Seq)
	}
	return s.d.st.Update(ctx, func(tx *store.Tx) error {
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
}

// add counts a chunk taken into the report.
func (rep *SyncReport) add(res ApplyResult) {
	rep.Received += res.Received
	rep.Refused += res.Refused
	rep.Quarantined += res.Quarantined
	rep.Conflicts += res.Conflicts
	rep.Future += res.Future
	rep.Erased += res.Erased
}

// complete reports whether the hub holds everything this device holds,
// after an exchange in which refused and quarantined events were not taken.
func (d *Device) complete(refused, quarantined int) (bool, error) {
	local, err := d.st.Heads()
	if err != nil {
		return false, err
	}
	acked, err := d.st.PeerHeads(hubPeer)
	if err != nil {
		return false, err
	}
	return acked.Dominates(local) && refused == 0 && quarantined == 0, nil
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
const pushParallel = 4

// send pushes the ranges the hub lacks: chunks read from the database by
// this goroutine, pushed by pushParallel workers (push).
func (r *syncRun) send(ctx context.Context, missing []vector.Range) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan [][]byte)
	var firstErr error
	fail := func(err error) {
		r.mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		r.mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for w := 0; w < pushParallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for evs := range jobs {
				if err := r.push(ctx, evs); err != nil {
					fail(err)
				}
			}
		}()
	}
	readErr := r.readChunks(ctx, missing, jobs)
	close(jobs)
	wg.Wait()
	switch {
	case firstErr != nil:
		return firstErr
	case readErr != nil:
		return readErr
	case ctx.Err() != nil:
		return &client.Error{Kind: client.ErrUnreachable, Op: "push", Message: "sync cancelled", Err: ctx.Err()}
	}
	return nil
}

// readChunks reads the ranges from the database a chunk at a time (at
// most r.chunk events and wire.MaxChunkBytes) into jobs, until they are
// read or ctx is done.
func (r *syncRun) readChunks(ctx context.Context, missing []vector.Range, jobs chan<- [][]byte) error {
	errFull := errors.New("full")
	for _, rg := range missing {
		for from := rg.From; from <= rg.To; {
			var evs [][]byte
			var last uint64
			size := 0
			err := r.s.d.st.EventRange(ctx, vector.Range{Key: rg.Key, From: from, To: rg.To}, func(e *registry.Event) error {
				b := wire.EncodeEvent(e)
				if len(evs) >= r.chunk || len(evs) > 0 && size+len(b) > wire.MaxChunkBytes {
					return errFull
				}
				evs, size, last = append(evs, b), size+len(b), e.Seq
				return nil
			})
			if err != nil && !errors.Is(err, errFull) {
				if ctx.Err() != nil {
					return nil // cancelled: send says so
				}
				return err
			}
			if len(evs) == 0 {
				break // a gap in this device's own copy: nothing more to send here
			}
			select {
			case jobs <- evs:
			case <-ctx.Done():
				return nil
			}
			from = last + 1
		}
	}
	return nil
}

// push sends one chunk and records the hub's acknowledgement and the
// events of this device it quarantined.
func (r *syncRun) push(ctx context.Context, evs [][]byte) error {
	s := r.s
	ack, err := r.c.Push(ctx, evs)
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) {
			r.mu.Lock()
			r.rep.Refused += len(ce.Refused)
			r.mu.Unlock()
		}
		return err
	}
	heads, err := wire.ToVector(ack.Heads)
	if err != nil {
		return &client.Error{Kind: client.ErrHub, Op: "push", Message: "the hub sent a malformed acknowledgement"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := s.keepRefused(tx, ack.Quarantined); err != nil {
			return err
		}
		return raiseHubHeads(tx, s.d.info.DeviceID, heads)
	})
	if err != nil {
		return err
	}
	r.rep.Sent += ack.Accepted
	r.rep.Duplicates += ack.Duplicates
	r.rep.Quarantined += len(ack.Quarantined)
	r.p.Sent += len(evs)
	r.progress(r.p)
	return nil
}
