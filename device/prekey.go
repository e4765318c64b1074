package device

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"

	"filippo.io/age"
	"github.com/fxamacker/cbor/v2"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/bundle"
)

// One-time bundle keys (prekeys) of a device (sync/bundle/prekey.go,
// docs/erasure.md "Forward-secret bundles"). The device publishes a few in
// every bundle it sends the hub; the hub seals its answer to one of them;
// importing the answer destroys the private half, so no copy of that
// stick opens again. The hub's prekeys for this device arrive in the
// hub's answers; the device seals its next bundle to one of them.
const (
	metaOwnPrekeys = "bundle_prekeys"      // sealed:bundle_prekeys: this device's unused prekeys (CBOR []ownPrekey), sealed under the master key
	metaHubPrekeys = "bundle:hub_prekeys"  // CBOR bundle.PeerPrekeys: the hub's prekeys for this device (public, signed by the root)
	metaPrekeyUsed = "bundle:prekey_used:" // + ID of one of this device's destroyed prekeys: the ID of the bundle that used it, or empty if it expired unused
	devicePrekeys  = 4                     // unused prekeys a device keeps published
)

// ownPrekey is one of this device's prekeys: the public half it publishes
// and the private identity.
type ownPrekey struct {
	Pub      bundle.Prekey `cbor:"1,keyasint"`
	Identity string        `cbor:"2,keyasint"`
}

var prekeyEnc, _ = cbor.CoreDetEncOptions().EncMode()

func (s *Session) ownPrekeysTx(tx *store.Tx, k *keys) ([]ownPrekey, error) {
	c, err := tx.GetMeta("sealed:" + metaOwnPrekeys)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	b, err := seal.Open(k.master, c, seal.AD("meta", metaOwnPrekeys))
	if err != nil {
		return nil, fmt.Errorf("device keys damaged (one-time bundle keys): %w", err)
	}
	defer clear(b)
	var own []ownPrekey
	if err := cbor.Unmarshal(b, &own); err != nil {
		return nil, fmt.Errorf("device keys damaged (one-time bundle keys): %w", err)
	}
	return own, nil
}

// putOwnPrekeys stores the list, zeroing what it replaces.
func (s *Session) putOwnPrekeys(tx *store.Tx, k *keys, own []ownPrekey) error {
	b, err := prekeyEnc.Marshal(own)
	if err != nil {
		return err
	}
	defer clear(b)
	c, err := seal.Seal(k.master, b, seal.AD("meta", metaOwnPrekeys))
	if err != nil {
		return err
	}
	return tx.PutSecretMeta("sealed:"+metaOwnPrekeys, c)
}

// publishPrekeys destroys this device's expired prekeys, makes new ones so
// that devicePrekeys are unused, and returns their public halves for the
// next bundle to the hub.
func (s *Session) publishPrekeys(ctx context.Context) ([]bundle.Prekey, error) {
	now := s.d.opts.Now()
	var pub []bundle.Prekey
	err := s.withKeys(func(k *keys) error {
		return s.d.st.Update(ctx, func(tx *store.Tx) error {
			own, err := s.ownPrekeysTx(tx, k)
			if err != nil {
				return err
			}
			changed := false
			for _, o := range own {
				if o.Pub.Expires <= now.UnixMilli() {
					// Destroyed unused: a bundle sealed to it is refused as such.
					if err := tx.PutMeta(metaPrekeyUsed+o.Pub.ID, []byte{}); err != nil {
						return err
					}
					changed = true
				}
			}
			own = slices.DeleteFunc(own, func(o ownPrekey) bool { return o.Pub.Expires <= now.UnixMilli() })
			for len(own) < devicePrekeys {
				p, id, err := bundle.NewPrekey(s.d.info.DeviceID, bundle.HubID, s.d.info.Country, now.Add(bundle.PrekeyLifetime),
					func(m []byte) []byte { return ed25519.Sign(ed25519.PrivateKey(k.sign), m) })
				if err != nil {
					return err
				}
				own = append(own, ownPrekey{Pub: *p, Identity: id.String()})
				changed = true
			}
			for _, o := range own {
				pub = append(pub, o.Pub)
			}
			if !changed {
				return nil
			}
			return s.putOwnPrekeys(tx, k, own)
		})
	})
	return pub, err
}

// prekeyIdentity finds the private half of this device's prekey id, for
// the bundle in hand. A key destroyed because that bundle was imported
// already gives the bundle's ID (a repeated import); one destroyed or
// expired otherwise, bundle.ErrKeyDestroyed; one never made here,
// bundle.ErrNotForUs.
func (s *Session) prekeyIdentity(id string) (*bundle.PrekeyIdentity, string, error) {
	var pid *bundle.PrekeyIdentity
	var used string
	err := s.withKeys(func(k *keys) error {
		return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
			own, err := s.ownPrekeysTx(tx, k)
			if err != nil {
				return err
			}
			for _, o := range own {
				if o.Pub.ID != id {
					continue
				}
				if o.Pub.Expires <= s.d.opts.Now().UnixMilli() {
					return bundle.ErrKeyDestroyed
				}
				x, err := age.ParseX25519Identity(o.Identity)
				if err != nil {
					return fmt.Errorf("device keys damaged (one-time bundle keys): %w", err)
				}
				pid = &bundle.PrekeyIdentity{ID: id, X: x}
				return nil
			}
			if b, err := tx.GetMeta(metaPrekeyUsed + id); err == nil {
				if used = string(b); used == "" {
					return bundle.ErrKeyDestroyed // expired unused
				}
				return nil
			}
			return bundle.ErrNotForUs
		})
	})
	return pid, used, err
}

// destroyPrekeyTx destroys the private half of this device's prekey id,
// used by bundle bundleID, and notes which bundle used it. The caller runs
// Store.Scrub after the commit.
func (s *Session) destroyPrekeyTx(tx *store.Tx, id, bundleID string) error {
	return s.withKeys(func(k *keys) error {
		own, err := s.ownPrekeysTx(tx, k)
		if err != nil {
			return err
		}
		own = slices.DeleteFunc(own, func(o ownPrekey) bool { return o.Pub.ID == id })
		if err := s.putOwnPrekeys(tx, k, own); err != nil {
			return err
		}
		return tx.PutMeta(metaPrekeyUsed+id, []byte(bundleID))
	})
}

// takeHubPrekeysTx keeps the hub's prekeys for this device from a bundle
// (those that verify against the authority's root, are the hub's, for
// this device and still usable), with those already held.
func (s *Session) takeHubPrekeysTx(tx *store.Tx, ps []bundle.Prekey, root ed25519.PublicKey) error {
	return s.hubPrekeysTx(tx, func(hp *bundle.PeerPrekeys) {
		hp.Add(ps, func(p *bundle.Prekey) bool {
			return p.Owner == bundle.HubID && p.For == s.d.info.DeviceID && p.Country == s.d.info.Country && p.Verify(root) == nil
		})
	})
}

// takeHubPrekeys is takeHubPrekeysTx in a transaction of its own (a
// network sync's hello).
func (s *Session) takeHubPrekeys(ctx context.Context, ps []bundle.Prekey) error {
	root, err := s.d.st.GetMeta("root_public")
	if err != nil || len(root) != ed25519.PublicKeySize {
		return errors.New("this device's authority root key is missing or damaged")
	}
	return s.d.st.Update(ctx, func(tx *store.Tx) error { return s.takeHubPrekeysTx(tx, ps, ed25519.PublicKey(root)) })
}

// takeHubPrekey picks the hub's prekey to seal the next bundle to and
// marks it spent; nil if none is usable.
func (s *Session) takeHubPrekey(ctx context.Context) (*bundle.Prekey, error) {
	var pick *bundle.Prekey
	err := s.d.st.Update(ctx, func(tx *store.Tx) error {
		return s.hubPrekeysTx(tx, func(hp *bundle.PeerPrekeys) { pick = hp.Take(s.d.opts.Now()) })
	})
	return pick, err
}

// hubPrekeysTx changes the stored hub prekeys with fn.
func (s *Session) hubPrekeysTx(tx *store.Tx, fn func(*bundle.PeerPrekeys)) error {
	b, err := tx.GetMeta(metaHubPrekeys)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hp, err := bundle.UnmarshalPeerPrekeys(b)
	if err != nil {
		return err
	}
	fn(hp)
	if b, err = hp.Marshal(s.d.opts.Now()); err != nil {
		return err
	}
	return tx.PutMeta(metaHubPrekeys, b)
}
