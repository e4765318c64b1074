package bundle

import (
	"bufio"
	"cmp"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/fxamacker/cbor/v2"
)

// One-time keys (prekeys) make bundles forward-secret (docs/erasure.md,
// "Forward-secret bundles"). Each receiving node (the hub, a device)
// publishes a few X25519 keys, signed with its signing key, to the one node
// that may seal to it; the next bundle for it is sealed to one of them, and
// the receiver destroys the private half in the transaction that records
// the bundle as imported, or when the key expires unused. A copy of the
// stick found afterwards cannot be opened by anybody, the receiver
// included, whatever keys of the deployment are at hand.
//
// On the stick such a bundle is an age file whose one recipient stanza is
//
//	-> fieldreg-prekey ID SHARE
//
// where ID is the prekey's ID (16 hex digits) and SHARE and the body are
// those of age's X25519 stanza: the receiver finds the key by its ID
// without trying every key it holds, and can say "already imported" of a
// bundle whose key it has destroyed.

// Prekey limits and timings.
const (
	// PrekeyLifetime is how long a prekey lives unused: its private half
	// is destroyed then even if no bundle came. A bundle sealed to it and
	// never imported is refused after that; its sender writes another.
	PrekeyLifetime = 60 * 24 * time.Hour
	// PrekeyMargin: a sender uses a prekey only if it lives at least this
	// long yet, for the stick to travel.
	PrekeyMargin = 7 * 24 * time.Hour
	// MaxPrekeys is the most prekeys one frame carries.
	MaxPrekeys = 64
	// MaxPrekeysBytes bounds the prekeys frame.
	MaxPrekeysBytes = MaxPrekeys * 256
	prekeyStanza    = "fieldreg-prekey"
	prekeyContext   = "fieldreg prekey v1\x00"
	framePrekeys    = 'P'
)

// Errors of prekeys.
var (
	// ErrKeyDestroyed: the bundle was sealed to a one-time key of this
	// node that has been destroyed: the bundle was imported here already
	// (or its key expired). Nothing can open it any more; nothing changed.
	ErrKeyDestroyed = errors.New("this bundle was sealed to a one-time key that has been destroyed since (it was imported here already, or waited past its key's lifetime): nobody can open it any more, and nothing changed")
	// ErrBadPrekey: a prekey that is malformed or whose signature does not verify.
	ErrBadPrekey = errors.New("a one-time bundle key is malformed or not signed by its owner")
)

// Prekey is the public half of a one-time bundle key, signed by its owner.
type Prekey struct {
	ID        string `cbor:"1,keyasint"` // 16 hex digits, random
	Owner     string `cbor:"2,keyasint"` // who holds the private half: HubID or a device ID
	For       string `cbor:"3,keyasint"` // the one node that may seal to it
	Country   string `cbor:"4,keyasint"`
	Recipient string `cbor:"5,keyasint"` // age X25519 recipient
	Expires   int64  `cbor:"6,keyasint"` // Unix ms: the private half is destroyed then
	Sig       []byte `cbor:"7,keyasint"` // Ed25519 over prekeyContext || CBOR of the fields above
}

func (p *Prekey) signedBytes() []byte {
	c := *p
	c.Sig = nil
	b, _ := encMode.Marshal(&c)
	return append([]byte(prekeyContext), b...)
}

// NewPrekey makes a prekey of owner for the node for, expiring at expires,
// signed with sign. It returns the public half and the private identity,
// which the owner keeps sealed and destroys on use or expiry.
func NewPrekey(owner, forNode, country string, expires time.Time, sign Signer) (*Prekey, *age.X25519Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, err
	}
	p := &Prekey{ID: hex.EncodeToString(b), Owner: owner, For: forNode, Country: country,
		Recipient: id.Recipient().String(), Expires: expires.UnixMilli()}
	p.Sig = sign(p.signedBytes())
	return p, id, nil
}

func validPrekeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// Verify checks the prekey's form and its owner's signature.
func (p *Prekey) Verify(owner ed25519.PublicKey) error {
	if !validPrekeyID(p.ID) || !validID(p.Owner, MaxIDLen) || !validID(p.For, MaxIDLen) || p.Expires <= 0 {
		return fmt.Errorf("%w: fields", ErrBadPrekey)
	}
	if _, err := age.ParseX25519Recipient(p.Recipient); err != nil {
		return fmt.Errorf("%w: key", ErrBadPrekey)
	}
	if len(owner) != ed25519.PublicKeySize || !ed25519.Verify(owner, p.signedBytes(), p.Sig) {
		return fmt.Errorf("%w: signature", ErrBadPrekey)
	}
	return nil
}

// Usable reports whether a sender may seal to p at now: it has at least
// PrekeyMargin to live.
func (p *Prekey) Usable(now time.Time) bool {
	return now.Add(PrekeyMargin).UnixMilli() < p.Expires
}

// MarshalPrekeys encodes prekeys for the prekeys frame or storage.
func MarshalPrekeys(ps []Prekey) ([]byte, error) {
	if len(ps) > MaxPrekeys {
		return nil, fmt.Errorf("bundle: %w: more than %d one-time keys", ErrTooLarge, MaxPrekeys)
	}
	if ps == nil {
		ps = []Prekey{}
	}
	return encMode.Marshal(ps)
}

// UnmarshalPrekeys decodes a prekeys frame (untrusted: it checks sizes and
// form, not signatures, which need the owner's key: Prekey.Verify).
func UnmarshalPrekeys(b []byte) ([]Prekey, error) {
	if len(b) > MaxPrekeysBytes {
		return nil, fmt.Errorf("%w: one-time keys", ErrTooLarge)
	}
	var ps []Prekey
	if err := decMode.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("%w: one-time keys", ErrMalformed)
	}
	if len(ps) > MaxPrekeys {
		return nil, fmt.Errorf("%w: more than %d one-time keys", ErrTooLarge, MaxPrekeys)
	}
	seen := make(map[string]bool, len(ps))
	for i := range ps {
		if !validPrekeyID(ps[i].ID) || seen[ps[i].ID] || len(ps[i].Sig) != ed25519.SignatureSize {
			return nil, fmt.Errorf("%w: one-time key %d", ErrMalformed, i)
		}
		seen[ps[i].ID] = true
	}
	return ps, nil
}

// prekeyRecipient seals to a prekey: age's X25519 stanza, renamed and
// labelled with the prekey's ID.
type prekeyRecipient struct {
	id string
	x  *age.X25519Recipient
}

func (r *prekeyRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	ss, err := r.x.Wrap(fileKey)
	if err != nil {
		return nil, err
	}
	if len(ss) != 1 || ss[0].Type != "X25519" {
		return nil, errors.New("bundle: unexpected X25519 stanza")
	}
	return []*age.Stanza{{Type: prekeyStanza, Args: append([]string{r.id}, ss[0].Args...), Body: ss[0].Body}}, nil
}

// PrekeyIdentity is the private half of a prekey, to open a bundle sealed
// to it.
type PrekeyIdentity struct {
	ID string
	X  *age.X25519Identity
}

// Unwrap implements age.Identity.
func (k *PrekeyIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type != prekeyStanza || len(s.Args) != 2 || s.Args[0] != k.ID {
			continue
		}
		return k.X.Unwrap([]*age.Stanza{{Type: "X25519", Args: s.Args[1:], Body: s.Body}})
	}
	return nil, age.ErrIncorrectIdentity
}

// SealedPrekey reads the beginning of the age file in src and returns the
// ID of the prekey it is sealed to, or "" if it is sealed otherwise (to a
// node's long-term bundle key) or is no age file. It leaves src at its
// start. Untrusted input: it reads at most the age header's first lines.
func SealedPrekey(src io.ReadSeeker) (string, error) {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	defer src.Seek(0, io.SeekStart) //nolint:errcheck // Open seeks again and reports
	return stanzaPrekey(bufio.NewReaderSize(io.LimitReader(src, 4096), 4096)), nil
}

func stanzaPrekey(r *bufio.Reader) string {
	line, err := r.ReadSlice('\n')
	if err != nil || string(line) != ageMagic {
		return ""
	}
	line, err = r.ReadSlice('\n')
	if err != nil {
		return ""
	}
	f := strings.Fields(strings.TrimSuffix(string(line), "\n"))
	if len(f) != 4 || f[0] != "->" || f[1] != prekeyStanza || !validPrekeyID(f[2]) {
		return ""
	}
	return f[2]
}

// sealTo is the recipient a Writer encrypts to.
func sealTo(to *age.X25519Recipient, pk *Prekey) (age.Recipient, error) {
	if pk == nil {
		return to, nil
	}
	x, err := age.ParseX25519Recipient(pk.Recipient)
	if err != nil || !validPrekeyID(pk.ID) {
		return nil, fmt.Errorf("bundle: %w", ErrBadPrekey)
	}
	return &prekeyRecipient{id: pk.ID, x: x}, nil
}

// Prekeys adds the writer's own prekeys for the recipient (once, before the
// revocation list and events): where the recipient seals its next bundle.
func (w *Writer) Prekeys(ps []Prekey) error {
	if w.state != 0 || w.np {
		return errors.New("bundle: the one-time keys go once, before the revocation list and events")
	}
	b, err := MarshalPrekeys(ps)
	if err != nil {
		return err
	}
	w.np = true
	w.frame(framePrekeys, b)
	return w.err
}

// Prekeys are the exporter's one-time keys the bundle carries (decoded, not
// yet verified against the exporter's key: Prekey.Verify), or nil.
func (b *Bundle) Prekeys() []Prekey { return b.prekeys }

// PeerPrekeys are another node's one-time keys a sender may seal to, and
// those it has sealed to already (ID to expiry, Unix ms): a key the owner
// lists again before it has seen the bundle sealed to it is not used twice.
type PeerPrekeys struct {
	Keys  []Prekey         `cbor:"1,keyasint"`
	Spent map[string]int64 `cbor:"2,keyasint"`
}

// UnmarshalPeerPrekeys decodes what MarshalPeer stored; nil or empty input
// is an empty set.
func UnmarshalPeerPrekeys(b []byte) (*PeerPrekeys, error) {
	pp := &PeerPrekeys{}
	if len(b) > 0 {
		if err := cbor.Unmarshal(b, pp); err != nil {
			return nil, fmt.Errorf("the stored one-time bundle keys are damaged: %w", err)
		}
	}
	if pp.Spent == nil {
		pp.Spent = map[string]int64{}
	}
	return pp, nil
}

// Add keeps the prekeys of ps that ok accepts (the caller verifies their
// owner, recipient and signature) and that are neither held nor spent.
func (pp *PeerPrekeys) Add(ps []Prekey, ok func(*Prekey) bool) {
	have := make(map[string]bool, len(pp.Keys))
	for _, p := range pp.Keys {
		have[p.ID] = true
	}
	for i := range ps {
		if _, spent := pp.Spent[ps[i].ID]; spent || have[ps[i].ID] || !ok(&ps[i]) {
			continue
		}
		pp.Keys = append(pp.Keys, ps[i])
		have[ps[i].ID] = true
	}
}

// Take picks the prekey to seal the next bundle to (the usable one that
// expires first) and marks it spent; nil if none is usable at now.
func (pp *PeerPrekeys) Take(now time.Time) *Prekey {
	var pick *Prekey
	for i := range pp.Keys {
		if pp.Keys[i].Usable(now) && (pick == nil || pp.Keys[i].Expires < pick.Expires) {
			pick = &pp.Keys[i]
		}
	}
	if pick == nil {
		return nil
	}
	p := *pick
	pp.Spent[p.ID] = p.Expires
	pp.Keys = slices.DeleteFunc(pp.Keys, func(k Prekey) bool { return k.ID == p.ID })
	return &p
}

// Marshal encodes the set for storage, first dropping the keys no longer
// usable at now and the spent marks of expired keys, and keeping at most
// MaxPrekeys keys (those that live longest).
func (pp *PeerPrekeys) Marshal(now time.Time) ([]byte, error) {
	pp.Keys = slices.DeleteFunc(pp.Keys, func(p Prekey) bool { return !p.Usable(now) })
	for id, exp := range pp.Spent {
		if exp <= now.UnixMilli() {
			delete(pp.Spent, id)
		}
	}
	if len(pp.Keys) > MaxPrekeys {
		slices.SortFunc(pp.Keys, func(a, b Prekey) int { return cmp.Compare(b.Expires, a.Expires) })
		pp.Keys = pp.Keys[:MaxPrekeys]
	}
	return encMode.Marshal(pp)
}

// SealingNote says in a line of command output how a bundle for recipient
// ("the hub", "the device") was sealed: to its one-time key prekey, or,
// when prekey is "", to its long-term bundle key (the fallback).
func SealingNote(prekey, recipient string) string {
	if prekey != "" {
		return fmt.Sprintf("sealed to a one-time key of %s (%s): once imported, no copy of this bundle can be opened again", recipient, prekey)
	}
	return fmt.Sprintf("sealed to the long-term bundle key of %s: no one-time key of %s is held yet (it comes with its next bundle), so a copy of this bundle stays readable to that key; destroy spare copies", recipient, recipient)
}
