// Package wire is the sync protocol between a device and its hub: the HTTP
// paths, the JSON messages, the framing of signed events in request and
// response bodies, and the limits every decoder of untrusted input enforces.
//
// A sync is three kinds of request over mutually authenticated HTTPS:
//
//	POST /v1/hello  JSON Hello     -> JSON HelloReply (hub's vector, trust list, revocations)
//	POST /v1/push   event frames   -> JSON PushReply  (one chunk, applied in one transaction)
//	POST /v1/pull   JSON PullRequest -> event frames and a trailer (one chunk)
//
// Event frames are a tag byte ('E'), a uvarint length and the event's CBOR
// encoding; a body ends with a trailer frame ('Z') whose JSON says how many
// events came before it, so a cut connection is never mistaken for a short
// chunk.
package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
)

// Version is the protocol version; a peer speaking another is refused.
const Version = 1

// HTTP paths.
const (
	PathHello  = "/v1/hello"
	PathPush   = "/v1/push"
	PathPull   = "/v1/pull"
	PathHealth = "/healthz"
)

// Limits. A chunk holds at most MaxChunkEvents events and, unless it holds a
// single event, at most MaxChunkBytes of them.
const (
	MaxChunkEvents  = 1000
	MaxChunkBytes   = 4 << 20
	MaxEventBytes   = 3 << 20 // a 2 MiB photo, base64 in the sealed payload, and the rest
	MaxPushBytes    = MaxChunkBytes + 64<<10
	MaxJSONBytes    = 4 << 20 // hello and pull requests (a vector of many logs)
	MaxHeads        = 100_000 // logs in one vector
	MaxIDLen        = 64      // origin, officer, op
	MaxRecordLen    = 64
	FutureSkew      = 24 * time.Hour // events stamped further ahead are flagged
	frameEvent      = 'E'
	frameTrailer    = 'Z'
	maxTrailerBytes = 64 << 10
	// MaxTrailerHoles bounds the holes one pull trailer names (about 60
	// bytes each in JSON, well within the trailer's size limit).
	MaxTrailerHoles = 500
)

// Head is one entry of a version vector on the wire.
type Head struct {
	Origin string `json:"o"`
	Epoch  uint64 `json:"e"`
	Seq    uint64 `json:"s"`
}

// FromVector lists a vector's entries (in no particular order).
func FromVector(v vector.Vector) []Head {
	out := make([]Head, 0, len(v))
	for k, s := range v {
		out = append(out, Head{k.Origin, k.Epoch, s})
	}
	return out
}

// ToVector checks and converts heads received from a peer.
func ToVector(hs []Head) (vector.Vector, error) {
	if len(hs) > MaxHeads {
		return nil, fmt.Errorf("vector of more than %d logs", MaxHeads)
	}
	v := make(vector.Vector, len(hs))
	for _, h := range hs {
		if !validID(h.Origin, MaxIDLen) || h.Seq > 1<<62 || h.Epoch > 1<<63-1 {
			return nil, errors.New("malformed vector entry")
		}
		k := vector.Key{Origin: h.Origin, Epoch: h.Epoch}
		if _, dup := v[k]; dup {
			return nil, errors.New("vector names a log twice")
		}
		v[k] = h.Seq
	}
	return v, nil
}

func validID(s string, max int) bool {
	return s != "" && len(s) <= max && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e })
}

// Hello opens a sync: the device's vector, so the hub can say how much it
// will send.
type Hello struct {
	Version int    `json:"version"`
	Vector  []Head `json:"vector"`
	// Prekeys are the device's one-time bundle keys (CBOR []bundle.Prekey,
	// signed by the device): where the hub seals its next USB bundle for
	// it (docs/erasure.md). Optional.
	Prekeys []byte `json:"prekeys,omitempty"`
}

// HelloReply is the hub's answer to Hello.
type HelloReply struct {
	Version     int      `json:"version"`
	Device      string   `json:"device"`      // the caller, as the hub authenticated it
	Scope       string   `json:"scope"`       // "all" or "station"
	Vector      []Head   `json:"vector"`      // every log the hub holds: what to push
	Incoming    uint64   `json:"incoming"`    // events the device will receive
	Credentials [][]byte `json:"credentials"` // the deployment's device credentials (CBOR)
	Revocations []byte   `json:"revocations,omitempty"`
	Contacts    []byte   `json:"contacts,omitempty"`  // CBOR trust.Contacts, signed by the authority
	Centres     []byte   `json:"centres,omitempty"`   // CBOR trust.Centres, signed by the authority
	Retention   []byte   `json:"retention,omitempty"` // CBOR trust.RetentionRules, signed by the authority
	Prekeys     []byte   `json:"prekeys,omitempty"`   // CBOR []bundle.Prekey: the hub's one-time bundle keys for this device, signed by the authority
	Time        int64    `json:"time"`                // hub clock, Unix milliseconds
}

// Health is the answer of GET /healthz. No client certificate is needed,
// so a load balancer or an operator's curl can ask which release serves.
type Health struct {
	Status   string `json:"status"`   // "ok"
	Version  string `json:"version"`  // the release (FyneApp.toml), or "devel"
	Commit   string `json:"commit"`   // the git commit it was built from; "" when unknown
	Protocol int    `json:"protocol"` // the sync protocol, Version
}

// Refusal names an event that was not taken, and why (no personal data).
type Refusal struct {
	Event  registry.EventID `json:"event"`
	Reason string           `json:"reason"`
}

// PushReply is the hub's acknowledgement of one pushed chunk. Heads are the
// hub's high-water marks of the chunk's logs after the commit: everything at
// or below them is durably held by the hub.
type PushReply struct {
	Accepted    int       `json:"accepted"`
	Duplicates  int       `json:"duplicates"`
	Flagged     int       `json:"flagged"`
	Refused     []Refusal `json:"refused,omitempty"`
	Quarantined []Refusal `json:"quarantined,omitempty"`
	Heads       []Head    `json:"heads"`
}

// PullRequest asks for the next chunk of what the device lacks.
type PullRequest struct {
	Vector    []Head `json:"vector"`
	MaxEvents int    `json:"max_events,omitempty"`
}

// Trailer ends a body of event frames.
type Trailer struct {
	Events int  `json:"events"`
	More   bool `json:"more,omitempty"` // pull: the hub holds more for the device
	// Holes (pull) are slots of the logs sent that the hub knows are lost:
	// events it quarantined (docs/sync.md). The receiver counts them as
	// filled in its vector, so it does not ask for them again.
	Holes []registry.EventID `json:"holes,omitempty"`
}

// Error is the JSON body of a refused request. Code is one of the Code*
// constants; Message is plain words without personal data.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Protocol is set with CodeVersion: the protocol version the refusing
	// side speaks, so the other side can say which of the two is older.
	Protocol int `json:"protocol,omitempty"`
}

// Mismatch says in plain words, for the person in front of the newer or
// the older side, what must be updated when a device and its hub speak
// different versions of the sync protocol. With region set, the two sides
// are a country hub (device) and the regional joint database (hub).
func Mismatch(device, hub int, region bool) string {
	me, them, updateMe, updateThem := "this app", "the hub", "update the app on this device", "HQ must update the hub"
	if region {
		me, them, updateMe, updateThem = "this country hub", "the regional joint database",
			"HQ must update reghub", "the regional authority must update the regional joint database"
	}
	switch {
	case device < hub:
		return fmt.Sprintf("%s is older than %s (it speaks sync protocol %d, %s speaks %d): %s", me, them, device, them, hub, updateMe)
	case device > hub:
		return fmt.Sprintf("%s is older than %s (it speaks sync protocol %d, %s speaks %d): %s", them, me, hub, me, device, updateThem)
	}
	return fmt.Sprintf("both speak sync protocol %d", device)
}

// Error codes.
const (
	CodeMalformed = "malformed"
	CodeTooLarge  = "too_large"
	CodeRevoked   = "revoked"
	CodeUnknown   = "unknown_device"
	CodeVersion   = "version"
	CodeInternal  = "internal"
	CodeBusy      = "busy" // 503 with Retry-After: too many requests of this kind at once
)

var (
	encMode, _ = cbor.CoreDetEncOptions().EncMode()
	decMode, _ = cbor.DecOptions{MaxArrayElements: 16, MaxMapPairs: 16, MaxNestedLevels: 4,
		DupMapKey: cbor.DupMapKeyEnforcedAPF, ExtraReturnErrors: cbor.ExtraDecErrorUnknownField}.DecMode()
)

// EncodeEvent is the CBOR form of an event on the wire.
func EncodeEvent(e *registry.Event) []byte {
	b, _ := encMode.Marshal(e)
	return b
}

// DecodeEvent decodes and checks the form of an event from a peer. It does
// not verify the signature.
func DecodeEvent(b []byte) (*registry.Event, error) {
	if len(b) > MaxEventBytes {
		return nil, errors.New("event too large")
	}
	var e registry.Event
	if err := decMode.Unmarshal(b, &e); err != nil {
		return nil, errors.New("event malformed")
	}
	switch {
	case !validID(e.Origin, MaxIDLen), !validID(e.Officer, MaxIDLen), !validID(e.Record, MaxRecordLen):
		return nil, errors.New("event header malformed")
	case e.Op != registry.OpRegister && e.Op != registry.OpAmend && e.Op != registry.OpLink && e.Op != registry.OpErase && e.Op != registry.OpEraseBy && !registry.IsOccupancyOp(e.Op):
		return nil, errors.New("event operation unknown")
	case e.Seq == 0 || e.Seq > 1<<62 || e.Epoch > 1<<63-1 || e.HLC > 1<<63-1:
		return nil, errors.New("event numbering out of range")
	case len(e.Sig) != 64:
		return nil, errors.New("event signature missing")
	}
	return &e, nil
}

// ErrNotUTF8 refuses a JSON message that is not valid UTF-8: encoding/json
// would read its bytes as U+FFFD without a word, and a name would travel
// on damaged.
var ErrNotUTF8 = errors.New("message is not valid UTF-8")

// ReadJSON reads one JSON message of at most limit bytes from r into v.
// A longer message (ErrTooLarge), one that is not valid UTF-8
// (ErrNotUTF8), or not one JSON value that fits v is refused; with strict,
// so is a key v does not have. Errors never quote the message.
func ReadJSON(r io.Reader, limit int64, strict bool, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if int64(len(b)) > limit {
		return ErrTooLarge
	}
	if !utf8.Valid(b) {
		return ErrNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return errors.New("message malformed")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("message malformed: more than one JSON value")
	}
	return nil
}

// Writer writes frames.
type Writer struct {
	w      io.Writer
	n      int
	header [1 + binary.MaxVarintLen64]byte
}

// NewWriter writes frames to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (fw *Writer) frame(tag byte, body []byte) error {
	fw.header[0] = tag
	n := binary.PutUvarint(fw.header[1:], uint64(len(body)))
	if _, err := fw.w.Write(fw.header[:1+n]); err != nil {
		return err
	}
	_, err := fw.w.Write(body)
	return err
}

// Event writes one event frame (b from EncodeEvent).
func (fw *Writer) Event(b []byte) error {
	fw.n++
	return fw.frame(frameEvent, b)
}

// Close writes the trailer; more is set on pull responses.
func (fw *Writer) Close(more bool) error { return fw.CloseWithHoles(more, nil) }

// CloseWithHoles writes a pull response's trailer naming the lost events
// (at most MaxTrailerHoles) of the logs sent.
func (fw *Writer) CloseWithHoles(more bool, holes []registry.EventID) error {
	b, _ := json.Marshal(Trailer{Events: fw.n, More: more, Holes: holes})
	return fw.frame(frameTrailer, b)
}

// Reader reads frames from an untrusted body.
type Reader struct {
	r       *bufio.Reader
	n       int
	trailer *Trailer
}

// NewReader reads frames from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 64<<10)} }

// ErrTooLarge means a frame or a chunk exceeds the limits.
var ErrTooLarge = errors.New("chunk exceeds the size limits")

// ErrTruncated means the body ended before its trailer: the connection was
// cut. Nothing of the chunk should be applied.
var ErrTruncated = errors.New("sync data cut short")

// Next returns the next event's encoding, or io.EOF after a trailer that
// matches the number of events read. The returned slice is freshly
// allocated.
func (fr *Reader) Next() ([]byte, error) {
	if fr.trailer != nil {
		return nil, io.EOF
	}
	tag, err := fr.r.ReadByte()
	if err != nil {
		return nil, truncated(err)
	}
	n, err := binary.ReadUvarint(fr.r)
	if err != nil {
		return nil, truncated(err)
	}
	switch tag {
	case frameEvent:
		if n > MaxEventBytes {
			return nil, fmt.Errorf("%w: event frame of %d bytes", ErrTooLarge, n)
		}
		if fr.n >= MaxChunkEvents {
			return nil, fmt.Errorf("%w: more than %d events", ErrTooLarge, MaxChunkEvents)
		}
	case frameTrailer:
		if n > maxTrailerBytes {
			return nil, fmt.Errorf("%w: trailer", ErrTooLarge)
		}
	default:
		return nil, errors.New("unknown frame")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(fr.r, b); err != nil {
		return nil, truncated(err)
	}
	if tag == frameTrailer {
		var t Trailer
		if err := ReadJSON(bytes.NewReader(b), maxTrailerBytes, false, &t); err != nil || t.Events != fr.n {
			return nil, errors.New("trailer does not match the events sent")
		}
		if len(t.Holes) > MaxTrailerHoles {
			return nil, fmt.Errorf("%w: trailer names more than %d lost events", ErrTooLarge, MaxTrailerHoles)
		}
		for _, h := range t.Holes {
			if !validID(h.Origin, MaxIDLen) || h.Seq == 0 || h.Seq > 1<<62 || h.Epoch > 1<<63-1 {
				return nil, errors.New("trailer names a malformed event")
			}
		}
		fr.trailer = &t
		return nil, io.EOF
	}
	fr.n++
	return b, nil
}

// Trailer is the trailer read, once Next has returned io.EOF.
func (fr *Reader) Trailer() Trailer {
	if fr.trailer == nil {
		return Trailer{}
	}
	return *fr.trailer
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return err
}
