// Package vector implements version vectors over signed event logs: for each
// (origin device, epoch) the highest sequence number such that every event up
// to it is held. Two peers exchange vectors and each sends what the other
// lacks (DESIGN.md section 7).
package vector

import (
	"fmt"
	"sort"
	"strings"
)

// Key names one event log: a device and its installation epoch.
type Key struct {
	Origin string `json:"origin"`
	Epoch  uint64 `json:"epoch"`
}

// Vector maps each log to its highest contiguous sequence number. The zero
// value (nil) is an empty vector; missing keys mean 0.
type Vector map[Key]uint64

// Get returns the contiguous high-water mark of k (0 if none).
func (v Vector) Get(k Key) uint64 { return v[k] }

// Covers reports whether the event (k, seq) is within v.
func (v Vector) Covers(k Key, seq uint64) bool { return seq <= v[k] }

// Merge raises v to the element-wise maximum of v and o.
func (v Vector) Merge(o Vector) {
	for k, s := range o {
		if s > v[k] {
			v[k] = s
		}
	}
}

// Range is a span of sequence numbers of one log, From..To inclusive.
type Range struct {
	Key
	From, To uint64
}

// Missing returns what a peer holding other lacks of v, in a stable order.
func (v Vector) Missing(other Vector) []Range {
	var out []Range
	for k, s := range v {
		if have := other[k]; have < s {
			out = append(out, Range{k, have + 1, s})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Origin != out[j].Origin {
			return out[i].Origin < out[j].Origin
		}
		return out[i].Epoch < out[j].Epoch
	})
	return out
}

// Dominates reports whether v holds everything o holds.
func (v Vector) Dominates(o Vector) bool {
	for k, s := range o {
		if v[k] < s {
			return false
		}
	}
	return true
}

// Total is the number of events the vector covers.
func (v Vector) Total() uint64 {
	var n uint64
	for _, s := range v {
		n += s
	}
	return n
}

// String is a stable, human-readable form: "origin/epoch:seq ...".
func (v Vector) String() string {
	keys := make([]Key, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Origin != keys[j].Origin {
			return keys[i].Origin < keys[j].Origin
		}
		return keys[i].Epoch < keys[j].Epoch
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s/%x:%d", k.Origin, k.Epoch, v[k])
	}
	return strings.Join(parts, " ")
}
