package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/bundle"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// fakeDevice is an enrolled device as the hub sees it through bundles: its
// signing key, its long-term bundle identity and its one-time keys.
type fakeDevice struct {
	*enrolled
	lt   *age.X25519Identity
	own  map[string]*age.X25519Identity // its prekeys' private halves by ID
	hub  []bundle.Prekey                // the hub's prekeys it received
	vec  []wire.Head
	sent []*registry.Event
}

func newFakeDevice(t *testing.T, h *Hub, name string) *fakeDevice {
	t.Helper()
	lt, _ := age.GenerateX25519Identity()
	return &fakeDevice{enrolled: enrolDev(t, h, name, "POST-A", "all"), lt: lt, own: map[string]*age.X25519Identity{}}
}

// send writes a bundle of the device to the hub with evs, sealed to the
// hub's prekey pk (nil: its long-term key), carrying n new prekeys of the
// device, and returns the file's path.
func (d *fakeDevice) send(t *testing.T, h *Hub, pk *bundle.Prekey, n int, evs ...*registry.Event) string {
	t.Helper()
	ctx := context.Background()
	sign := func(m []byte) []byte { return ed25519.Sign(d.priv, m) }
	var mine []bundle.Prekey
	for range n {
		p, x, err := bundle.NewPrekey(d.pkg.DeviceID, bundle.HubID, "BIH", h.opts.Now().Add(bundle.PrekeyLifetime), sign)
		if err != nil {
			t.Fatal(err)
		}
		d.own[p.ID] = x
		mine = append(mine, *p)
	}
	d.sent = append(d.sent, evs...)
	if len(d.sent) > 0 {
		last := d.sent[len(d.sent)-1]
		d.vec = []wire.Head{{Origin: last.Origin, Epoch: last.Epoch, Seq: last.Seq}}
	}
	hd := &bundle.Header{ID: bundle.NewID(), Kind: bundle.KindToHub, Country: "BIH", From: d.pkg.DeviceID,
		FromKey: d.lt.Recipient().String(), To: bundle.HubID, Created: h.opts.Now().UnixMilli(), Vector: d.vec}
	var buf bytes.Buffer
	var w *bundle.Writer
	var err error
	if pk != nil {
		hd.ToKey, hd.Prekey = pk.Recipient, pk.ID
		w, err = bundle.NewPrekeyWriter(&buf, pk, hd, sign)
	} else {
		r, _ := h.BundleRecipient(ctx)
		to, _ := age.ParseX25519Recipient(r)
		hd.ToKey = r
		w, err = bundle.NewWriter(&buf, to, hd, sign)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Prekeys(mine); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := w.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "to-hub.bundle")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// receive writes the hub's answer for the device and opens it with the
// device's keys, keeping the hub's prekeys it carries; it returns the
// export, the bundle's bytes and its events.
func (d *fakeDevice) receive(t *testing.T, h *Hub) (*BundleExport, []byte, []*registry.Event) {
	t.Helper()
	var buf bytes.Buffer
	res, err := h.ExportBundle(context.Background(), d.pkg.DeviceID, &buf)
	if err != nil {
		t.Fatal(err)
	}
	var id age.Identity = d.lt
	self := d.lt.Recipient().String()
	if res.Prekey != "" {
		x := d.own[res.Prekey]
		if x == nil {
			t.Fatalf("sealed to %s, which the device never made", res.Prekey)
		}
		id, self = &bundle.PrekeyIdentity{ID: res.Prekey, X: x}, x.Recipient().String()
	}
	b, err := bundle.Open(bytes.NewReader(buf.Bytes()), id, self, func(*bundle.Header) (ed25519.PublicKey, error) { return h.auth.RootPublic(), nil }, bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var evs []*registry.Event
	if err := b.Apply(func(c []*registry.Event) error { evs = append(evs, c...); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, p := range b.Prekeys() {
		if err := p.Verify(h.auth.RootPublic()); err != nil || p.For != d.pkg.DeviceID || p.Owner != bundle.HubID {
			t.Fatalf("hub prekey %+v: %v", p, err)
		}
	}
	d.hub = b.Prekeys()
	if res.Prekey != "" {
		delete(d.own, res.Prekey) // the device destroys it on import
	}
	return res, buf.Bytes(), evs
}

// hubIdentities is every identity the hub holds to open bundles: its
// long-term key and the private half of every one-time key it keeps.
func hubIdentities(t *testing.T, h *Hub) []age.Identity {
	t.Helper()
	ctx := context.Background()
	lt, err := h.BundleIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := []age.Identity{lt}
	all, err := h.st.Metas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k := range all {
		if id, ok := strings.CutPrefix(k, metaHubPrekey); ok {
			pk, _, _, err := h.hubPrekeyIdentity(ctx, id, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, &pk.PrekeyIdentity, pk.X)
		}
	}
	return ids
}

func opensWith(b []byte, ids []age.Identity) bool {
	for _, id := range ids {
		if _, err := age.Decrypt(bytes.NewReader(b), id); err == nil {
			return true
		}
	}
	return false
}

var fsMarkers = []string{"Fakeforwardname", "ZZFWD0042"}

func fsPerson(family, doc string) registry.Person {
	bd, _ := registry.ParseDate("1991-02-03")
	p := registry.Person{FamilyName: family, GivenNames: "Testee Example", BirthDate: bd, Sex: "F", Category: "irregular_crossing",
		Nationalities: []string{"XXA"}, Encounter: registry.Encounter{Kind: "apprehension", Place: "Fake crossing point", At: time.Now()}}
	p.Document.Type, p.Document.Number, p.Document.IssuingCountry = "passport", doc, "XXA"
	return p
}

// TestAttackHubBundleCopyAfterImport: the device's first bundle falls
// back to the hub's long-term key (it holds no one-time key yet); the
// hub's answer is sealed to one of the device's one-time keys and brings
// the hub's; the device's next bundle is sealed to one of those. Once the
// hub imported it, no key the hub holds opens a copy, and importing the
// copy is a repeat that changes nothing. Each one-time key is used once.
func TestAttackHubBundleCopyAfterImport(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	ctx := context.Background()
	d := newFakeDevice(t, h, "tab-fs")
	rec1, _ := registry.NewRegID("BIH", nil)
	first := d.send(t, h, nil, 2, mkEvent(t, d.enrolled, 1, rec1, fsPerson("Fakefirst", "ZZFIRST01")))
	if _, err := h.ImportBundle(ctx, first); err != nil {
		t.Fatal(err)
	}
	ans, _, _ := d.receive(t, h)
	if ans.Prekey == "" || len(d.hub) != hubPrekeysPerDevice {
		t.Fatalf("answer sealed to %q with %d hub prekeys", ans.Prekey, len(d.hub))
	}
	rec2, _ := registry.NewRegID("BIH", nil)
	pk := d.hub[0]
	second := d.send(t, h, &pk, 0, mkEvent(t, d.enrolled, 2, rec2, fsPerson("Fakesecond", "ZZSECOND2")))
	b2, _ := os.ReadFile(second)
	if !opensWith(b2, hubIdentities(t, h)) {
		t.Fatal("before the import no key of the hub opens the bundle: the check below would prove nothing")
	}
	res, err := h.ImportBundle(ctx, second)
	if err != nil || res.Accepted != 1 {
		q, _ := h.st.Quarantined(ctx)
		for _, e := range q {
			t.Logf("quarantined: %+v", e.Reason)
		}
		t.Fatalf("import: %+v %v", res, err)
	}
	if opensWith(b2, hubIdentities(t, h)) {
		t.Fatal("a key the hub holds opens the bundle after its import")
	}
	again, err := h.ImportBundle(ctx, second)
	if err != nil || !again.Repeated || again.ID != res.ID || again.Device != d.pkg.DeviceID {
		t.Fatalf("copy imported again: %+v %v", again, err)
	}
	// The hub's list for the device no longer offers the used key, and
	// its next answer tops the list up to hubPrekeysPerDevice.
	ans2, _, _ := d.receive(t, h)
	for _, p := range d.hub {
		if p.ID == pk.ID {
			t.Fatal("the hub offers a used one-time key again")
		}
	}
	// The device's second prekey seals the second answer; then it has none
	// left and the third falls back to its long-term key.
	if ans2.Prekey == "" || ans2.Prekey == ans.Prekey {
		t.Fatalf("second answer sealed to %q (first %q)", ans2.Prekey, ans.Prekey)
	}
	if ans3, _, _ := d.receive(t, h); ans3.Prekey != "" {
		t.Fatalf("third answer sealed to %q; the device published two keys", ans3.Prekey)
	}
}

// TestAttackPrekeyOfAnotherDevice: a bundle sealed to a one-time key the
// hub gave another device is refused, and nothing is applied.
func TestAttackPrekeyOfAnotherDevice(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	ctx := context.Background()
	a := newFakeDevice(t, h, "tab-a")
	b := newFakeDevice(t, h, "tab-b")
	if _, err := h.ImportBundle(ctx, a.send(t, h, nil, 1)); err != nil {
		t.Fatal(err)
	}
	a.receive(t, h)
	rec, _ := registry.NewRegID("BIH", nil)
	pk := a.hub[0]
	before, _ := h.st.Heads(ctx)
	if _, err := h.ImportBundle(ctx, b.send(t, h, &pk, 0, mkEvent(t, b.enrolled, 1, rec, fsPerson("Fakeother", "ZZOTHER1")))); !errors.Is(err, bundle.ErrNotForUs) {
		t.Fatalf("b sealed to a's key: %v", err)
	}
	if after, _ := h.st.Heads(ctx); len(after) != len(before) {
		t.Fatal("something of the refused bundle was applied")
	}
	// a may still use it.
	if _, err := h.ImportBundle(ctx, a.send(t, h, &pk, 0)); err != nil {
		t.Fatalf("a's own key: %v", err)
	}
}

// TestHubPrekeyExpires: a one-time key the hub gave and nobody used is
// destroyed at the end of its lifetime (SweepPrekeys); a bundle sealed to
// it is then refused as sealed to a destroyed key.
func TestHubPrekeyExpires(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	h.opts.Now = func() time.Time { return now }
	d := newFakeDevice(t, h, "tab-exp")
	if _, err := h.ImportBundle(ctx, d.send(t, h, nil, 1)); err != nil {
		t.Fatal(err)
	}
	d.receive(t, h)
	pk := d.hub[0]
	late := d.send(t, h, &pk, 0)
	if n, err := h.SweepPrekeys(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before expiry: %d %v", n, err)
	}
	now = now.Add(bundle.PrekeyLifetime + time.Minute)
	if _, err := h.ImportBundle(ctx, late); !errors.Is(err, bundle.ErrKeyDestroyed) {
		t.Fatalf("expired, not swept: %v", err)
	}
	if n, err := h.SweepPrekeys(ctx); err != nil || n != hubPrekeysPerDevice {
		t.Fatalf("sweep after expiry: %d %v", n, err)
	}
	if len(hubIdentities(t, h)) != 1 {
		t.Fatal("expired one-time keys are still held")
	}
	if _, err := h.ImportBundle(ctx, late); !errors.Is(err, bundle.ErrKeyDestroyed) {
		t.Fatalf("expired and swept: %v", err)
	}
}

// TestBundleAfterErasure (issue 15): a bundle the hub writes after an
// erasure, decrypted with the receiving device's keys, carries the erased record's
// events without payloads and its erase event, and nothing of the person
// opens with the records key; the other record's payload does (so the
// check can fail). A bundle written before the erasure and imported after
// it leaves nothing at the hub, and once imported no key opens it.
func TestBundleAfterErasure(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	ctx := context.Background()
	d := newFakeDevice(t, h, "tab-erase")
	if _, err := h.ImportBundle(ctx, d.send(t, h, nil, 2)); err != nil {
		t.Fatal(err)
	}
	d.receive(t, h)
	// Device b holds nothing yet: the hub's answer to it carries every event.
	b := newFakeDevice(t, h, "tab-other")
	if _, err := h.ImportBundle(ctx, b.send(t, h, nil, 1)); err != nil {
		t.Fatal(err)
	}
	erased, _ := registry.NewRegID("BIH", nil)
	kept, _ := registry.NewRegID("BIH", nil)
	reg := mkEvent(t, d.enrolled, 1, erased, fsPerson(fsMarkers[0], fsMarkers[1]))
	other := mkEvent(t, d.enrolled, 2, kept, fsPerson("Fakekeptname", "ZZKEPT0001"))
	// Two sticks of the same events written before the erasure: one
	// imported now, one (a copy sealed to another one-time key, say)
	// found later.
	pk0, pk1 := d.hub[0], d.hub[1]
	now := d.send(t, h, &pk0, 0, reg, other)
	d.sent, d.vec = nil, nil
	old := d.send(t, h, &pk1, 0, reg, other)
	if _, err := h.ImportBundle(ctx, now); err != nil {
		t.Fatal(err)
	}
	if err := h.Erase(ctx, erased, "data subject request"); err != nil {
		t.Fatal(err)
	}
	k, _ := seal.KeyFromBytes(d.pkg.RecordsKey)
	check := func(what string, evs []*registry.Event) {
		t.Helper()
		sawErase, sawKept := false, false
		for _, e := range evs {
			c, err := e.OpenChange(k)
			if err == nil {
				b, _ := json.Marshal(c)
				for _, m := range fsMarkers {
					if strings.Contains(string(b), m) {
						t.Errorf("%s: %q readable with the records key", what, m)
					}
				}
				sawKept = sawKept || strings.Contains(string(b), "Fakekeptname")
			}
			if e.Record != erased {
				continue
			}
			switch {
			case e.Op == registry.OpErase:
				sawErase = true
			case !e.Erased():
				t.Errorf("%s: event %s of the erased record still holds its payload", what, e.ID())
			}
		}
		if !sawErase || !sawKept {
			t.Errorf("%s: erase event %v, the kept record readable %v: the check proves nothing", what, sawErase, sawKept)
		}
	}
	// Written after the erasure, decrypted with the receiving device's keys.
	ans, raw, evs := b.receive(t, h)
	if ans.Prekey == "" {
		t.Fatal("the answer is not sealed to a one-time key")
	}
	check("bundle written after the erasure", evs)
	for _, m := range fsMarkers {
		if bytes.Contains(raw, []byte(m)) {
			t.Errorf("marker %q in the bundle file", m)
		}
	}
	// The old stick imported after the erasure: nothing comes back.
	if _, err := h.ImportBundle(ctx, old); err != nil {
		t.Fatal(err)
	}
	var held []*registry.Event
	if err := h.st.Events(ctx, func(e *registry.Event) error { held = append(held, e); return nil }); err != nil {
		t.Fatal(err)
	}
	check("hub after the old bundle", held)
	ob, _ := os.ReadFile(old)
	if opensWith(ob, hubIdentities(t, h)) {
		t.Fatal("the old bundle still opens with a key the hub holds after its import")
	}
}

// TestHelloCarriesPrekeys: one-time keys travel with a network sync too:
// the device's in its hello, the hub's in the answer (verified, for that
// device), so the next USB bundle either way is sealed to one; forged
// keys in a hello are dropped.
func TestHelloCarriesPrekeys(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	d := newFakeDevice(t, h, "tab-net")
	sign := func(m []byte) []byte { return ed25519.Sign(d.priv, m) }
	p, x, _ := bundle.NewPrekey(d.pkg.DeviceID, bundle.HubID, "BIH", h.opts.Now().Add(bundle.PrekeyLifetime), sign)
	_, other, _ := ed25519.GenerateKey(nil)
	forged, _, _ := bundle.NewPrekey(d.pkg.DeviceID, bundle.HubID, "BIH", h.opts.Now().Add(bundle.PrekeyLifetime), func(m []byte) []byte { return ed25519.Sign(other, m) })
	d.own[p.ID] = x
	sent, _ := bundle.MarshalPrekeys([]bundle.Prekey{*forged, *p})
	body, _ := json.Marshal(wire.Hello{Version: wire.Version, Prekeys: sent})
	rr := httptest.NewRecorder()
	h.Handler().ServeHTTP(rr, asDevice(httptest.NewRequest("POST", wire.PathHello, bytes.NewReader(body)), d.enrolled))
	var rep wire.HelloReply
	if err := json.Unmarshal(rr.Body.Bytes(), &rep); err != nil {
		t.Fatalf("hello: HTTP %d: %v", rr.Code, err)
	}
	ps, err := bundle.UnmarshalPrekeys(rep.Prekeys)
	if err != nil || len(ps) != hubPrekeysPerDevice {
		t.Fatalf("hub prekeys in the hello: %d, %v", len(ps), err)
	}
	for _, q := range ps {
		if q.Verify(h.auth.RootPublic()) != nil || q.For != d.pkg.DeviceID {
			t.Fatalf("hub prekey %+v", q)
		}
	}
	// The hub needs the device's long-term key for a fallback, and has
	// the one-time key: its bundle is sealed to p, the forged key unused.
	if _, err := h.ImportBundle(context.Background(), d.send(t, h, &ps[0], 0)); err != nil {
		t.Fatal(err)
	}
	if res, _, _ := d.receive(t, h); res.Prekey != p.ID {
		t.Fatalf("answer sealed to %q, want the hello's key %s", res.Prekey, p.ID)
	}
	if res, _, _ := d.receive(t, h); res.Prekey != "" {
		t.Fatalf("second answer sealed to %q: the forged key was kept", res.Prekey)
	}
}

// TestBundleSeveralTransactions imports a bundle stored in several
// batches (one chunk each here), one of its events damaged: every other
// event is stored once, the damaged one quarantined, every stored record
// waits to be counted, and the same events again change nothing.
func TestBundleSeveralTransactions(t *testing.T) {
	defer func(n int) { bundleTxEvents = n }(bundleTxEvents)
	bundleTxEvents = bundle.ChunkEvents
	h := newTestHub(t, "BIH", false)
	ctx := context.Background()
	d := newFakeDevice(t, h, "tab-batches")
	const n = 2*bundle.ChunkEvents + 300
	evs := make([]*registry.Event, n)
	for i := range evs {
		rec, _ := registry.NewRegID("BIH", nil)
		evs[i] = mkEvent(t, d.enrolled, uint64(i+1), rec, fsPerson("Fakebatch", fmt.Sprintf("ZZB%07d", i)))
	}
	evs[bundle.ChunkEvents+5].Sig[0] ^= 1 // in the second batch
	res, err := h.ImportBundle(ctx, d.send(t, h, nil, 0, evs...))
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != n || res.Accepted != n-1 || res.Quarantined != 1 || res.Duplicates != 0 {
		t.Fatalf("import: %+v", res)
	}
	if got, err := h.st.CountEvents(ctx); err != nil || got != n-1 {
		t.Fatalf("%d events stored (%v), want %d", got, err, n-1)
	}
	if pending, err := h.st.Pending(ctx, "", 2*n); err != nil || len(pending) != n-1 {
		t.Fatalf("%d records waiting to be counted (%v), want %d", len(pending), err, n-1)
	}
	again, err := h.ImportBundle(ctx, d.send(t, h, nil, 0, evs...))
	if err != nil || again.Accepted != 0 || again.Duplicates != n-1 || again.Quarantined != 1 {
		t.Fatalf("the same events again: %+v, %v", again, err)
	}
}
