package registry

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// OpErase erases a record: every node that takes the event drops the
// payloads of the record's other events, its projection and its search
// tokens, and keeps a tombstone (docs/erasure.md). Its own payload holds
// only the reason and who decided, never personal data.
const OpErase = "erase"

// OpEraseBy sets an earlier erasure date on a record (a supervisor's
// decision: advance erasure, a court decision, a data subject's request).
// The fold keeps the earliest date ever set, so a later event can never
// extend the period; only the authority's rules can (docs/erasure.md).
const OpEraseBy = "erase_by"

// RoleSupervisor is the role that may order an erasure from a device. The
// origin device attests its officer's role (roles are local to a device);
// a receiver refuses an erasure that names another. Erasure at the end of
// the retention period needs no event: every node sweeps on its own clock.
const RoleSupervisor = "supervisor"

// RoleHQ is the country authority's own order (reghub erase), signed under
// the origin HQ (trust.HQOrigin) and nowhere else.
const RoleHQ = "hq"

// hqOrigin is trust.HQOrigin (registry cannot import trust).
const hqOrigin = "hq"

// MaxEraseReason bounds an erasure's reason, in bytes.
const MaxEraseReason = 200

// Erasure is the content of an erase event, and of an erase_by event
// (then with Date, YYYY-MM-DD).
type Erasure struct {
	Reason string `json:"reason"`
	Role   string `json:"role"`
	Date   string `json:"date,omitempty"`
}

// CheckEraseBy refuses an erase_by change that CheckErasure refuses or
// whose date is not a calendar date.
func CheckEraseBy(x *Erasure) error {
	if err := CheckErasure(x); err != nil {
		return err
	}
	if _, err := time.Parse(time.DateOnly, x.Date); err != nil {
		return fmt.Errorf("%w: the erasure date is not YYYY-MM-DD", ErrBadChange)
	}
	return nil
}

// CheckErasure refuses an erasure without a reason, with one that is too
// long or not plain text, or ordered by a role that may not erase.
func CheckErasure(x *Erasure) error {
	switch {
	case x == nil:
		return fmt.Errorf("%w: erase event without erasure", ErrBadChange)
	case x.Role != RoleSupervisor && x.Role != RoleHQ:
		return fmt.Errorf("%w: erasure not ordered by a supervisor", ErrBadChange)
	}
	return CheckEraseReason(x.Reason)
}

// CheckEraseReason refuses an empty reason, one longer than MaxEraseReason
// or holding control characters.
func CheckEraseReason(r string) error {
	switch {
	case strings.TrimSpace(r) == "":
		return fmt.Errorf("%w: an erasure needs a reason", ErrBadChange)
	case len(r) > MaxEraseReason:
		return fmt.Errorf("%w: the reason is longer than %d bytes", ErrBadChange, MaxEraseReason)
	case !utf8.ValidString(r) || strings.ContainsFunc(r, unicode.IsControl):
		return fmt.Errorf("%w: the reason holds invalid UTF-8 or control characters", ErrBadChange)
	}
	return nil
}

// ErrFormat1 is an event signed in format 1, whose signature cannot be
// kept checkable once its payload is dropped.
var ErrFormat1 = errors.New("event of format 1: its signature covers the payload")

// EraseV2 drops e's payload when e is signed in format 2 under pub (or was
// dropped already). A format 1 event returns ErrFormat1 and is left as it
// is; one that does not verify, ErrForged. Nodes delete a format 1 event of
// an erased record and record its slot as known lost (docs/erasure.md).
func EraseV2(e *Event, pub ed25519.PublicKey) error {
	v, err := e.VerifyFormat(pub)
	switch {
	case errors.Is(err, ErrErasedV1):
		return ErrFormat1
	case err != nil:
		return err
	case v != 2:
		return ErrFormat1
	}
	e.EraseAs(2)
	return nil
}

// checkOrigin refuses an erasure whose role does not match its origin: HQ
// orders only under HQ's origin, devices only as a supervisor, and HQ's
// origin signs nothing but erasures.
func checkOrigin(e *Event, c *Change) error {
	hq := e.Origin == hqOrigin
	switch {
	case hq && e.Op != OpErase && e.Op != OpEraseBy:
		return fmt.Errorf("%w: the authority's origin signs only erasures", ErrBadEvent)
	case (e.Op == OpErase || e.Op == OpEraseBy) && c.Erase != nil && hq != (c.Erase.Role == RoleHQ):
		return fmt.Errorf("%w: erasure not ordered by a supervisor", ErrBadEvent)
	}
	return nil
}
