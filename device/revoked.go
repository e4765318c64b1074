package device

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strconv"
	"time"

	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/trust"
)

// metaRevokedByHub holds when this device's hub refused it as revoked (Unix
// seconds). The answer came over the mutually authenticated connection to
// the hub whose certificate the device pinned at enrolment.
const metaRevokedByHub = "revoked_by_hub"

// ErrDeviceRevoked means this device knows its own key has been revoked:
// it must not issue receipts or sign registrations or changes any more
// (nothing it signed from then on would be accepted).
var ErrDeviceRevoked = errors.New("this device has been revoked by its authority: it can no longer issue receipts or save registrations or changes (what it saved before is kept; give the device to your supervisor)")

// Revocation is what this device knows of its own revocation.
type Revocation struct {
	// At is when its signatures stopped being accepted: the time in the
	// signed revocation list, or when the hub refused it as revoked.
	At time.Time
	// ByHub is true when the device learnt it from its hub's refusal; false
	// when a revocation list signed by its authority (from a sync, a bundle
	// or a trust file) names it.
	ByHub bool
}

// OwnRevocation reports whether this device knows it is revoked now (nil
// when it does not). A revocation list is taken only if it verifies under
// the authority's root key; one that names the device from a later time
// counts from that time on.
func (d *Device) OwnRevocation() (*Revocation, error) {
	now := d.opts.Now()
	var out *Revocation
	if b, err := d.st.GetMeta(metaRevocations); err == nil {
		root, err := d.st.GetMeta("root_public")
		if err != nil || len(root) != ed25519.PublicKeySize {
			return nil, errors.New("this device's authority root key is missing or damaged")
		}
		if l, err := trust.UnmarshalRevocationList(b); err == nil && l.Verify(root) == nil {
			if at, ok := l.RevokedAt(d.info.DeviceID); ok && !now.Before(at) {
				out = &Revocation{At: at}
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if b, err := d.st.GetMeta(metaRevokedByHub); err == nil {
		if sec, err := strconv.ParseInt(string(b), 10, 64); err == nil && (out == nil || time.Unix(sec, 0).Before(out.At)) {
			out = &Revocation{At: time.Unix(sec, 0), ByHub: true}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return out, nil
}

// checkNotRevoked is ErrDeviceRevoked when the device knows it is revoked.
func (d *Device) checkNotRevoked() error {
	r, err := d.OwnRevocation()
	if err != nil {
		return err
	}
	if r != nil {
		return ErrDeviceRevoked
	}
	return nil
}

// noteRevoked records that the hub refused this device as revoked (err
// wraps client.ErrRevoked), once, audit-logged.
func (s *Session) noteRevoked(err error) {
	if !errors.Is(err, client.ErrRevoked) {
		return
	}
	if _, e := s.d.st.GetMeta(metaRevokedByHub); e == nil {
		return
	}
	now := s.d.opts.Now()
	_ = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutMeta(metaRevokedByHub, []byte(strconv.FormatInt(now.Unix(), 10))); err != nil {
			return err
		}
		return s.auditTx(tx, "device_revoked", "", "the hub refused this device as revoked: no more receipts, registrations or changes")
	})
}
