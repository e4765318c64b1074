package registry

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

// Operations an event can carry.
const (
	OpRegister = "register" // a new record with its first values
	OpAmend    = "amend"    // new values for some fields, with a reason
	OpLink     = "link"     // an officer's decision that two records are (or are not) the same person
)

// EventID names an event: the device it came from, the installation epoch of
// that device and the gapless sequence number within that epoch.
type EventID struct {
	Origin string `json:"o"`
	Epoch  uint64 `json:"e"`
	Seq    uint64 `json:"s"`
}

// String is "origin/epoch/seq".
func (id EventID) String() string {
	return id.Origin + "/" + strconv.FormatUint(id.Epoch, 16) + "/" + strconv.FormatUint(id.Seq, 10)
}

// Event is an immutable, signed change to one record. Payload is the sealed
// Change (under the deployment's records key); the header is not personal
// data. Officer is the officer's opaque ID.
type Event struct {
	Origin  string `cbor:"1,keyasint"`
	Epoch   uint64 `cbor:"2,keyasint"`
	Seq     uint64 `cbor:"3,keyasint"`
	HLC     HLC    `cbor:"4,keyasint"`
	Officer string `cbor:"5,keyasint"`
	Record  string `cbor:"6,keyasint"`
	Op      string `cbor:"7,keyasint"`
	Payload []byte `cbor:"8,keyasint"`
	Sig     []byte `cbor:"9,keyasint,omitempty"`
}

// ID returns the event's identifier.
func (e *Event) ID() EventID { return EventID{e.Origin, e.Epoch, e.Seq} }

var evEnc, _ = cbor.CoreDetEncOptions().EncMode()

// Signature domains of the two event formats. Format 1 signed the whole
// event, payload included; format 2 (from this version on) signs the header
// and the SHA-256 of the payload, so that the payload can be dropped at
// erasure and the signature still checks (docs/erasure.md).
const (
	domainV1 = "fieldreg event v1\x00"
	domainV2 = "fieldreg event v2\x00"
)

// FormatVersion is the event format this build signs.
const FormatVersion = 2

// erasedMagic starts the payload of an erased event: the magic, the format
// the event was signed in (one byte) and the SHA-256 of the payload that
// was dropped. A sealed payload never starts this way: a nonce is random and
// the magic is 16 bytes.
var erasedMagic = []byte("fieldreg erased\x00")

const erasedLen = 16 + 1 + sha256.Size

// Erased reports whether the event's payload was dropped at erasure.
func (e *Event) Erased() bool {
	return len(e.Payload) == erasedLen && bytes.HasPrefix(e.Payload, erasedMagic)
}

// erasedFormat is the format an erased event was signed in.
func (e *Event) erasedFormat() int { return int(e.Payload[len(erasedMagic)]) }

// PayloadSum is the SHA-256 of the event's payload: of the payload itself,
// or, for an erased event, the one recorded when it was dropped.
func (e *Event) PayloadSum() []byte {
	if e.Erased() {
		return bytes.Clone(e.Payload[len(erasedMagic)+1:])
	}
	s := sha256.Sum256(e.Payload)
	return s[:]
}

// SignedBytes is the canonical encoding a format 2 signature covers: the
// header and the payload's SHA-256. Two events with equal SignedBytes and
// signatures are the same event, whether or not one of them was erased.
func (e *Event) SignedBytes() []byte {
	u := *e
	u.Sig = nil
	u.Payload = e.PayloadSum()
	b, _ := evEnc.Marshal(&u)
	return append([]byte(domainV2), b...)
}

// signedBytesV1 is what a format 1 signature covers: the whole event.
func (e *Event) signedBytesV1() []byte {
	u := *e
	u.Sig = nil
	b, _ := evEnc.Marshal(&u)
	return append([]byte(domainV1), b...)
}

// Sign signs the event with the device key, in format 2.
func (e *Event) Sign(key ed25519.PrivateKey) { e.Sig = ed25519.Sign(key, e.SignedBytes()) }

// ErrForged is returned when an event's signature does not verify.
var ErrForged = errors.New("event signature does not verify")

// ErrErasedV1 is an erased event signed in format 1: its signature covered
// the payload, which is gone, so it can no longer be checked. It was
// checked when the event arrived; what remains is its header and the
// payload's hash recorded at erasure.
var ErrErasedV1 = errors.New("erased event of format 1: its signature covered the dropped payload")

// ErrErased is returned when the payload of an erased event is asked for.
var ErrErased = errors.New("the event's payload was erased")

// Verify checks the signature against the origin device's public key: in
// format 2 (header and payload hash), else in format 1 (the whole event).
// An erased event verifies in format 2 only; one signed in format 1 returns
// ErrErasedV1.
func (e *Event) Verify(pub ed25519.PublicKey) error {
	_, err := e.VerifyFormat(pub)
	return err
}

// VerifyFormat is Verify that also says which format the signature is in.
// Signatures are judged by ZIP 215 with canonical points (verify.go), as
// VerifyBatch judges them.
func (e *Event) VerifyFormat(pub ed25519.PublicKey) (int, error) {
	if len(pub) != ed25519.PublicKeySize {
		return 0, ErrForged
	}
	if e.Erased() && e.erasedFormat() != 2 {
		if e.erasedFormat() == 1 {
			return 1, ErrErasedV1
		}
		return 0, ErrForged
	}
	if verifySig(pub, e.SignedBytes(), e.Sig) {
		return 2, nil
	}
	if !e.Erased() && verifySig(pub, e.signedBytesV1(), e.Sig) {
		return 1, nil
	}
	return 0, ErrForged
}

// Erase drops the event's payload, keeping its header, signature and the
// payload's hash, after checking the signature with pub (so that the format
// is known). An event already erased is left as it is.
func (e *Event) Erase(pub ed25519.PublicKey) error {
	if e.Erased() {
		return nil
	}
	v, err := e.VerifyFormat(pub)
	if err != nil {
		return err
	}
	e.EraseAs(v)
	return nil
}

// EraseAs drops the payload of an event known to be signed in format v
// (FormatVersion for events this build signed).
func (e *Event) EraseAs(v int) {
	if e.Erased() {
		return
	}
	sum := e.PayloadSum()
	p := make([]byte, 0, erasedLen)
	p = append(p, erasedMagic...)
	p = append(p, byte(v))
	e.Payload = append(p, sum...)
}

func (e *Event) payloadAD() []byte {
	return seal.AD("event", e.Origin, strconv.FormatUint(e.Epoch, 10), strconv.FormatUint(e.Seq, 10), e.Record, e.Op)
}

// Change is the plaintext of an event's payload.
type Change struct {
	// Fields holds new values by JSON field name of Person.
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
	// Prev names, for each changed field, the event whose value the editor
	// saw; a mismatch at fold time reveals a concurrent edit.
	Prev   map[string]EventID `json:"prev,omitempty"`
	Reason string             `json:"reason,omitempty"`
	// By is the officer's name as the origin device knows it. The event's
	// Officer ID is unique only within its origin device, so other devices
	// show this name, attributed to that device, rather than look the ID
	// up among their own officers.
	By string `json:"by,omitempty"`
	// Link is set for OpLink.
	Link *Link `json:"link,omitempty"`
	// Stay is set for the occupancy operations (registry/centre.go).
	Stay *Occupancy `json:"stay,omitempty"`
	// Erase is set for OpErase.
	Erase *Erasure `json:"erase,omitempty"`
}

// Link records an officer's decision about two registrations.
type Link struct {
	Other string `json:"other"`
	Same  bool   `json:"same"` // true: same person; false: decided different
	Note  string `json:"note,omitempty"`
}

// SealChange encrypts c into e.Payload with the records key; e's header must
// be complete, since it is bound into the ciphertext.
func (e *Event) SealChange(key *seal.Key, c *Change) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("event: encode change: %w", err)
	}
	e.Payload, err = seal.Seal(key, b, e.payloadAD())
	return err
}

// ErrNotUTF8 is a payload that opens but is not UTF-8 text: no device
// writes one (encoding/json writes valid UTF-8), so it was forged or damaged.
var ErrNotUTF8 = fmt.Errorf("%w: text that is not valid UTF-8", ErrBadChange)

// OpenChange decrypts the payload. A payload that is not valid UTF-8 is
// refused with ErrNotUTF8 (which is also ErrBadChange); an erased one with
// ErrErased.
func (e *Event) OpenChange(key *seal.Key) (*Change, error) {
	pl, err := e.OpenPayload(key)
	return pl.Change, err
}

// Diff returns the fields whose values differ between old and new (a field
// cleared in new is present with its zero value).
func Diff(old, new *Person) map[string]json.RawMessage {
	a, b := FieldsOf(old), FieldsOf(new)
	out := map[string]json.RawMessage{}
	for k, v := range b {
		if string(a[k]) != string(v) {
			out[k] = v
		}
	}
	if len(a) > 0 {
		zero := allFields(new)
		for k := range a {
			if _, ok := b[k]; !ok {
				out[k] = zero[k]
			}
		}
	}
	return out
}

func allFields(p *Person) map[string]json.RawMessage {
	var z Person
	_ = p
	bz, _ := json.Marshal(&z)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(bz, &m)
	// omitempty fields are absent from the zero value; give them explicit zeros.
	for _, k := range []string{"original_script_name", "original_script_lang", "place_of_birth", "relationship", "notes", "group", "notice_lang", "notice_version"} {
		m[k] = json.RawMessage(`""`)
	}
	for _, k := range []string{"aliases", "nationalities", "vulnerabilities", "languages", "photo"} {
		m[k] = json.RawMessage(`null`)
	}
	for _, k := range []string{"interpreter", "information_notice"} {
		m[k] = json.RawMessage(`false`)
	}
	m["document"] = json.RawMessage(`{}`)
	return m
}

// MaxOfficerName is the longest officer name shown from another device's
// report, in characters.
const MaxOfficerName = 80

// OfficerOf names the officer of an event made on another device, as that
// device reported them, attributed to it: "Officer X (device D)". An
// officer ID is unique only within its origin device, so another device's
// officer is never looked up among one's own. reported is the name the
// event carries (Change.By; empty in events of earlier versions, then the
// ID stands in); device is the origin's name, or its ID when unknown.
// Control and format characters (a hostile device could reorder the text
// with bidi controls) are dropped and the name is cut to MaxOfficerName.
func OfficerOf(reported, officerID, device string) string {
	return ReportedOfficer(reported, officerID) + " (device " + displayable(device, MaxOfficerName) + ")"
}

// ReportedOfficer is the name part of OfficerOf, for a display that names
// the device beside it.
func ReportedOfficer(reported, officerID string) string {
	if name := displayable(reported, MaxOfficerName); name != "" {
		return name
	}
	return "officer " + displayable(officerID, MaxOfficerName)
}

// displayable drops control and format characters and invalid UTF-8,
// collapses spaces and keeps at most max characters.
func displayable(s string, max int) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if n >= max {
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
