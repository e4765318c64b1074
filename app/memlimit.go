package app

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The window's Go memory: the collector runs before the Go heap, garbage
// included, grows past appMemoryLimit. Drawing makes garbage fast (about
// 20 MB a scrolled screen on a software renderer) and by default the heap
// grows to twice what is live before a collection; with the limit the
// window's own memory stays under 60 MB (docs/benchmarks.md).
//
// A fixed limit starves the window once more than it is live: an earlier
// try froze the window while a camera photo was decoded, the collector
// running without pause. So the limit follows what is live: after every
// collection it is what is live plus memoryHeadroom, and never less than
// appMemoryLimit. With more live (a photo decoded, a large import), the
// collector runs as it would without a limit; once that is freed, the
// limit is back to appMemoryLimit.
const (
	appMemoryLimit = 48 << 20
	memoryHeadroom = 16 << 20
)

// memoryLimit keeps the Go runtime's soft memory limit at
// max(floor, live + headroom), adjusted after each garbage collection.
type memoryLimit struct {
	floor, headroom int64
	prev            int64 // the limit before, put back by stop

	mu      sync.Mutex
	stopped bool
	sample  []metrics.Sample
}

// limitMemory starts following the live heap with the soft memory limit;
// stop puts the limit back as it was. An operator's GOMEMLIMIT is kept:
// then limitMemory does nothing.
func limitMemory(floor, headroom int64) (stop func()) {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return func() {}
	}
	m := &memoryLimit{floor: floor, headroom: headroom, prev: debug.SetMemoryLimit(-1),
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	m.adjust()
	m.arm()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.stopped = true
		debug.SetMemoryLimit(m.prev)
	}
}

// gcCycle is garbage as soon as it is made: its finalizer runs after the
// next collection, adjusts the limit and makes the next one. It holds a
// pointer so that the allocator never batches it with other small objects.
type gcCycle struct{ limit *memoryLimit }

func (m *memoryLimit) arm() {
	runtime.SetFinalizer(&gcCycle{m}, func(c *gcCycle) {
		if c.limit.adjust() {
			c.limit.arm()
		}
	})
}

// adjust sets the limit from the heap live at the last collection; false
// once stopped.
func (m *memoryLimit) adjust() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return false
	}
	metrics.Read(m.sample)
	var live int64
	if m.sample[0].Value.Kind() == metrics.KindUint64 {
		live = int64(m.sample[0].Value.Uint64())
	}
	debug.SetMemoryLimit(max(m.floor, live+m.headroom))
	return true
}
