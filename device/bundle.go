package device

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/bundle"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

// Meta keys of USB bundles on a device.
const (
	// MetaHubBundleKey holds the hub's age recipient (public), from the
	// enrolment package and refreshed by every bundle from the hub.
	MetaHubBundleKey  = "sync:hub_bundle_key"
	metaHubKeyAt      = "sync:hub_bundle_key_at" // Created of the hub bundle it came from (Unix ms)
	metaBundleKeyName = "bundle_key"             // sealed:bundle_key: this device's age identity, sealed under the master key
	metaBundleSeen    = "bundle:seen:"           // + bundle ID
)

// ErrNoHubBundleKey means the device does not know the hub's bundle key:
// it was enrolled before bundles existed.
var ErrNoHubBundleKey = errors.New("this device does not know its hub's bundle key: enrol it again with a current hub")

// bundleIdentity returns this device's age identity for bundles from the
// hub, making it (sealed under the master key) on first use. The private
// key never leaves the device; its recipient travels in every bundle the
// device exports.
func (s *Session) bundleIdentity() (*age.X25519Identity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return nil, ErrSessionLocked
	}
	ad := seal.AD("meta", metaBundleKeyName)
	var id *age.X25519Identity
	err := s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if c, err := tx.GetMeta("sealed:" + metaBundleKeyName); err == nil {
			b, err := seal.Open(s.k.master, c, ad)
			if err != nil {
				return fmt.Errorf("device keys damaged (bundle key): %w", err)
			}
			id, err = age.ParseX25519Identity(string(b))
			clear(b)
			return err
		}
		nid, err := age.GenerateX25519Identity()
		if err != nil {
			return err
		}
		c, err := seal.Seal(s.k.master, []byte(nid.String()), ad)
		if err != nil {
			return err
		}
		id = nid
		return tx.PutMeta("sealed:"+metaBundleKeyName, c)
	})
	return id, err
}

// BundleExport says what ExportBundle wrote.
type BundleExport struct {
	ID      string
	Events  int // events in the bundle
	Pending int // registrations still waiting for the hub's acknowledgement
	// Prekey is the ID of the hub's one-time key the bundle is sealed to
	// (forward-secret: once the hub imports it, no copy opens again); ""
	// when the device held none and sealed it to the hub's long-term
	// bundle key (the fallback, until the hub's next answer brings keys).
	Prekey string
}

// ExportBundle writes to w a bundle for the hub: every event this device
// holds that the hub has not acknowledged, and the device's version vector
// (so the hub knows what to send back), signed with the device key and
// encrypted to the hub's bundle key. Events are streamed from the database.
// Exporting changes nothing: the events stay pending until the hub's answer
// (ImportBundle) or a sync acknowledges them. Audit-logged (counts only).
// progress, if not nil, is called from this goroutine with the events
// written and the events to write.
func (s *Session) ExportBundle(ctx context.Context, w io.Writer, progress BundleProgress) (*BundleExport, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if _, _, _, err := s.d.hubConfig(); err != nil {
		return nil, err
	}
	// Sealed to one of the hub's one-time keys if the device holds one,
	// else to the hub's long-term bundle key (the fallback: such a stick
	// stays readable by the hub's key for as long as that key lives).
	pk, err := s.takeHubPrekey(ctx)
	if err != nil {
		return nil, err
	}
	var to *age.X25519Recipient
	if pk == nil {
		kb, err := s.d.st.GetMeta(MetaHubBundleKey)
		if err != nil {
			return nil, ErrNoHubBundleKey
		}
		if to, err = age.ParseX25519Recipient(string(kb)); err != nil {
			return nil, ErrNoHubBundleKey
		}
	}
	own, err := s.publishPrekeys(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.bundleIdentity()
	if err != nil {
		return nil, err
	}
	local, err := s.d.st.Heads()
	if err != nil {
		return nil, err
	}
	acked, err := s.d.st.PeerHeads(hubPeer)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	if s.k == nil {
		s.mu.RUnlock()
		return nil, ErrSessionLocked
	}
	key := slices.Clone(s.k.sign)
	s.mu.RUnlock()
	defer clear(key)
	hd := &bundle.Header{ID: bundle.NewID(), Kind: bundle.KindToHub, Country: s.d.info.Country, From: s.d.info.DeviceID,
		FromKey: id.Recipient().String(), To: bundle.HubID, Created: s.d.opts.Now().UnixMilli(),
		Vector: wire.FromVector(local)}
	sign := func(m []byte) []byte { return ed25519.Sign(ed25519.PrivateKey(key), m) }
	var bw *bundle.Writer
	if pk != nil {
		hd.ToKey, hd.Prekey = pk.Recipient, pk.ID
		bw, err = bundle.NewPrekeyWriter(w, pk, hd, sign)
	} else {
		hd.ToKey = to.String()
		bw, err = bundle.NewWriter(w, to, hd, sign)
	}
	if err != nil {
		return nil, err
	}
	if err := bw.Prekeys(own); err != nil {
		return nil, err
	}
	missing := local.Missing(acked)
	total := 0
	for _, r := range missing {
		total += int(r.To - r.From + 1)
	}
	progress.report(0, total)
	for _, r := range missing {
		if err := s.d.st.EventRange(ctx, r, func(e *registry.Event) error {
			if err := bw.Event(e); err != nil {
				return err
			}
			if n := bw.Events(); n%progressEvery == 0 {
				progress.report(n, total)
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	pend, _, err := s.d.pending()
	if err != nil {
		return nil, err
	}
	progress.report(bw.Events(), total)
	res := &BundleExport{ID: hd.ID, Events: bw.Events(), Pending: len(pend), Prekey: hd.Prekey}
	if err := s.audit("bundle_export", "", fmt.Sprintf("bundle %s: %d events", hd.ID, res.Events)); err != nil {
		return nil, err
	}
	return res, nil
}

// BundleImport says what ImportBundle took.
type BundleImport struct {
	ID       string
	Repeated bool // already imported: nothing changed
	Events   int  // in the bundle
	ApplyResult
	Complete bool // the hub now holds everything this device holds
	Pending  int  // registrations still waiting for the hub
}

// BundleProgress is told how far a bundle export or import is: done of
// total events (total 0: not known yet). It may be nil.
type BundleProgress func(done, total int)

func (p BundleProgress) report(done, total int) {
	if p != nil {
		p(done, total)
	}
}

// progressEvery is how often (in events) an export reports progress.
const progressEvery = 1000

// bundleTxEvents is how many events of a bundle one transaction applies
// unless Options.BundleBatch says otherwise.
const bundleTxEvents = 10_000

// ImportBundle takes the hub's answer bundle from f: it must be addressed
// to this device, signed with the authority's root key, whole and
// unaltered; otherwise nothing is taken and the error wraps one of
// bundle.ErrNotBundle, ErrNotForUs, ErrDamaged, ErrBadSignature, ... Then,
// exactly as a network sync: the trust list, a newer revocation list and
// newer notice contacts are stored, the hub's vector is recorded as acknowledged (the 72-hour
// clock), and the events are applied a chunk per transaction, each verified
// against the trust list. Importing the same bundle again, or an older one
// after a newer, changes nothing. progress, if not nil, is called from this
// goroutine with the events applied and the bundle's events (0, 0 while the
// whole file is being checked).
func (s *Session) ImportBundle(ctx context.Context, f io.ReadSeeker, progress BundleProgress) (*BundleImport, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	// Checking the whole file, then applying it, allocates a few GB for
	// 100,000 events: the collector is let the heap grow (relaxGC).
	defer relaxGC()()
	lt, err := s.bundleIdentity()
	if err != nil {
		return nil, err
	}
	root, err := s.d.st.GetMeta("root_public")
	if err != nil || len(root) != ed25519.PublicKeySize {
		return nil, errors.New("this device's authority root key is missing or damaged")
	}
	// A bundle sealed to one of this device's one-time keys opens with that
	// key only; once imported, the key is gone and a copy is a repeat.
	progress.report(0, 0)
	var id age.Identity = lt
	self := lt.Recipient().String()
	pid, err := bundle.SealedPrekey(f)
	if err != nil {
		return nil, err
	}
	if pid != "" {
		pk, usedBy, err := s.prekeyIdentity(pid)
		if err != nil {
			return nil, err
		}
		if pk == nil {
			return &BundleImport{ID: usedBy, Repeated: true}, nil
		}
		id, self = pk, pk.X.Recipient().String()
	}
	b, err := bundle.Open(f, id, self, func(h *bundle.Header) (ed25519.PublicKey, error) {
		if h.Kind != bundle.KindToDevice || h.From != bundle.HubID || h.To != s.d.info.DeviceID || h.Country != s.d.info.Country {
			return nil, fmt.Errorf("%w", bundle.ErrNotForUs)
		}
		return ed25519.PublicKey(root), nil
	}, bundle.Options{})
	if err != nil {
		return nil, err
	}
	hd := b.Header()
	res := &BundleImport{ID: hd.ID, Events: b.Events()}
	if _, err := s.d.st.GetMeta(metaBundleSeen + hd.ID); err == nil {
		res.Repeated = true
		return res, nil
	}
	hubVec, err := wire.ToVector(hd.Vector)
	if err != nil {
		return nil, bundle.ErrMalformed
	}
	rep := &wire.HelloReply{Credentials: b.Credentials(), Revocations: b.Revocations()}
	for _, k := range trust.DocKinds {
		rep.SetDocument(k.Name(), b.Document(k))
	}
	if err := s.takeTrust(rep, hubVec); err != nil {
		return nil, err
	}
	// The bundle's chunks are applied bundleTxEvents at a time, one
	// transaction each: fewer, larger transactions write each page of the
	// search index once per transaction rather than once per chunk. And
	// they are pipelined: while one batch is written (SQLite, one core),
	// the next is checked, folded and indexed (every core).
	type prepared struct {
		c   *preparedChunk
		err error
	}
	per := s.d.opts.BundleBatch
	if per <= 0 {
		per = bundleTxEvents
	}
	var batch []*registry.Event
	var inFlight chan prepared
	applied := 0
	progress.report(0, res.Events)
	// Each batch's checkpoint runs while the next is awaited, and the
	// next write waits for it: the WAL holds one batch at most.
	var ckpt <-chan struct{} = doneAlready
	defer func() { <-ckpt }()
	write := func() error {
		if inFlight == nil {
			return nil
		}
		p := <-inFlight
		inFlight = nil
		if p.err != nil {
			return p.err
		}
		<-ckpt
		r, err := s.writeChunk(p.c)
		if err == nil {
			ckpt = s.checkpoint(len(p.c.evs))
		}
		applied += len(p.c.evs)
		progress.report(applied, res.Events)
		res.add(r)
		return err
	}
	flush := func(evs []*registry.Event) error {
		// Wait for the batch being prepared, start preparing this one,
		// then write the first while the second is prepared.
		ready := inFlight
		next := make(chan prepared, 1)
		go func() {
			c, err := s.prepareChunk(evs)
			next <- prepared{c, err}
		}()
		inFlight = ready
		err := write()
		inFlight = next
		return err
	}
	err = b.Apply(func(evs []*registry.Event) error {
		batch = append(batch, evs...)
		for len(batch) >= per {
			// The next appends go past the end of this batch, never into it.
			if err := flush(batch[:per:per]); err != nil {
				return err
			}
			batch = batch[per:]
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush(batch)
	}
	if err == nil {
		err = write()
	} else if inFlight != nil {
		<-inFlight // stopped: the batch being prepared is not written
	}
	if err != nil {
		return nil, err
	}
	if res.Complete, err = s.d.complete(res.Refused, res.Quarantined); err != nil {
		return nil, err
	}
	now := s.d.opts.Now()
	err = s.d.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutMeta(metaBundleSeen+hd.ID, []byte(strconv.FormatInt(now.UnixMilli(), 10))); err != nil {
			return err
		}
		// Forward secrecy: the one-time key this bundle was sealed to is
		// destroyed with the import, and the hub's new keys are kept.
		if hd.Prekey != "" {
			if err := s.destroyPrekeyTx(tx, hd.Prekey, hd.ID); err != nil {
				return err
			}
		}
		if err := s.takeHubPrekeysTx(tx, b.Prekeys(), ed25519.PublicKey(root)); err != nil {
			return err
		}
		// The hub's key rides in every bundle it signs: a newer one replaces
		// the one from enrolment (key rotation at the hub).
		at := int64(0)
		if v, err := tx.GetMeta(metaHubKeyAt); err == nil {
			at, _ = strconv.ParseInt(string(v), 10, 64)
		}
		if _, perr := age.ParseX25519Recipient(hd.FromKey); perr == nil && hd.Created > at {
			if err := tx.PutMeta(MetaHubBundleKey, []byte(hd.FromKey)); err != nil {
				return err
			}
			if err := tx.PutMeta(metaHubKeyAt, []byte(strconv.FormatInt(hd.Created, 10))); err != nil {
				return err
			}
		}
		if res.Complete {
			if err := tx.PutMeta(metaLastSync, []byte(strconv.FormatInt(now.Unix(), 10))); err != nil {
				return err
			}
		}
		return s.auditTx(tx, "bundle_import", "", fmt.Sprintf("bundle %s: received %d, refused %d, quarantined %d",
			hd.ID, res.Received, res.Refused, res.Quarantined))
	})
	if err != nil {
		return nil, err
	}
	if hd.Prekey != "" {
		// The key's old copies in the write-ahead log go too.
		if err := s.d.st.Scrub(); err != nil {
			return nil, err
		}
	}
	pend, _, err := s.d.pending()
	if err != nil {
		return nil, err
	}
	res.Pending = len(pend)
	return res, nil
}
