package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/fxamacker/cbor/v2"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/sync/bundle"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// One-time bundle keys (prekeys) at the hub (sync/bundle/prekey.go,
// docs/erasure.md "Forward-secret bundles"). The hub gives each device a
// few of its own, signed with the root key, in every answer bundle; the
// device seals its next bundle to one, and importing that bundle destroys
// the private half. The device's prekeys arrive in its bundles; the hub
// seals its answer to one of them.
const (
	metaHubPrekey       = "hub:sealed:prekey:"      // + ID: expiry (8 bytes, Unix ms) || sealed CBOR hubPrekey
	metaHubPrekeysFor   = "bundle:hub_prekeys_for:" // + device ID: CBOR []bundle.Prekey, the hub's unused prekeys given to it
	metaDevicePrekeys   = "bundle:device_prekeys:"  // + device ID: CBOR bundle.PeerPrekeys, the device's prekeys
	metaPrekeyUsed      = "bundle:prekey_used:"     // + ID of a hub prekey destroyed on import: "bundle-ID device-ID"
	hubPrekeysPerDevice = 8                         // unused hub prekeys each device holds
	prekeySealInfo      = "fieldreg hub prekey seal v1"
)

// hubPrekey is the private half of one of the hub's prekeys.
type hubPrekey struct {
	For      string `cbor:"1,keyasint"` // the device it was given to
	Identity string `cbor:"2,keyasint"`
}

// metaKey derives the key that seals one kind of the hub's secrets in its
// settings from the authority's root seed (HKDF, info).
func (h *Hub) metaKey(info string) (*seal.Key, error) {
	b, err := hkdf.Key(sha256.New, h.auth.RootSeed, nil, info, seal.KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return seal.KeyFromBytes(b)
}

// hubPrekeysForTx returns the hub's unused prekeys for device dev, making
// new ones so that it holds hubPrekeysPerDevice that a device can still use.
func (h *Hub) hubPrekeysForTx(tx hubstore.Tx, dev string, now time.Time) ([]bundle.Prekey, error) {
	var ps []bundle.Prekey
	if b, err := tx.GetMeta(metaHubPrekeysFor + dev); err == nil {
		if ps, err = bundle.UnmarshalPrekeys(b); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, hubstore.ErrNotFound) {
		return nil, err
	}
	ps = slices.DeleteFunc(ps, func(p bundle.Prekey) bool { return !p.Usable(now) })
	if len(ps) >= hubPrekeysPerDevice {
		return ps, nil
	}
	k, err := h.metaKey(prekeySealInfo)
	if err != nil {
		return nil, err
	}
	defer k.Wipe()
	for len(ps) < hubPrekeysPerDevice {
		p, id, err := bundle.NewPrekey(bundle.HubID, dev, h.auth.Country, now.Add(bundle.PrekeyLifetime), h.auth.Sign)
		if err != nil {
			return nil, err
		}
		pb, err := cbor.Marshal(hubPrekey{For: dev, Identity: id.String()})
		if err != nil {
			return nil, err
		}
		c, err := seal.Seal(k, pb, seal.AD("hub", "prekey", p.ID))
		clear(pb)
		if err != nil {
			return nil, err
		}
		v := binary.BigEndian.AppendUint64(nil, uint64(p.Expires))
		if err := tx.PutMeta(metaHubPrekey+p.ID, append(v, c...)); err != nil {
			return nil, err
		}
		ps = append(ps, *p)
	}
	b, err := bundle.MarshalPrekeys(ps)
	if err != nil {
		return nil, err
	}
	return ps, tx.PutMeta(metaHubPrekeysFor+dev, b)
}

// hubPrekeyIdentity finds the private half of the hub's prekey id and the
// device it was given to (pk.For). A key
// destroyed because its bundle was imported gives that bundle's ID and
// device (a repeated import); an expired or destroyed one,
// bundle.ErrKeyDestroyed; an unknown one, bundle.ErrNotForUs.
func (h *Hub) hubPrekeyIdentity(ctx context.Context, id string, now time.Time) (pk *prekeyIdentity, usedBundle, usedDevice string, err error) {
	v, err := h.st.GetMeta(ctx, metaHubPrekey+id)
	if errors.Is(err, hubstore.ErrNotFound) {
		if u, err := h.st.GetMeta(ctx, metaPrekeyUsed+id); err == nil {
			b, d, _ := strings.Cut(string(u), " ")
			return nil, b, d, nil
		}
		return nil, "", "", bundle.ErrKeyDestroyed
	} else if err != nil {
		return nil, "", "", err
	}
	if len(v) < 8 {
		return nil, "", "", errors.New("hub keys damaged: a one-time bundle key")
	}
	if int64(binary.BigEndian.Uint64(v)) <= now.UnixMilli() {
		return nil, "", "", bundle.ErrKeyDestroyed
	}
	k, err := h.metaKey(prekeySealInfo)
	if err != nil {
		return nil, "", "", err
	}
	defer k.Wipe()
	pb, err := seal.Open(k, v[8:], seal.AD("hub", "prekey", id))
	if err != nil {
		return nil, "", "", fmt.Errorf("hub keys damaged: a one-time bundle key: %w", err)
	}
	defer clear(pb)
	var hp hubPrekey
	if err := cbor.Unmarshal(pb, &hp); err != nil {
		return nil, "", "", fmt.Errorf("hub keys damaged: a one-time bundle key: %w", err)
	}
	x, err := age.ParseX25519Identity(hp.Identity)
	if err != nil {
		return nil, "", "", fmt.Errorf("hub keys damaged: a one-time bundle key: %w", err)
	}
	return &prekeyIdentity{PrekeyIdentity: bundle.PrekeyIdentity{ID: id, X: x}, For: hp.For}, "", "", nil
}

// prekeyIdentity is a hub prekey's private half and the device it was
// given to: only that device's bundle may be sealed to it.
type prekeyIdentity struct {
	bundle.PrekeyIdentity
	For string
}

// destroyHubPrekeyTx destroys the hub's prekey id, used by bundle
// bundleID of device dev, and notes which bundle used it. The caller runs
// Scrub after the commit.
func (h *Hub) destroyHubPrekeyTx(tx hubstore.Tx, id, bundleID, dev string) error {
	if err := tx.DeleteSecretMeta(metaHubPrekey + id); err != nil {
		return err
	}
	if err := tx.PutMeta(metaPrekeyUsed+id, []byte(bundleID+" "+dev)); err != nil {
		return err
	}
	b, err := tx.GetMeta(metaHubPrekeysFor + dev)
	if errors.Is(err, hubstore.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	ps, err := bundle.UnmarshalPrekeys(b)
	if err != nil {
		return err
	}
	ps = slices.DeleteFunc(ps, func(p bundle.Prekey) bool { return p.ID == id })
	if b, err = bundle.MarshalPrekeys(ps); err != nil {
		return err
	}
	return tx.PutMeta(metaHubPrekeysFor+dev, b)
}

// devicePrekeysTx changes the stored prekeys of device dev with fn.
func (h *Hub) devicePrekeysTx(tx hubstore.Tx, dev string, now time.Time, fn func(*bundle.PeerPrekeys)) error {
	b, err := tx.GetMeta(metaDevicePrekeys + dev)
	if err != nil && !errors.Is(err, hubstore.ErrNotFound) {
		return err
	}
	pp, err := bundle.UnmarshalPeerPrekeys(b)
	if err != nil {
		return err
	}
	fn(pp)
	nb, err := pp.Marshal(now)
	if err != nil || bytes.Equal(nb, b) {
		return err // unchanged: every hello carries the same keys
	}
	return tx.PutMeta(metaDevicePrekeys+dev, nb)
}

// keepDevicePrekeysTx keeps the prekeys a device's bundle carried: those
// its credential key signed, that are its own, for the hub, in this
// country.
func (h *Hub) keepDevicePrekeysTx(tx hubstore.Tx, dev string, pub ed25519.PublicKey, ps []bundle.Prekey, now time.Time) error {
	if len(ps) == 0 {
		return nil
	}
	return h.devicePrekeysTx(tx, dev, now, func(pp *bundle.PeerPrekeys) {
		pp.Add(ps, func(p *bundle.Prekey) bool {
			return p.Owner == dev && p.For == bundle.HubID && p.Country == h.auth.Country && p.Verify(pub) == nil
		})
	})
}

// SweepPrekeys destroys the hub's one-time bundle keys that expired unused
// (a device that never sent the bundle) and returns how many. reghub serve
// runs it with the retention sweep.
func (h *Hub) SweepPrekeys(ctx context.Context) (int, error) {
	all, err := h.st.Metas(ctx)
	if err != nil {
		return 0, err
	}
	now := h.opts.Now().UnixMilli()
	var gone []string
	for k, v := range all {
		if strings.HasPrefix(k, metaHubPrekey) && len(v) >= 8 && int64(binary.BigEndian.Uint64(v)) <= now {
			gone = append(gone, k)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	err = h.st.Update(ctx, func(tx hubstore.Tx) error {
		for _, k := range gone {
			if err := tx.DeleteSecretMeta(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	h.log.Info("expired one-time bundle keys destroyed", "keys", len(gone))
	return len(gone), h.st.Scrub(ctx)
}

// helloPrekeys keeps the one-time bundle keys a device sent with its hello
// (malformed or forged ones are dropped: they only cost the device a
// bundle sealed to its long-term key) and returns the hub's for it, so
// that USB bundles after a network sync are forward-secret both ways. A
// revoked device gets none.
func (h *Hub) helloPrekeys(ctx context.Context, c *caller, sent []byte) ([]byte, error) {
	ps, err := bundle.UnmarshalPrekeys(sent)
	if len(sent) == 0 || err != nil {
		ps = nil
	}
	now := h.opts.Now()
	var mine []bundle.Prekey
	err = h.st.Update(ctx, func(tx hubstore.Tx) error {
		if err := h.keepDevicePrekeysTx(tx, c.id, c.dev.cred.PublicKey, ps, now); err != nil {
			return err
		}
		var err error
		mine, err = h.hubPrekeysForTx(tx, c.id, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return bundle.MarshalPrekeys(mine)
}
