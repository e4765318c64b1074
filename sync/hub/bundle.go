package hub

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/accept"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/bundle"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// Meta keys of USB bundles. The hub's age identity is sealed; a device's
// recipient and vector are public (a key and sequence numbers).
const (
	metaBundleKey    = "hub:sealed:bundle_key" // age X25519 identity, sealed under a key derived from the root
	metaBundleDevKey = "bundle:device_key:"    // + device ID: the device's age recipient, from its last bundle
	metaBundleDevVec = "bundle:device_vector:" // + device ID: JSON deviceVector, from its last bundle
	metaBundleSeen   = "bundle:seen:"          // + bundle ID: Unix ms when imported
)

// Errors of bundles at the hub.
var (
	ErrBundleRevoked = errors.New("this bundle comes from a revoked device: nothing was applied (if it was exported before the revocation and carried safely since, the operator can accept what was registered before the revocation with --before-revocation)")
	// ErrBundleAfterRevocation refuses a revoked device's bundle exported
	// after its revocation, even when the operator accepts revoked devices'
	// bundles.
	ErrBundleAfterRevocation = errors.New("this bundle was exported after its device was revoked: nothing was applied")
	ErrBundleUnknown         = errors.New("this bundle comes from a device that is not enrolled at this hub: nothing was applied")
	ErrBundleWrongHub        = errors.New("this bundle is addressed to another hub: nothing was applied")
	ErrNoDeviceKey           = errors.New("the hub holds no bundle key for this device yet: import a bundle from the device first (every bundle carries its key)")
)

// RefusedError is a revoked device's bundle, accepted by the operator
// (ImportBundleBeforeRevocation), refused because events in it are stamped
// after the revocation. Nothing of it was applied. It names event IDs and
// reasons only.
type RefusedError struct {
	Refused []wire.Refusal
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("%d events of this bundle were refused; nothing was applied", len(e.Refused))
	if len(e.Refused) > 0 {
		msg += fmt.Sprintf(" (first: %s: %s)", e.Refused[0].Event, e.Refused[0].Reason)
	}
	return msg
}

// BundleIdentity is the hub's age identity for bundles that devices send it.
// It is made on first use (hubs initialised before bundles existed get one
// then) and stored sealed.
func (h *Hub) BundleIdentity(ctx context.Context) (*age.X25519Identity, error) {
	return h.sealedIdentity(ctx, "fieldreg hub bundle key seal v1", metaBundleKey, "bundle_key")
}

// sealedIdentity loads the age identity stored under meta, or makes and
// stores one. It is sealed under a key derived (HKDF, info) from the
// authority's root seed, itself sealed under the operator's passphrase: the
// data directory alone does not open it.
func (h *Hub) sealedIdentity(ctx context.Context, info, meta, name string) (*age.X25519Identity, error) {
	k, err := h.metaKey(info)
	if err != nil {
		return nil, err
	}
	defer k.Wipe()
	ad := seal.AD("hub", name)
	var id *age.X25519Identity
	// Made once: of two servers making it at once, both keep the one stored.
	err = h.st.Update(ctx, func(tx hubstore.Tx) error {
		c, err := tx.GetMeta(meta)
		if errors.Is(err, hubstore.ErrNotFound) {
			nid, err := age.GenerateX25519Identity()
			if err != nil {
				return err
			}
			if c, err = seal.Seal(k, []byte(nid.String()), ad); err != nil {
				return err
			}
			if c, err = tx.PutMetaOnce(meta, c); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		b, err := seal.Open(k, c, ad)
		if err != nil {
			return fmt.Errorf("hub keys damaged: %s: %w", name, err)
		}
		id, err = age.ParseX25519Identity(string(b))
		clear(b)
		return err
	})
	return id, err
}

// BundleRecipient is the public half of BundleIdentity, which enrolment
// packages carry to devices.
func (h *Hub) BundleRecipient(ctx context.Context) (string, error) {
	id, err := h.BundleIdentity(ctx)
	if err != nil {
		return "", err
	}
	return id.Recipient().String(), nil
}

// deviceVector is what the hub knows of a device from its last bundle.
type deviceVector struct {
	Created int64       `json:"created"` // the bundle's, Unix ms
	Bundle  string      `json:"bundle"`
	Vector  []wire.Head `json:"vector"`
}

// newerBundle reports whether a device's bundle hd is newer than the one
// before (old). A device's vector only grows, so the bundle whose vector
// covers the other's is the newer; the device's clock decides only between
// equal vectors. A tablet whose clock ran years ahead once cannot make the
// hub ignore its later bundles.
func newerBundle(old deviceVector, hd *bundle.Header) bool {
	ov, err1 := wire.ToVector(old.Vector)
	nv, err2 := wire.ToVector(hd.Vector)
	if err1 != nil || err2 != nil {
		return hd.Created > old.Created
	}
	switch newCovers, oldCovers := nv.Dominates(ov), ov.Dominates(nv); {
	case newCovers && oldCovers:
		return hd.Created > old.Created
	case newCovers:
		return true
	case oldCovers:
		return false
	}
	return hd.Created > old.Created // neither (a device restored from a copy): its clock
}

// A bundle's events are stored this many at most per transaction (and
// about this many bytes of payloads): ten of its chunks, whose commit
// writes the pages of the indexes on record IDs once instead of ten times.
// Two batches are in memory at once (one judged, one stored). Variables
// for the tests of several batches.
var (
	bundleTxEvents = 10 * bundle.ChunkEvents
	bundleTxBytes  = 16 << 20
)

// BundleImport says what ImportBundle did.
type BundleImport struct {
	ID          string
	Device      string
	Events      int // in the bundle
	Accepted    int // new at the hub
	Duplicates  int // already held
	Quarantined int // forked logs, and events that failed their checks
	Flagged     int // stamped more than a day ahead
	Repeated    bool
	// RevokedAt is set when the bundle came from a device revoked since it
	// exported it (ImportBundleBeforeRevocation).
	RevokedAt time.Time
}

// ImportBundle verifies the device bundle in the file at path and applies
// its events. The bundle must be addressed to this hub, signed by an
// enrolled device that is not revoked, whole and unaltered: otherwise
// nothing is applied and the error says why (bundle.ErrDamaged,
// bundle.ErrNotForUs, ErrBundleRevoked, ...). Each event is checked as a
// pushed one is; one that fails is quarantined with its reason and the
// others applied (Hub.ingest). Events are applied several chunks per
// transaction (bundleTxEvents) with insert-or-ignore, so importing a bundle
// again, or an older one after a newer, changes nothing, and an import cut
// short is completed by importing the bundle again.
func (h *Hub) ImportBundle(ctx context.Context, path string) (*BundleImport, error) {
	return h.importBundle(ctx, path, false)
}

// ImportBundleBeforeRevocation is ImportBundle for a bundle whose device
// has been revoked since it exported it: a tablet lost or stolen after its
// bundle left the post with a courier. The registrations in it may exist
// nowhere else, so the operator, who knows how the stick travelled, can
// accept it: the bundle must have been exported before the revocation, and
// every event in it must be stamped before the revocation, or nothing is
// applied. The times are the device's own, which is why this is the
// operator's decision and never automatic; it is logged.
func (h *Hub) ImportBundleBeforeRevocation(ctx context.Context, path string) (*BundleImport, error) {
	return h.importBundle(ctx, path, true)
}

func (h *Hub) importBundle(ctx context.Context, path string, beforeRevocation bool) (*BundleImport, error) {
	lt, err := h.BundleIdentity(ctx)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the bundle: %w", err)
	}
	defer f.Close()
	now := h.opts.Now()
	// A bundle sealed to one of the hub's one-time keys opens with that key
	// only; once imported, the key is gone and a copy is a repeat.
	var id age.Identity = lt
	self, keyFor := lt.Recipient().String(), ""
	pid, err := bundle.SealedPrekey(f)
	if err != nil {
		return nil, fmt.Errorf("cannot read the bundle: %w", err)
	}
	if pid != "" {
		pk, usedBundle, usedDevice, err := h.hubPrekeyIdentity(ctx, pid, now)
		if err != nil {
			h.log.Warn("bundle refused", "err", err.Error())
			return nil, err
		}
		if pk == nil {
			h.log.Info("bundle already imported (its one-time key is destroyed)", "bundle", usedBundle, "device", usedDevice)
			return &BundleImport{ID: usedBundle, Device: usedDevice, Repeated: true}, nil
		}
		id, self, keyFor = &pk.PrekeyIdentity, pk.X.Recipient().String(), pk.For
	}
	var c *caller
	b, err := bundle.Open(f, id, self, func(hd *bundle.Header) (ed25519.PublicKey, error) {
		if hd.Kind != bundle.KindToHub || hd.To != bundle.HubID || hd.Country != h.auth.Country {
			return nil, ErrBundleWrongHub
		}
		if keyFor != "" && hd.From != keyFor {
			return nil, bundle.ErrNotForUs // sealed to a one-time key given to another device
		}
		tr, err := h.loadTrust(ctx)
		if err != nil {
			return nil, err
		}
		dev := tr[hd.From]
		switch {
		case dev == nil:
			return nil, ErrBundleUnknown
		case !dev.revoked.IsZero() && !now.Before(dev.revoked) && !beforeRevocation:
			return nil, ErrBundleRevoked
		case !dev.revoked.IsZero() && !time.UnixMilli(hd.Created).Before(dev.revoked):
			return nil, ErrBundleAfterRevocation
		}
		c = &caller{id: hd.From, dev: dev, trust: tr}
		return dev.cred.PublicKey, nil
	}, bundle.Options{Check: func(evs []*registry.Event) error {
		// An operator accepting a revoked device's bundle accepts what it
		// signed before the revocation, and nothing if anything in the
		// bundle is stamped later. Every other bad event is quarantined
		// when the bundle is applied, without stopping the others.
		var refused []wire.Refusal
		for _, e := range evs {
			if e.Origin == c.id && c.dev.origin().SignedAfterRevocation(e) {
				refused = append(refused, wire.Refusal{Event: e.ID(), Reason: accept.ErrRevoked.Error()})
			}
		}
		if len(refused) > 0 {
			return &RefusedError{Refused: refused}
		}
		return nil
	}})
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			for _, rf := range re.Refused {
				h.log.Warn("bundle event refused", "event", rf.Event.String(), "reason", rf.Reason)
			}
		}
		h.log.Warn("bundle refused", "err", err.Error())
		return nil, err
	}
	hd := b.Header()
	if !c.dev.revoked.IsZero() {
		h.log.Warn("bundle of a revoked device accepted by the operator: events stamped before the revocation only",
			"bundle", hd.ID, "device", hd.From, "revoked", c.dev.revoked.UTC().Format(time.RFC3339))
	}
	res := &BundleImport{ID: hd.ID, Device: hd.From, Events: b.Events(), RevokedAt: c.dev.revoked}
	if _, err := h.st.GetMeta(ctx, metaBundleSeen+hd.ID); err == nil {
		res.Repeated = true
		h.log.Info("bundle already imported", "bundle", hd.ID, "device", hd.From)
		return res, nil
	}
	// Chunks are judged (on every core) as they are read, and stored by
	// another goroutine several at a time, one transaction per batch
	// (bundleTxEvents events, bundleTxBytes bytes): the hub's cores are not
	// idle while SQLite writes, and a commit rewrites the pages of the
	// records' indexes (random keys) once for many chunks instead of once
	// for each. One batch is stored while the next is judged.
	var (
		batch   []hubstore.Arrival
		size    int
		toStore = make(chan []hubstore.Arrival)
		done    = make(chan struct{})
		errS    error // the storer's, read once done is closed
	)
	go func() {
		defer close(done)
		for arrivals := range toStore {
			got, err := h.storeJudged(ctx, c, arrivals, now)
			res.Accepted += got.Accepted
			res.Duplicates += got.Duplicates
			res.Quarantined += len(got.Quarantined)
			res.Flagged += got.Flagged
			if err != nil {
				errS = err
				return
			}
		}
	}()
	send := func() error {
		select {
		case toStore <- batch:
			batch, size = nil, 0
			return nil
		case <-done:
			return errS
		}
	}
	err = b.Apply(func(evs []*registry.Event) error {
		batch = append(batch, h.judge(c, evs, now)...)
		for _, e := range evs {
			size += len(e.Payload)
		}
		if len(batch) >= bundleTxEvents || size >= bundleTxBytes {
			return send()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = send()
	}
	close(toStore)
	<-done
	if err == nil {
		err = errS
	}
	if err != nil {
		return nil, err
	}
	vb, _ := json.Marshal(deviceVector{Created: hd.Created, Bundle: hd.ID, Vector: hd.Vector})
	err = h.st.Update(ctx, func(tx hubstore.Tx) error {
		newer := true
		if old, err := tx.GetMeta(metaBundleDevVec + hd.From); err == nil {
			var dv deviceVector
			if json.Unmarshal(old, &dv) == nil {
				newer = newerBundle(dv, &hd) // an older bundle after a newer one changes nothing
			}
		}
		if newer {
			if err := tx.PutMeta(metaBundleDevVec+hd.From, vb); err != nil {
				return err
			}
			if err := tx.PutMeta(metaBundleDevKey+hd.From, []byte(hd.FromKey)); err != nil {
				return err
			}
		}
		// Forward secrecy: the one-time key this bundle was sealed to is
		// destroyed with the import; the device's new keys are kept.
		if hd.Prekey != "" {
			if err := h.destroyHubPrekeyTx(tx, hd.Prekey, hd.ID, hd.From); err != nil {
				return err
			}
		}
		if err := h.keepDevicePrekeysTx(tx, hd.From, c.dev.cred.PublicKey, b.Prekeys(), now); err != nil {
			return err
		}
		return tx.PutMeta(metaBundleSeen+hd.ID, []byte(fmt.Sprint(now.UnixMilli())))
	})
	if err != nil {
		return nil, err
	}
	if hd.Prekey != "" {
		if err := h.st.Scrub(ctx); err != nil {
			return nil, err
		}
	}
	_ = h.st.TouchCredential(ctx, hd.From, now)
	h.log.Info("bundle imported", "bundle", hd.ID, "device", hd.From, "events", res.Events, "accepted", res.Accepted,
		"duplicates", res.Duplicates, "quarantined", res.Quarantined, "flagged", res.Flagged)
	return res, nil
}

// BundleExport says what ExportBundle wrote.
type BundleExport struct {
	ID      string
	Device  string
	Events  int
	Revoked bool // the device is revoked: the bundle carries only the lists that tell it so
	// Prekey is the ID of the device's one-time key the bundle is sealed
	// to (forward-secret: once the device imports it, no copy opens
	// again); "" when the hub held none and sealed it to the device's
	// long-term bundle key (the fallback, until the device's next bundle
	// brings keys).
	Prekey string
}

// findDevice resolves a device name or ID to one enrolled device.
func (h *Hub) findDevice(ctx context.Context, nameOrID string) (*Device, error) {
	devs, err := h.Devices(ctx)
	if err != nil {
		return nil, err
	}
	var hit []Device
	for _, d := range devs {
		if d.ID == nameOrID || strings.EqualFold(d.Name, nameOrID) {
			hit = append(hit, d)
		}
	}
	if len(hit) > 1 { // a revoked device and its re-enrolled successor share a name
		live := hit[:0:0]
		for _, d := range hit {
			if d.RevokedAt.IsZero() {
				live = append(live, d)
			}
		}
		hit = live
	}
	switch len(hit) {
	case 0:
		return nil, ErrUnknownDevice
	case 1:
		return &hit[0], nil
	}
	return nil, fmt.Errorf("%d devices are called %q: name one by ID", len(hit), nameOrID)
}

// ExportBundle writes to w the answer bundle for a device (by name or ID):
// the hub's version vector (the acknowledgement of what it holds), the
// deployment's credentials and revocation list, and the events of the
// device's scope that its last bundle showed it lacked, encrypted to the
// device's bundle key and signed with the authority's root key. Events are
// streamed from the database. The device must have sent a bundle before
// (ErrNoDeviceKey). A revoked device gets no events, only the lists: the
// revocation list that names it tells it to stop issuing receipts and
// signing registrations (BundleExport.Revoked).
func (h *Hub) ExportBundle(ctx context.Context, nameOrID string, w io.Writer) (*BundleExport, error) {
	dev, err := h.findDevice(ctx, nameOrID)
	if err != nil {
		return nil, err
	}
	now := h.opts.Now()
	revoked := !dev.RevokedAt.IsZero() && !now.Before(dev.RevokedAt)
	// Sealed to one of the device's one-time keys if the hub holds one,
	// else to the device's long-term bundle key (the fallback); the hub's
	// own one-time keys for the device's next bundle go inside.
	var pk *bundle.Prekey
	var mine []bundle.Prekey
	err = h.st.Update(ctx, func(tx hubstore.Tx) error {
		if err := h.devicePrekeysTx(tx, dev.ID, now, func(pp *bundle.PeerPrekeys) { pk = pp.Take(now) }); err != nil {
			return err
		}
		if revoked {
			return nil
		}
		var err error
		mine, err = h.hubPrekeysForTx(tx, dev.ID, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	var to *age.X25519Recipient
	if pk == nil {
		kb, err := h.st.GetMeta(ctx, metaBundleDevKey+dev.ID)
		if err != nil {
			return nil, ErrNoDeviceKey
		}
		if to, err = age.ParseX25519Recipient(string(kb)); err != nil {
			return nil, ErrNoDeviceKey
		}
	}
	var dv deviceVector
	if b, err := h.st.GetMeta(ctx, metaBundleDevVec+dev.ID); err == nil {
		_ = json.Unmarshal(b, &dv)
	}
	devVec, err := wire.ToVector(dv.Vector)
	if err != nil {
		devVec = vector.Vector{}
	}
	self, err := h.BundleRecipient(ctx)
	if err != nil {
		return nil, err
	}
	tr, err := h.loadTrust(ctx)
	if err != nil {
		return nil, err
	}
	entry := tr[dev.ID]
	if entry == nil {
		return nil, ErrUnknownDevice
	}
	all, err := h.st.Heads(ctx)
	if err != nil {
		return nil, err
	}
	// What the hub holds of the device's scope only: a station's tablet
	// does not learn the other posts' registration volumes.
	v := h.scoped(&caller{id: dev.ID, dev: entry, trust: tr}, all)
	hd := &bundle.Header{ID: bundle.NewID(), Kind: bundle.KindToDevice, Country: h.auth.Country, From: bundle.HubID, FromKey: self,
		To: dev.ID, Created: now.UnixMilli(), Vector: wire.FromVector(v)}
	var bw *bundle.Writer
	if pk != nil {
		hd.ToKey, hd.Prekey = pk.Recipient, pk.ID
		bw, err = bundle.NewPrekeyWriter(w, pk, hd, h.auth.Sign)
	} else {
		hd.ToKey = to.String()
		bw, err = bundle.NewWriter(w, to, hd, h.auth.Sign)
	}
	if err != nil {
		return nil, err
	}
	if len(mine) > 0 {
		if err := bw.Prekeys(mine); err != nil {
			return nil, err
		}
	}
	ids := make([]string, 0, len(tr))
	for id := range tr {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := bw.Credential(tr[id].raw); err != nil {
			return nil, err
		}
	}
	if err := h.eachDocument(ctx, bw.Document); err != nil {
		return nil, err
	}
	if rl, err := h.st.GetMeta(ctx, metaRevocations); err == nil {
		if err := bw.Revocations(rl); err != nil {
			return nil, err
		}
	}
	for _, rg := range v.Missing(devVec) {
		if revoked {
			break
		}
		if err := h.st.EventRange(ctx, rg, bw.Event); err != nil {
			return nil, err
		}
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	h.log.Info("bundle exported", "bundle", hd.ID, "device", dev.ID, "events", bw.Events(), "revoked", revoked, "one_time_key", hd.Prekey != "")
	return &BundleExport{ID: hd.ID, Device: dev.ID, Events: bw.Events(), Revoked: revoked, Prekey: hd.Prekey}, nil
}
