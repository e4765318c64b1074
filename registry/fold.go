package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Opened is an event with its decrypted change.
type Opened struct {
	Event  *Event
	Change *Change
	// Person is Change.Fields decoded on their own (CheckEventPerson), or
	// nil: a record folded from this event alone takes it instead of
	// decoding the fields again.
	Person *Person
}

// Version is one entry of a record's history: who changed what, when and why.
type Version struct {
	Event   EventID  `json:"event"`
	HLC     HLC      `json:"hlc"`
	Officer string   `json:"officer"`      // an ID unique within Event.Origin only
	By      string   `json:"by,omitempty"` // the officer's name as Event.Origin reported it
	Op      string   `json:"op"`
	Reason  string   `json:"reason,omitempty"`
	Fields  []string `json:"fields"`
}

// Conflict is a concurrent edit of an identity field, kept for a supervisor.
// Values[i] was written by Events[i]; the record shows the last by HLC order.
type Conflict struct {
	Field  string            `json:"field"`
	Values []json.RawMessage `json:"values"`
	Events []EventID         `json:"events"`
}

// LinkState is the latest decision about another record.
type LinkState struct {
	Other   string  `json:"other"`
	Same    bool    `json:"same"`
	Note    string  `json:"note,omitempty"`
	Decided Version `json:"decided"`
}

// Record is the current state of a registration: the fold of its events.
type Record struct {
	ID        string             `json:"id"`
	Person    Person             `json:"person"`
	Versions  []Version          `json:"versions"`
	Conflicts []Conflict         `json:"conflicts,omitempty"`
	Links     []LinkState        `json:"links,omitempty"`
	Writers   map[string]EventID `json:"writers"` // last writer of each field
	// Stay is where the person sleeps, as their occupancy events say (nil:
	// never referred nor checked in).
	Stay *Stay `json:"stay,omitempty"`
	// EraseBy is the earliest erasure date a supervisor set (YYYY-MM-DD),
	// if any: the record is erased then, or at the end of its retention
	// period if that comes first.
	EraseBy string `json:"erase_by,omitempty"`
	fields  map[string]json.RawMessage
}

// Created is when the record was first registered.
func (r *Record) Created() HLC { return r.Versions[0].HLC }

// Updated is the time of the latest change.
func (r *Record) Updated() HLC { return r.Versions[len(r.Versions)-1].HLC }

// Less orders events for the fold: by HLC, then origin, epoch and sequence,
// so every replica holding the same events folds them the same way.
func Less(a, b *Event) bool {
	if a.HLC != b.HLC {
		return a.HLC < b.HLC
	}
	if a.Origin != b.Origin {
		return a.Origin < b.Origin
	}
	if a.Epoch != b.Epoch {
		return a.Epoch < b.Epoch
	}
	return a.Seq < b.Seq
}

// Fold computes a record's state from its events, in any order given. Fields
// are last-writer-wins by (HLC, origin); a write to an identity field that did
// not see the previous writer is kept as a Conflict.
func Fold(id string, evs []Opened) (*Record, error) {
	if len(evs) == 0 {
		return nil, fmt.Errorf("fold %s: no events", id)
	}
	sorted := append([]Opened(nil), evs...)
	sort.Slice(sorted, func(i, j int) bool { return Less(sorted[i].Event, sorted[j].Event) })
	// The maps sized for the widest change: most records are folded from
	// one registration, whose fields are then all there is.
	width := 0
	for _, o := range sorted {
		if o.Change != nil {
			width = max(width, len(o.Change.Fields))
		}
	}
	r := &Record{ID: id, Writers: make(map[string]EventID, width), fields: make(map[string]json.RawMessage, width)}
	seen := map[EventID]bool{}
	for _, o := range sorted {
		e, c := o.Event, o.Change
		if e.Record != id {
			return nil, fmt.Errorf("fold %s: event %s belongs to another record", id, e.ID())
		}
		if seen[e.ID()] {
			continue
		}
		seen[e.ID()] = true
		v := Version{Event: e.ID(), HLC: e.HLC, Officer: e.Officer, By: c.By, Op: e.Op, Reason: c.Reason}
		switch e.Op {
		case OpRegister, OpAmend:
			names := make([]string, 0, len(c.Fields))
			for k := range c.Fields {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				val := c.Fields[k]
				prev, had := r.Writers[k]
				if had && IdentityFields[k] && c.Prev[k] != prev && string(r.fields[k]) != string(val) {
					r.addConflict(k, prev, r.fields[k], e.ID(), val)
				} else if had && c.Prev[k] == prev {
					r.clearConflict(k) // the editor saw the latest value: a resolution
				}
				r.fields[k] = val
				r.Writers[k] = e.ID()
			}
			v.Fields = names
		case OpEraseBy:
			if c.Erase == nil {
				return nil, fmt.Errorf("fold %s: erase_by event %s without a date", id, e.ID())
			}
			if r.EraseBy == "" || c.Erase.Date < r.EraseBy {
				r.EraseBy = c.Erase.Date
			}
			v.Reason = c.Erase.Reason
		case OpLink:
			if c.Link == nil {
				return nil, fmt.Errorf("fold %s: link event %s without link", id, e.ID())
			}
			r.setLink(LinkState{Other: c.Link.Other, Same: c.Link.Same, Note: c.Link.Note, Decided: v})
		case OpRefer, OpCheckIn, OpAbsent, OpCheckOut, OpTransfer:
			if c.Stay == nil {
				return nil, fmt.Errorf("fold %s: occupancy event %s without its centre", id, e.ID())
			}
			r.Stay = applyStay(r.Stay, e.ID(), e.HLC, e.Op, c.Stay)
		default:
			return nil, fmt.Errorf("fold %s: unknown operation %q", id, e.Op)
		}
		r.Versions = append(r.Versions, v)
	}
	if len(sorted) == 1 && sorted[0].Person != nil && (sorted[0].Event.Op == OpRegister || sorted[0].Event.Op == OpAmend) {
		// r.fields are the event's fields, already decoded.
		r.Person = *sorted[0].Person
		return r, nil
	}
	if err := decodeFields(r.fields, &r.Person); err != nil {
		return nil, fmt.Errorf("fold %s: %w", id, err)
	}
	return r, nil
}

// ErrBadChange is a change that no record can be folded from.
var ErrBadChange = errors.New("change malformed")

// decodeFields reads field values into p. The error never holds a value:
// the values are personal data.
func decodeFields(fields map[string]json.RawMessage, p *Person) error {
	// One object of the values as they are (each is checked to be one JSON
	// value, so none can carry a key of its own), read in one go: what
	// json.Marshal of the map would give, without sorting and copying.
	// Keys that are all plain (plainKey) name distinct fields of Person,
	// if any, and are read in the map's order; otherwise in the order of
	// the keys, so that two keys encoding/json takes for one field (it
	// ignores case) always give the same person: the later key's value.
	keys := make([]string, 0, len(fields))
	plain := true
	for k := range fields {
		keys = append(keys, k)
		plain = plain && plainKey(k)
	}
	if !plain {
		sort.Strings(keys)
	}
	b := make([]byte, 0, 512)
	b = append(b, '{')
	for _, k := range keys {
		v := fields[k]
		if len(v) == 0 {
			v = json.RawMessage("null")
		} else if !json.Valid(v) {
			return fmt.Errorf("%w: stored values malformed", ErrBadChange)
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(appendKey(b, k), ':')
		b = append(b, v...)
	}
	b = append(b, '}')
	if err := json.Unmarshal(b, p); err != nil {
		return fmt.Errorf("%w: stored values malformed", ErrBadChange)
	}
	return nil
}

// appendKey appends k as a JSON string, as json.Marshal writes it: a
// field's name (letters, digits, underscores) as it is, anything else
// through json.Marshal.
func appendKey(b []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		if c := k[i]; !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			key, _ := json.Marshal(k)
			return append(b, key...)
		}
	}
	return append(append(append(b, '"'), k...), '"')
}

// CheckChange refuses a change of operation op that Fold could not take: an
// unknown operation, a link without its link, or field values that do not
// read as a person's. Receivers (the hub, a device applying a sync or a
// bundle) check it before storing an event, so one bad event, even signed,
// cannot stop every later fold of its record.
func CheckChange(op string, c *Change) error {
	var p Person
	return checkChange(op, c, &p)
}

// checkChangeFrom is checkChange reading the fields of a registration or
// an amendment from obj, the object c.Fields was read from, when it is not
// nil: the same outcome as decodeFields, without rebuilding the object.
func checkChangeFrom(op string, c *Change, obj []byte, p *Person) error {
	if obj != nil && (op == OpRegister || op == OpAmend) {
		if err := json.Unmarshal(obj, p); err != nil {
			return fmt.Errorf("%w: stored values malformed", ErrBadChange)
		}
		return nil
	}
	return checkChange(op, c, p)
}

// checkChange is CheckChange that leaves the fields of a registration or
// an amendment decoded in p.
func checkChange(op string, c *Change, p *Person) error {
	switch op {
	case OpRegister, OpAmend:
		return decodeFields(c.Fields, p)
	case OpLink:
		if c.Link == nil {
			return fmt.Errorf("%w: link event without link", ErrBadChange)
		}
		return nil
	case OpRefer, OpCheckIn, OpAbsent, OpCheckOut, OpTransfer:
		if c.Stay == nil {
			return fmt.Errorf("%w: occupancy event without its centre", ErrBadChange)
		}
		return nil
	case OpErase:
		return CheckErasure(c.Erase)
	case OpEraseBy:
		return CheckEraseBy(c.Erase)
	}
	return fmt.Errorf("%w: unknown operation", ErrBadChange)
}

func (r *Record) addConflict(field string, prevEv EventID, prevVal json.RawMessage, ev EventID, val json.RawMessage) {
	for i := range r.Conflicts {
		if r.Conflicts[i].Field == field {
			r.Conflicts[i].Values = append(r.Conflicts[i].Values, val)
			r.Conflicts[i].Events = append(r.Conflicts[i].Events, ev)
			return
		}
	}
	r.Conflicts = append(r.Conflicts, Conflict{Field: field, Values: []json.RawMessage{prevVal, val}, Events: []EventID{prevEv, ev}})
}

func (r *Record) setLink(l LinkState) {
	for i := range r.Links {
		if r.Links[i].Other == l.Other {
			r.Links[i] = l
			return
		}
	}
	r.Links = append(r.Links, l)
}

func (r *Record) clearConflict(field string) {
	for i := range r.Conflicts {
		if r.Conflicts[i].Field == field {
			r.Conflicts = append(r.Conflicts[:i], r.Conflicts[i+1:]...)
			return
		}
	}
}
