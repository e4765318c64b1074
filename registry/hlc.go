package registry

import (
	"sync"
	"time"
)

// HLC is a hybrid logical clock timestamp: milliseconds since the Unix epoch
// in the upper 48 bits and a logical counter in the lower 16. It orders events
// consistently with causality even when device clocks are wrong.
type HLC uint64

// MakeHLC builds a timestamp from wall milliseconds and a counter.
func MakeHLC(ms int64, counter uint16) HLC { return HLC(uint64(ms)<<16 | uint64(counter)) }

// Millis is the physical part.
func (h HLC) Millis() int64 { return int64(h >> 16) }

// Time is the physical part as a time.
func (h HLC) Time() time.Time { return time.UnixMilli(h.Millis()).UTC() }

// Clock issues HLC timestamps. It is safe for concurrent use.
type Clock struct {
	mu   sync.Mutex
	now  func() time.Time
	last HLC
}

// NewClock returns a clock reading wall time from now (time.Now when nil),
// never going below last (the highest timestamp already persisted).
func NewClock(now func() time.Time, last HLC) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now, last: last}
}

// Now returns a timestamp greater than every one issued or observed before.
func (c *Clock) Now() HLC {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := MakeHLC(c.now().UnixMilli(), 0)
	if wall > c.last {
		c.last = wall
	} else {
		c.last++
	}
	return c.last
}

// Observe advances the clock past a timestamp received from another device.
func (c *Clock) Observe(h HLC) {
	c.mu.Lock()
	if h > c.last {
		c.last = h
	}
	c.mu.Unlock()
}
