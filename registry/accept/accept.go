// Package accept is the rule for taking an event that arrived from
// elsewhere, written once and used by every receiver: the hub taking a
// device's push or USB bundle, a device taking the hub's events (a pull or
// an answer bundle). An event is taken when
//
//   - its origin is a device of the deployment (the receiver knows its
//     credential),
//   - its signature verifies under that credential,
//   - it was signed before the origin's revocation, if the origin is
//     revoked (judged by the time the signer stamped, docs/sync.md),
//   - its payload opens under the deployment's records key, as UTF-8, and
//   - its content passes the rules a device applies when it writes one
//     (registry.CheckEvent).
//
// What a peer says it holds of the receiver's own logs is bounded by what
// the receiver wrote (Acknowledged). Refusal reasons name the rule broken,
// never a value, so they can be logged, shown and sent back.
package accept

import (
	"crypto/ed25519"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
)

// Reasons an event is refused, in the order the rule checks them. A
// refusal of its content wraps registry.ErrBadEvent instead.
var (
	ErrUnknownOrigin = errors.New("unknown device")
	ErrBadSignature  = errors.New("bad signature")
	ErrRevoked       = errors.New("signed after the device was revoked")
	ErrNotUTF8       = errors.New("change malformed: text that is not valid UTF-8")
	ErrSealed        = errors.New("payload does not open with the deployment's records key")
)

// Origin is what a receiver knows of the device an event names as its
// origin: the public key of its credential, and when it was revoked.
type Origin struct {
	Key       ed25519.PublicKey
	RevokedAt time.Time // zero: not revoked
}

// SignedAfterRevocation reports whether e was stamped at or after the
// origin's revocation (never, when it is not revoked).
func (o Origin) SignedAfterRevocation(e *registry.Event) bool {
	return !o.RevokedAt.IsZero() && !e.HLC.Time().Before(o.RevokedAt)
}

// Rule is the acceptance rule of one receiver: its deployment's country
// and records key, and how it finds an event's origin.
type Rule struct {
	Country string
	Records *seal.Key
	// Origin looks up a device of the deployment; false when unknown.
	Origin func(device string) (Origin, bool)
}

// Verdict is the rule's judgement of one event.
type Verdict struct {
	// Err is nil when the event may be taken; otherwise one of this
	// package's errors, or one wrapping registry.ErrBadEvent.
	Err error
	// Signed reports whether the signature verified under the origin's
	// credential (whatever came after).
	Signed bool
	// Change is the opened payload when Err is nil, and nil for an event
	// whose payload was erased (registry.Event.Erased).
	Change *registry.Change
	// Person is the change's fields decoded as a person, for a
	// registration or an amendment taken (registry.CheckEventPerson);
	// registry.Opened carries it to the fold.
	Person *registry.Person
}

// Reason is Err in plain words, "" when the event may be taken.
func (v Verdict) Reason() string {
	if v.Err == nil {
		return ""
	}
	return v.Err.Error()
}

// Authentic reports whether the event was signed by its origin before any
// revocation: if it is refused, it is for its content.
func (v Verdict) Authentic() bool {
	return v.Signed && !errors.Is(v.Err, ErrRevoked)
}

// LosesSlot reports whether a refused event's slot in its origin's log is
// known lost (a hole the log's acknowledgement may pass): its signature
// verified, or the device that delivered it is its origin. Either way the
// origin itself put that event in that slot, so no valid event will come
// for it. An event relayed with a bad signature loses nothing: it may be a
// forgery aimed at an honest device's future slot.
func (v Verdict) LosesSlot(e *registry.Event, deliverer string) bool {
	return v.Err != nil && (v.Signed || e.Origin == deliverer)
}

// Check judges one event.
func (r *Rule) Check(e *registry.Event) Verdict {
	o, known := r.Origin(e.Origin)
	switch {
	case !known:
		return Verdict{Err: ErrUnknownOrigin}
	case e.Verify(o.Key) != nil:
		return Verdict{Err: ErrBadSignature}
	}
	return r.checkSigned(e, o)
}

// checkSigned judges an event whose signature verified under its origin's
// key o.
func (r *Rule) checkSigned(e *registry.Event, o Origin) Verdict {
	switch {
	case o.SignedAfterRevocation(e):
		return Verdict{Err: ErrRevoked, Signed: true}
	case e.Erased():
		// Its sender erased the record: the header and signature verify
		// (format 2), and there is no payload to judge. Change stays nil;
		// receivers take it without folding it (docs/erasure.md).
		return Verdict{Signed: true}
	}
	pl, err := e.OpenPayload(r.Records)
	switch {
	case errors.Is(err, registry.ErrNotUTF8):
		return Verdict{Err: ErrNotUTF8, Signed: true}
	case err != nil:
		return Verdict{Err: ErrSealed, Signed: true}
	}
	p, err := registry.CheckPayload(e, pl, r.Country)
	if err != nil {
		return Verdict{Err: err, Signed: true}
	}
	return Verdict{Signed: true, Change: pl.Change, Person: p}
}

// batchSize is how many events CheckAll verifies in one batch
// (registry.VerifyBatch): enough to share the batch's fixed cost, few
// enough that a batch failed by one forged event costs little to redo one
// by one.
const batchSize = 64

// CheckAll judges every event of a chunk on every core; verdict i is that
// of evs[i], the same as Check(evs[i]). Each core takes batches of
// batchSize events and verifies their signatures together; a batch that
// fails (a forged event, or one of format 1) is judged again one event at
// a time, so the event at fault is found and refused exactly as Check
// refuses it, and its neighbours are taken.
func (r *Rule) CheckAll(evs []*registry.Event) []Verdict {
	out := make([]Verdict, len(evs))
	batches := (len(evs) + batchSize - 1) / batchSize
	workers := min(runtime.GOMAXPROCS(0), batches)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b batch
			for {
				i := int(next.Add(1)-1) * batchSize
				if i >= len(evs) {
					return
				}
				j := min(i+batchSize, len(evs))
				r.checkBatch(&b, evs[i:j], out[i:j])
			}
		}()
	}
	wg.Wait()
	return out
}

// batch is a worker's buffers for checkBatch, reused from one batch to
// the next.
type batch struct {
	evs     []*registry.Event
	keys    []ed25519.PublicKey
	origins []Origin
	at      []int
}

// checkBatch judges evs into out: the events of known origins are verified
// in one batch; if it fails, each is verified on its own (Check). Erased
// events are judged on their own from the start.
func (r *Rule) checkBatch(b *batch, evs []*registry.Event, out []Verdict) {
	b.evs, b.keys, b.origins, b.at = b.evs[:0], b.keys[:0], b.origins[:0], b.at[:0]
	for i, e := range evs {
		o, known := r.Origin(e.Origin)
		switch {
		case !known:
			out[i] = Verdict{Err: ErrUnknownOrigin}
			continue
		case e.Erased():
			// Rare, and possibly of format 1, which a batch cannot take.
			out[i] = r.Check(e)
			continue
		}
		b.evs, b.keys, b.origins, b.at = append(b.evs, e), append(b.keys, o.Key), append(b.origins, o), append(b.at, i)
	}
	if len(b.evs) == 0 {
		return
	}
	if !registry.VerifyBatch(b.evs, b.keys) {
		for _, i := range b.at {
			out[i] = r.Check(evs[i])
		}
		return
	}
	for k, i := range b.at {
		out[i] = r.checkSigned(b.evs[k], b.origins[k])
	}
}

// ReasonForked is the reason a different event under an existing (origin,
// epoch, seq) is quarantined with.
const ReasonForked = "a different event under an existing sequence number (forked log)"

// Same reports whether two events under one (origin, epoch, seq) are the
// same event: a replay, where a different one is a forked log.
func Same(a, b *registry.Event) bool {
	return string(a.Sig) == string(b.Sig) && string(a.SignedBytes()) == string(b.SignedBytes())
}

// Acknowledged is what a receiver believes of a peer's claim to hold
// claimed: of the receiver's own logs (origin self) the peer cannot hold
// more than the receiver wrote (local), so a larger claim, a bug or
// something answering in the peer's place, is cut down to what exists. It
// can then never take the receiver's work off the list of what must still
// reach the peer. Other logs are taken as claimed.
func Acknowledged(self string, claimed, local vector.Vector) vector.Vector {
	out := make(vector.Vector, len(claimed))
	for k, high := range claimed {
		if k.Origin == self {
			high = min(high, local[k])
		}
		out[k] = high
	}
	return out
}
