// Package bundle is the USB bundle: the signed events of a sync carried in
// a file, for posts that never see a network (DESIGN.md section 7,
// docs/bundles.md).
//
// A bundle is an age file (filippo.io/age, one X25519 recipient: the
// receiving hub or device) whose plaintext is
//
//	magic    "FRBUNDLE" 0x01
//	frames   tag(1) uvarint(len) body(len), in this order:
//	         'H' header (CBOR Header), exactly one
//	         'C' device credential (CBOR trust.Credential), zero or more
//	         'P' the exporter's one-time keys (CBOR []Prekey), at most one
//	         'R' revocation list (CBOR trust.RevocationList), at most one
//	         'E' signed event (CBOR registry.Event, as sync/wire frames it), zero or more
//	         'Z' trailer (CBOR: events, SHA-256, Ed25519 signature), exactly one, last
//
// The trailer's hash covers every byte before the trailer frame, magic
// included, and the exporter signs "fieldreg bundle v1\x00" || hash with its
// Ed25519 key: age hides the content from everyone but the recipient, the
// signature says who made it (age does not authenticate the sender).
//
// Open is two passes over the ciphertext and no plaintext file: the first
// decrypts, checks every limit and frame, hashes and verifies the signature,
// keeping only a digest per chunk of events; Bundle.Apply decrypts again
// and hands each chunk over only if it equals what the first pass checked.
// Nothing is applied from a bundle that is not whole and authentic.
package bundle

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"github.com/fxamacker/cbor/v2"

	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

// Magic starts the plaintext of every bundle; its last byte is the format
// version.
const Magic = "FRBUNDLE\x01"

// Kinds of bundle.
const (
	KindToHub    = "to-hub"    // a device's events for its hub
	KindToDevice = "to-device" // the hub's answer: acknowledgement, events, trust
)

// HubID names the hub in Header.From and Header.To.
const HubID = "hub"

// Limits on untrusted input. Every count and length read from a bundle is
// checked against one of them before anything is allocated for it.
const (
	MaxHeaderBytes     = 8 << 20                     // a header with a vector of MaxHeads logs
	MaxCredentialBytes = 1024                        // one device credential
	MaxCredentials     = 10_000                      // devices in a deployment
	MaxRevocationBytes = trust.MaxRevocationListSize // one revocation list
	MaxContactsBytes   = trust.MaxContactsSize       // the authority's notice contacts
	MaxCentresBytes    = trust.MaxCentresSize        // the authority's reception centres
	MaxRetentionBytes  = trust.MaxRetentionSize      // the authority's retention rules
	MaxEventBytes      = wire.MaxEventBytes          // one event
	MaxEvents          = 2_000_000                   // events in one bundle
	MaxBundleBytes     = 8 << 30                     // plaintext of one bundle
	MaxHeads           = wire.MaxHeads               // logs in the header's vector
	MaxIDLen           = wire.MaxIDLen               // bundle, device and hub IDs
	MaxRecipientLen    = 128                         // an age X25519 recipient is 62 characters
	maxTrailerBytes    = 256                         // CBOR of two counts, 32 and 64 bytes
	ChunkEvents        = wire.MaxChunkEvents         // events handed to Apply's callback at once
	ChunkBytes         = wire.MaxChunkBytes          // and their size, unless a chunk is one event
	signContext        = "fieldreg bundle v1\x00"    // domain separation of the signature
	ageMagic           = "age-encryption.org/v1\n"   // how every age file begins
	frameHeader        = 'H'
	frameCredential    = 'C'
	frameRevocations   = 'R'
	frameContacts      = 'N'
	frameCentres       = 'A'
	frameRetention     = 'T'
	frameEvent         = 'E'
	frameTrailer       = 'Z'
)

// Errors callers branch on. Every error of Open and Apply wraps one of them
// (or the caller's own from its Trust or Check function). Their messages are
// plain words without personal data.
var (
	// ErrNotBundle: the file is not a fieldreg bundle (empty, random, another format).
	ErrNotBundle = errors.New("this file is not a fieldreg bundle")
	// ErrNotForUs: the bundle is encrypted or addressed to another hub or device.
	ErrNotForUs = errors.New("this bundle is addressed to another hub or device (or its key stanza was damaged)")
	// ErrDamaged: altered or cut short; the source should copy it again.
	ErrDamaged = errors.New("this bundle is damaged: altered or cut short (copy it again from the source)")
	// ErrBadSignature: whole and readable, but not signed by the exporter it names.
	ErrBadSignature = errors.New("this bundle's signature does not verify: it was not made by the device or hub it names")
	// ErrTooLarge: a count or length exceeds the limits above.
	ErrTooLarge = errors.New("this bundle exceeds the size limits")
	// ErrMalformed: decrypts, but its frames or header are not well formed.
	ErrMalformed = errors.New("this bundle is malformed")
)

// Header describes a bundle. It is inside the encryption and under the
// signature.
type Header struct {
	ID      string `cbor:"1,keyasint"` // random, 32 hex digits
	Kind    string `cbor:"2,keyasint"` // KindToHub or KindToDevice
	Country string `cbor:"3,keyasint"` // the deployment's ISO 3166-1 alpha-3 code
	From    string `cbor:"4,keyasint"` // exporter: a device ID, or HubID
	FromKey string `cbor:"5,keyasint"` // the exporter's age recipient: where answers go
	To      string `cbor:"6,keyasint"` // intended recipient: HubID, or a device ID
	ToKey   string `cbor:"7,keyasint"` // the age recipient the bundle is encrypted to
	Created int64  `cbor:"8,keyasint"` // Unix milliseconds
	// Vector is the exporter's version vector when it wrote the bundle:
	// every event it holds. From a hub it is the acknowledgement; from a
	// device it tells the hub what to send back.
	Vector []wire.Head `cbor:"9,keyasint"`
	// Prekey is the ID of the recipient's one-time key the bundle is
	// sealed to (ToKey is then that key), or "" when it is sealed to the
	// recipient's long-term bundle key (prekey.go).
	Prekey string `cbor:"10,keyasint,omitempty"`
}

type trailer struct {
	Events int    `cbor:"1,keyasint"`
	Sum    []byte `cbor:"2,keyasint"`
	Sig    []byte `cbor:"3,keyasint"`
}

var (
	encMode, _ = cbor.CoreDetEncOptions().EncMode()
	decMode, _ = cbor.DecOptions{MaxArrayElements: MaxHeads, MaxMapPairs: 16, MaxNestedLevels: 4,
		DupMapKey: cbor.DupMapKeyEnforcedAPF, ExtraReturnErrors: cbor.ExtraDecErrorUnknownField}.DecMode()
)

// NewID returns a random bundle ID.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func validID(s string, max int) bool {
	return s != "" && len(s) <= max && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e })
}

func (h *Header) check() error {
	switch {
	case !validID(h.ID, MaxIDLen), !validID(h.From, MaxIDLen), !validID(h.To, MaxIDLen),
		!validID(h.FromKey, MaxRecipientLen), !validID(h.ToKey, MaxRecipientLen),
		!trust.ValidCountry(h.Country), h.Kind != KindToHub && h.Kind != KindToDevice, h.Created <= 0,
		h.Prekey != "" && !validPrekeyID(h.Prekey):
		return fmt.Errorf("%w: header fields", ErrMalformed)
	case len(h.Vector) > MaxHeads:
		return fmt.Errorf("%w: vector of more than %d logs", ErrTooLarge, MaxHeads)
	}
	if _, err := wire.ToVector(h.Vector); err != nil {
		return fmt.Errorf("%w: header vector", ErrMalformed)
	}
	return nil
}

// Signer signs the hash of a bundle: a device's Ed25519 key, or the
// authority's root key for hub bundles.
type Signer func(msg []byte) []byte

func signedMessage(sum []byte) []byte { return append([]byte(signContext), sum...) }

// Writer writes a bundle. Frames are written as they come: memory does not
// grow with the number of events. Credential and Revocations must come
// before the first Event; Close writes the trailer.
type Writer struct {
	age    io.WriteCloser
	buf    *bufio.Writer
	h      hash.Hash
	sign   Signer
	state  int  // 0 trust frames, 1 events, 2 closed
	nc     bool // the contacts frame was written
	na     bool // the centres frame was written
	nt     bool // the retention rules frame was written
	np     bool // the prekeys frame was written
	events int
	size   int64
	hdr    [1 + binary.MaxVarintLen64]byte
	err    error
}

// NewWriter starts a bundle to dst, encrypted to the recipient's long-term
// bundle key to (whose string form must be hdr.ToKey; hdr.Prekey must be
// "") and signed with sign at Close. It writes the magic and the header;
// dst is not closed by Close. NewPrekeyWriter is the forward-secret one.
func NewWriter(dst io.Writer, to *age.X25519Recipient, hdr *Header, sign Signer) (*Writer, error) {
	if to.String() != hdr.ToKey || hdr.Prekey != "" {
		return nil, errors.New("bundle: the header names another recipient than the key it is encrypted to")
	}
	return newWriter(dst, to, nil, hdr, sign)
}

// NewPrekeyWriter is NewWriter sealing to the recipient's one-time key pk
// (verified by the caller): hdr.ToKey must be pk.Recipient and hdr.Prekey
// pk.ID. Once the recipient has imported the bundle, no copy of it can be
// opened any more.
func NewPrekeyWriter(dst io.Writer, pk *Prekey, hdr *Header, sign Signer) (*Writer, error) {
	if pk.Recipient != hdr.ToKey || pk.ID != hdr.Prekey {
		return nil, errors.New("bundle: the header names another recipient than the key it is encrypted to")
	}
	return newWriter(dst, nil, pk, hdr, sign)
}

func newWriter(dst io.Writer, to *age.X25519Recipient, pk *Prekey, hdr *Header, sign Signer) (*Writer, error) {
	if err := hdr.check(); err != nil {
		return nil, err
	}
	r, err := sealTo(to, pk)
	if err != nil {
		return nil, err
	}
	a, err := age.Encrypt(dst, r)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	w := &Writer{age: a, buf: bufio.NewWriterSize(a, 256<<10), h: sha256.New(), sign: sign}
	w.write([]byte(Magic))
	hb, err := encMode.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	w.frame(frameHeader, hb)
	return w, w.err
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	w.h.Write(b)
	w.size += int64(len(b))
	_, w.err = w.buf.Write(b)
}

func (w *Writer) frame(tag byte, body []byte) {
	w.hdr[0] = tag
	n := binary.PutUvarint(w.hdr[1:], uint64(len(body)))
	w.write(w.hdr[:1+n])
	w.write(body)
	if w.err == nil && w.size > MaxBundleBytes {
		w.err = fmt.Errorf("bundle: %w: more than %d bytes", ErrTooLarge, int64(MaxBundleBytes))
	}
}

// Credential adds a device credential (the trust list of a hub bundle).
func (w *Writer) Credential(raw []byte) error {
	if w.state != 0 {
		return errors.New("bundle: credentials go before events")
	}
	if len(raw) > MaxCredentialBytes {
		return fmt.Errorf("bundle: %w: credential", ErrTooLarge)
	}
	w.frame(frameCredential, raw)
	return w.err
}

// Contacts adds the authority's signed notice contacts (trust.Contacts),
// once, before the revocation list and events. A bundle without them is
// read as before.
func (w *Writer) Contacts(raw []byte) error {
	if w.state != 0 || w.nc {
		return errors.New("bundle: the contacts go once, before the revocation list and events")
	}
	if len(raw) > MaxContactsBytes {
		return fmt.Errorf("bundle: %w: contacts", ErrTooLarge)
	}
	w.nc = true
	w.frame(frameContacts, raw)
	return w.err
}

// Centres adds the authority's signed list of reception centres
// (trust.Centres), once, before the revocation list and events. A bundle
// without it is read as before.
func (w *Writer) Centres(raw []byte) error {
	if w.state != 0 || w.na {
		return errors.New("bundle: the centres go once, before the revocation list and events")
	}
	if len(raw) > MaxCentresBytes {
		return fmt.Errorf("bundle: %w: centres", ErrTooLarge)
	}
	w.na = true
	w.frame(frameCentres, raw)
	return w.err
}

// Retention adds the authority's signed retention rules
// (trust.RetentionRules), once, before the revocation list and events. A
// bundle without them is read as before.
func (w *Writer) Retention(raw []byte) error {
	if w.state != 0 || w.nt {
		return errors.New("bundle: the retention rules go once, before the revocation list and events")
	}
	if len(raw) > MaxRetentionBytes {
		return fmt.Errorf("bundle: %w: retention rules", ErrTooLarge)
	}
	w.nt = true
	w.frame(frameRetention, raw)
	return w.err
}

// Revocations adds the signed revocation list (once, before events).
func (w *Writer) Revocations(raw []byte) error {
	if w.state != 0 {
		return errors.New("bundle: the revocation list goes before events")
	}
	if len(raw) > MaxRevocationBytes {
		return fmt.Errorf("bundle: %w: revocation list", ErrTooLarge)
	}
	w.state = 1 // at most one list
	w.frame(frameRevocations, raw)
	return w.err
}

// Event adds a signed event.
func (w *Writer) Event(e *registry.Event) error {
	if w.state > 1 {
		return errors.New("bundle: writer closed")
	}
	w.state = 1
	if w.events >= MaxEvents {
		return fmt.Errorf("bundle: %w: more than %d events", ErrTooLarge, MaxEvents)
	}
	b := wire.EncodeEvent(e)
	if len(b) > MaxEventBytes {
		return fmt.Errorf("bundle: %w: event %s", ErrTooLarge, e.ID())
	}
	w.events++
	w.frame(frameEvent, b)
	return w.err
}

// Events is how many events were written so far.
func (w *Writer) Events() int { return w.events }

// Close signs the hash of everything written, writes the trailer and
// finishes the encryption. The bundle is complete only if Close returns nil.
func (w *Writer) Close() error {
	if w.state > 1 {
		return errors.New("bundle: writer closed")
	}
	w.state = 2
	if w.err != nil {
		return w.err
	}
	sum := w.h.Sum(nil)
	tb, _ := encMode.Marshal(&trailer{Events: w.events, Sum: sum, Sig: w.sign(signedMessage(sum))})
	w.hdr[0] = frameTrailer
	n := binary.PutUvarint(w.hdr[1:], uint64(len(tb)))
	if _, err := w.buf.Write(w.hdr[:1+n]); err != nil {
		return err
	}
	if _, err := w.buf.Write(tb); err != nil {
		return err
	}
	if err := w.buf.Flush(); err != nil {
		return err
	}
	return w.age.Close()
}

// Trust decides whether the exporter a header names is trusted, and returns
// its public key. It is called once the header has been read and checked,
// before any other frame; its error is returned as is (for example "this
// bundle comes from a revoked device").
type Trust func(h *Header) (ed25519.PublicKey, error)

// Options tune Open.
type Options struct {
	// Check is called in the first pass with each chunk of events (at most
	// ChunkEvents events and ChunkBytes bytes, or one larger event), before
	// the signature is known to verify. An error refuses the bundle.
	Check func(evs []*registry.Event) error
}

// Bundle is a bundle that has been read whole and verified by Open.
type Bundle struct {
	src         io.ReadSeeker
	id          age.Identity
	hdr         Header
	creds       [][]byte
	revocations []byte
	contacts    []byte
	centres     []byte
	retention   []byte
	prekeys     []Prekey
	events      int
	chunks      [][sha256.Size]byte
	sum         []byte
}

// Open reads the bundle in src (a file, not read into memory) with the
// identity id, which must match the recipient the header names (self, the
// age recipient of id). id is the receiver's long-term bundle identity, or
// a *PrekeyIdentity for a bundle sealed to one of its one-time keys
// (SealedPrekey names it); the header must say which. It checks the form and limits of every frame, asks
// trust for the exporter's key, hashes everything and verifies the
// exporter's signature: the first pass. Nothing is kept but the header, the
// trust frames and a digest per chunk of events. Errors wrap ErrNotBundle,
// ErrNotForUs, ErrDamaged, ErrBadSignature, ErrTooLarge, ErrMalformed, or
// the error of trust or opts.Check.
func Open(src io.ReadSeeker, id age.Identity, self string, trust Trust, opts Options) (*Bundle, error) {
	b := &Bundle{src: src, id: id}
	var pub ed25519.PublicKey
	err := b.pass(func(h *Header) error {
		pk, isPrekey := id.(*PrekeyIdentity)
		if h.ToKey != self || isPrekey != (h.Prekey != "") || isPrekey && pk.ID != h.Prekey {
			return ErrNotForUs
		}
		k, err := trust(h)
		if err != nil {
			return err
		}
		if len(k) != ed25519.PublicKeySize {
			return errors.New("bundle: the exporter's key is unknown")
		}
		pub = k
		b.hdr = *h
		return nil
	}, func(i int, sum [sha256.Size]byte, evs []*registry.Event) error {
		b.chunks = append(b.chunks, sum)
		if opts.Check != nil {
			return opts.Check(evs)
		}
		return nil
	}, func(t *trailer, sum []byte) error {
		if !ed25519.Verify(pub, signedMessage(sum), t.Sig) {
			return ErrBadSignature
		}
		b.sum = sum
		b.events = t.Events
		return nil
	}, true)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Header is the verified header.
func (b *Bundle) Header() Header { return b.hdr }

// Credentials are the credential frames (raw CBOR, not yet verified against
// the root: that is the receiver's job).
func (b *Bundle) Credentials() [][]byte { return b.creds }

// Revocations is the revocation list frame, or nil.
func (b *Bundle) Revocations() []byte { return b.revocations }

// Contacts is the notice contacts frame (raw CBOR, not yet verified against
// the authority's root), or nil.
func (b *Bundle) Contacts() []byte { return b.contacts }

// Centres is the reception centres frame (raw CBOR, not yet verified
// against the authority's root), or nil.
func (b *Bundle) Centres() []byte { return b.centres }

// Retention is the retention rules frame (raw CBOR, not yet verified
// against the authority's root: trust.UnmarshalRetention, Verify); nil if
// the bundle has none.
func (b *Bundle) Retention() []byte { return b.retention }

// Events is the number of events the bundle holds.
func (b *Bundle) Events() int { return b.events }

// Apply is the second pass: it decrypts the file again and calls fn with
// each chunk of events (as Options.Check saw them), but only after checking
// that the chunk is the one the first pass verified; the file changing
// between the passes stops it with ErrDamaged before the changed chunk. fn
// is typically one transaction. An error from fn stops Apply and is
// returned.
func (b *Bundle) Apply(fn func(evs []*registry.Event) error) error {
	if _, err := b.src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return b.pass(func(h *Header) error { return nil }, func(i int, sum [sha256.Size]byte, evs []*registry.Event) error {
		if i >= len(b.chunks) || b.chunks[i] != sum {
			return fmt.Errorf("%w: the file changed since it was verified", ErrDamaged)
		}
		return fn(evs)
	}, func(t *trailer, sum []byte) error {
		if !bytes.Equal(sum, b.sum) {
			return fmt.Errorf("%w: the file changed since it was verified", ErrDamaged)
		}
		return nil
	}, false)
}

// hashReader hashes the bytes it reads while on.
type hashReader struct {
	r  *bufio.Reader
	h  hash.Hash
	on bool
	n  int64
}

func (r *hashReader) ReadByte() (byte, error) {
	c, err := r.r.ReadByte()
	if err == nil {
		r.n++
		if r.on {
			r.h.Write([]byte{c})
		}
	}
	return c, err
}

func (r *hashReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if r.on {
		r.h.Write(p[:n])
	}
	return n, err
}

// pass decrypts and parses the bundle once. first says whether this is the
// first pass (which keeps the trust frames).
func (b *Bundle) pass(onHeader func(*Header) error, onChunk func(int, [sha256.Size]byte, []*registry.Event) error,
	onTrailer func(*trailer, []byte) error, first bool) error {
	br := bufio.NewReaderSize(b.src, 64<<10)
	if p, err := br.Peek(len(ageMagic)); err != nil || string(p) != ageMagic {
		return ErrNotBundle
	}
	pr, err := age.Decrypt(br, b.id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return ErrNotForUs
		}
		return fmt.Errorf("%w (encryption header)", ErrDamaged)
	}
	r := &hashReader{r: bufio.NewReaderSize(pr, 256<<10), h: sha256.New(), on: true}
	magic := make([]byte, len(Magic))
	if _, err := io.ReadFull(r, magic); err != nil {
		return readErr(err, ErrNotBundle)
	}
	if string(magic) != Magic {
		if string(magic[:len(Magic)-1]) == Magic[:len(Magic)-1] {
			return fmt.Errorf("%w: format version %d is not known to this build", ErrMalformed, magic[len(Magic)-1])
		}
		return ErrNotBundle
	}
	var (
		stage     = 0 // 0 want header, 1 trust frames, 2 after revocations, 3 events
		creds     = 0
		contacts  = false
		prekeys   = false
		retention = false
		centres   = false
		events    = 0
		chunk     []*registry.Event
		chunkH    = sha256.New()
		chunkSz   = 0
		chunkI    = 0
		body      []byte
	)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		var s [sha256.Size]byte
		chunkH.Sum(s[:0])
		err := onChunk(chunkI, s, chunk)
		chunkI++
		chunk, chunkSz = nil, 0
		chunkH.Reset()
		return err
	}
	for {
		r.on = false
		tag, err := r.ReadByte()
		if err != nil {
			return readErr(err, ErrDamaged)
		}
		if tag != frameTrailer {
			r.h.Write([]byte{tag})
			r.on = true
		}
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return readErr(err, ErrMalformed)
		}
		var max uint64
		switch tag {
		case frameHeader:
			max = MaxHeaderBytes
			if stage != 0 {
				return fmt.Errorf("%w: a second header", ErrMalformed)
			}
		case frameCredential:
			max = MaxCredentialBytes
			if stage != 1 {
				return fmt.Errorf("%w: frames out of order", ErrMalformed)
			}
			if creds++; creds > MaxCredentials {
				return fmt.Errorf("%w: more than %d credentials", ErrTooLarge, MaxCredentials)
			}
		case frameContacts:
			max = MaxContactsBytes
			if stage != 1 || contacts {
				return fmt.Errorf("%w: frames out of order", ErrMalformed)
			}
			contacts = true
		case frameCentres:
			max = MaxCentresBytes
			if stage != 1 || centres {
				return fmt.Errorf("%w: frames out of order", ErrMalformed)
			}
			centres = true
		case frameRetention:
			max = MaxRetentionBytes
			if stage != 1 || retention {
				return fmt.Errorf("%w: frames out of order", ErrMalformed)
			}
			retention = true
		case framePrekeys:
			max = MaxPrekeysBytes
			if stage != 1 || prekeys {
				return fmt.Errorf("%w: frames out of order", ErrMalformed)
			}
			prekeys = true
		case frameRevocations:
			max = MaxRevocationBytes
			if stage != 1 {
				return fmt.Errorf("%w: frames out of order", ErrMalformed)
			}
			stage = 2
		case frameEvent:
			max = MaxEventBytes
			if stage == 0 {
				return fmt.Errorf("%w: frames out of order", ErrMalformed)
			}
			stage = 3
			if events++; events > MaxEvents {
				return fmt.Errorf("%w: more than %d events", ErrTooLarge, MaxEvents)
			}
		case frameTrailer:
			max = maxTrailerBytes
			if stage == 0 {
				return fmt.Errorf("%w: no header", ErrMalformed)
			}
		default:
			return fmt.Errorf("%w: unknown frame", ErrMalformed)
		}
		if n > max {
			return fmt.Errorf("%w: a frame of %d bytes", ErrTooLarge, n)
		}
		if r.n+int64(n) > MaxBundleBytes {
			return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, int64(MaxBundleBytes))
		}
		if cap(body) < int(n) {
			body = make([]byte, n)
		}
		body = body[:n]
		if _, err := io.ReadFull(r, body); err != nil {
			return readErr(err, ErrDamaged)
		}
		switch tag {
		case frameHeader:
			var h Header
			if err := decMode.Unmarshal(body, &h); err != nil {
				return fmt.Errorf("%w: header", ErrMalformed)
			}
			if err := h.check(); err != nil {
				return err
			}
			if err := onHeader(&h); err != nil {
				return err
			}
			stage = 1
		case frameCredential:
			if first {
				b.creds = append(b.creds, bytes.Clone(body))
			}
		case frameRevocations:
			if first {
				b.revocations = bytes.Clone(body)
			}
		case frameContacts:
			if first {
				b.contacts = bytes.Clone(body)
			}
		case frameCentres:
			if first {
				b.centres = bytes.Clone(body)
			}
		case frameRetention:
			if first {
				b.retention = bytes.Clone(body)
			}
		case framePrekeys:
			if first {
				ps, err := UnmarshalPrekeys(body)
				if err != nil {
					return err
				}
				b.prekeys = ps
			}
		case frameEvent:
			if len(chunk) > 0 && (len(chunk) >= ChunkEvents || chunkSz+len(body) > ChunkBytes) {
				if err := flush(); err != nil {
					return err
				}
			}
			e, err := wire.DecodeEvent(body)
			if err != nil {
				return fmt.Errorf("%w: event %d: %v", ErrMalformed, events, err)
			}
			var l [binary.MaxVarintLen64]byte
			chunkH.Write(l[:binary.PutUvarint(l[:], uint64(len(body)))])
			chunkH.Write(body)
			chunk = append(chunk, e)
			chunkSz += len(body)
		case frameTrailer:
			sum := r.h.Sum(nil)
			var t trailer
			if err := decMode.Unmarshal(body, &t); err != nil || len(t.Sum) != sha256.Size || len(t.Sig) != ed25519.SignatureSize {
				return fmt.Errorf("%w: trailer", ErrMalformed)
			}
			if !bytes.Equal(t.Sum, sum) || t.Events != events {
				return fmt.Errorf("%w: the content does not match its hash", ErrDamaged)
			}
			// The end of the plaintext must follow the trailer; reading
			// to EOF also makes age authenticate its last chunk.
			if _, err := r.ReadByte(); err != io.EOF {
				if err == nil {
					return fmt.Errorf("%w: data after the trailer", ErrMalformed)
				}
				return readErr(err, ErrDamaged)
			}
			if err := onTrailer(&t, sum); err != nil {
				return err
			}
			return flush()
		}
	}
}

// readErr classifies a read error of the decrypted stream: age reports an
// altered or cut ciphertext as a failed chunk or an unexpected EOF; a clean
// EOF inside the structure means the plaintext itself is short.
func readErr(err error, eof error) error {
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: ends early", eof)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: cut short", ErrDamaged)
	}
	return fmt.Errorf("%w", ErrDamaged)
}

// ErrExists refuses to write a bundle over a file: the name is chosen by
// an operator, and a bundle must never replace a document (or another
// bundle still to be carried).
var ErrExists = errors.New("a file of that name exists: choose another name (a bundle never replaces a file)")

// WriteFile writes a bundle file the way every output is written
// (safefile.Write): through a temporary name in the same directory, synced
// before the rename, so a USB stick pulled during the write leaves either
// the whole bundle or none (a partial one would be refused anyway); mode
// 0600, never through a link. fn writes the bundle. A path that exists is
// refused (ErrExists).
//
// journal, if not "", is the writer's data directory: the temporary file's
// path is noted there while it is written, so that safefile.RemoveStale at
// the next start deletes it if the process is killed mid-write (the
// bundle's directory, a USB stick, is not known at the next start).
func WriteFile(path, journal string, fn func(*os.File) error) error {
	err := safefile.Write(path, safefile.Output{Temp: ".bundle-*.tmp", Journal: journal}, fn)
	if errors.Is(err, safefile.ErrExists) {
		return ErrExists
	}
	return err
}
