package device

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/bundle"
)

// hubAnswer writes a bundle "from the hub" to s's device, signed with the
// standalone device's authority root key, sealed to the device's prekey pk
// (or its long-term key when pk is nil), carrying the hub prekeys hubKeys.
func hubAnswer(t *testing.T, s *Session, pk *bundle.Prekey, hubKeys []bundle.Prekey) []byte {
	t.Helper()
	lt, err := s.bundleIdentity()
	if err != nil {
		t.Fatal(err)
	}
	hd := &bundle.Header{ID: bundle.NewID(), Kind: bundle.KindToDevice, Country: s.d.info.Country, From: bundle.HubID,
		FromKey: lt.Recipient().String(), To: s.d.info.DeviceID, Created: s.d.opts.Now().UnixMilli()}
	var buf bytes.Buffer
	var w *bundle.Writer
	if pk != nil {
		hd.ToKey, hd.Prekey = pk.Recipient, pk.ID
		w, err = bundle.NewPrekeyWriter(&buf, pk, hd, s.k.authority.Sign)
	} else {
		hd.ToKey = lt.Recipient().String()
		w, err = bundle.NewWriter(&buf, lt.Recipient(), hd, s.k.authority.Sign)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Prekeys(hubKeys); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// heldIdentities is every identity the device holds to open bundles: its
// long-term bundle key and each of its one-time keys.
func heldIdentities(t *testing.T, s *Session) []age.Identity {
	t.Helper()
	lt, err := s.bundleIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ids := []age.Identity{lt}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		own, err := s.ownPrekeysTx(tx, s.k)
		for _, o := range own {
			x, err := age.ParseX25519Identity(o.Identity)
			if err != nil {
				return err
			}
			ids = append(ids, &bundle.PrekeyIdentity{ID: o.Pub.ID, X: x}, x)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestAttackBundleCopyAfterImport: the hub's answer sealed to one of the
// device's one-time keys opens once; after the import no key the device
// holds opens a copy of it (its one-time key is gone, and neither its
// long-term key nor its other one-time keys open it), and importing the
// copy again is a repeat that changes nothing.
func TestAttackBundleCopyAfterImport(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	ctx := context.Background()
	own, err := s.publishPrekeys(ctx)
	if err != nil || len(own) != devicePrekeys {
		t.Fatalf("published %d prekeys: %v", len(own), err)
	}
	pub := s.k.sign.Public().(ed25519.PublicKey)
	for i := range own {
		if err := own[i].Verify(pub); err != nil || own[i].For != bundle.HubID || own[i].Owner != d.info.DeviceID {
			t.Fatalf("prekey %d: %+v %v", i, own[i], err)
		}
	}
	// The hub's prekeys for this device, and one signed by another key.
	hk, _, _ := bundle.NewPrekey(bundle.HubID, d.info.DeviceID, "BIH", d.opts.Now().Add(bundle.PrekeyLifetime), s.k.authority.Sign)
	_, other, _ := ed25519.GenerateKey(nil)
	forged, _, _ := bundle.NewPrekey(bundle.HubID, d.info.DeviceID, "BIH", d.opts.Now().Add(bundle.PrekeyLifetime), func(m []byte) []byte { return ed25519.Sign(other, m) })
	b := hubAnswer(t, s, &own[0], []bundle.Prekey{*hk, *forged})
	opens := func() bool {
		for _, id := range heldIdentities(t, s) {
			if _, err := age.Decrypt(bytes.NewReader(b), id); err == nil {
				return true
			}
		}
		return false
	}
	if !opens() {
		t.Fatal("before the import no key of the device opens the bundle: the check below would prove nothing")
	}
	res, err := s.ImportBundle(ctx, bytes.NewReader(b), nil)
	if err != nil || res.Repeated {
		t.Fatalf("import: %+v %v", res, err)
	}
	// Every key the device holds now, tried on the copy: none opens it.
	if opens() {
		t.Fatal("a key the device holds opens the bundle after its import")
	}
	again, err := s.ImportBundle(ctx, bytes.NewReader(b), nil)
	if err != nil || !again.Repeated || again.ID != res.ID {
		t.Fatalf("copy imported again: %+v %v", again, err)
	}
	// The device kept the hub's prekey, not the forged one, and seals to
	// it once.
	got, err := s.takeHubPrekey(ctx)
	if err != nil || got == nil || got.ID != hk.ID {
		t.Fatalf("hub prekey = %+v, %v; want %s", got, err, hk.ID)
	}
	if got, err := s.takeHubPrekey(ctx); err != nil || got != nil {
		t.Fatalf("second take = %+v, %v; want none (the forged key is not kept)", got, err)
	}
	// The hub listing the spent key again does not make it usable twice.
	if err := s.d.st.Update(ctx, func(tx *store.Tx) error {
		return s.takeHubPrekeysTx(tx, []bundle.Prekey{*hk}, s.k.authority.RootPublic())
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.takeHubPrekey(ctx); got != nil {
		t.Fatal("a spent hub prekey was used again")
	}
	// The used key is replaced: four unused keys again, none of them own[0].
	now, err := s.publishPrekeys(ctx)
	if err != nil || len(now) != devicePrekeys {
		t.Fatalf("republished %d: %v", len(now), err)
	}
	for _, p := range now {
		if p.ID == own[0].ID {
			t.Fatal("the used prekey is published again")
		}
	}
}

// TestPrekeyExpires: a one-time key unused past its lifetime is destroyed;
// a bundle sealed to it is refused in plain words and changes nothing.
func TestPrekeyExpires(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	ctx := context.Background()
	own, err := s.publishPrekeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := hubAnswer(t, s, &own[1], nil)
	clk.t = clk.t.Add(bundle.PrekeyLifetime + 1)
	if _, err := s.ImportBundle(ctx, bytes.NewReader(b), nil); !errors.Is(err, bundle.ErrKeyDestroyed) {
		t.Fatalf("bundle to an expired key: %v", err)
	}
	fresh, err := s.publishPrekeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range fresh {
		for _, o := range own {
			if p.ID == o.ID {
				t.Fatal("an expired prekey is still held")
			}
		}
	}
	// After it was swept, still refused as destroyed.
	if _, err := s.ImportBundle(ctx, bytes.NewReader(b), nil); !errors.Is(err, bundle.ErrKeyDestroyed) {
		t.Fatalf("bundle to a swept key: %v", err)
	}
	// A bundle to a key this device never made: not for us.
	stranger, _, _ := bundle.NewPrekey(d.info.DeviceID, bundle.HubID, "BIH", clk.t.Add(bundle.PrekeyLifetime), s.k.authority.Sign)
	if _, err := s.ImportBundle(ctx, bytes.NewReader(hubAnswer(t, s, stranger, nil)), nil); !errors.Is(err, bundle.ErrNotForUs) {
		t.Fatalf("bundle to a stranger's key: %v", err)
	}
}
