package device

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// A bulk import (a bundle of many thousand events) allocates some 20 KB
// per event, most of it garbage within a batch. Under the default
// garbage-collector target (GOGC 100) on a process whose heap is small
// (an app just unlocked: a few MB), it collects dozens of times in the
// first seconds and every few MB after: a fifth of the import's CPU. For
// the length of the import the collector is let grow the heap to
// importGCPercent over what is live, bounded: the process may hold at
// most importHeadroom more than it held when the import began (a soft
// memory limit; past it the collector runs as often as it must). The
// import's live heap is 100-145 MB (two batches in flight): a headroom
// near twice that makes the collector pace by the limit and assist hard;
// 384 MiB costs about 40 MiB of peak RSS over the default and halves the
// collector's CPU (docs/benchmarks.md, devalloc). A limit set lower by
// the operator (GOMEMLIMIT) is kept, and so is a GC percent set higher or
// off.
const (
	importGCPercent = 400
	importHeadroom  = 384 << 20
)

var importGC struct {
	sync.Mutex
	n              int   // imports under way
	set            bool  // whether the first changed the settings
	percent, limit int64 // the settings to restore when the last ends
}

// relaxGC sets the collector's target for a bulk import and returns the
// function that sets it back. Imports may overlap: the first sets, the
// last restores.
func relaxGC() (restore func()) {
	importGC.Lock()
	defer importGC.Unlock()
	if importGC.n++; importGC.n == 1 {
		importGC.limit = debug.SetMemoryLimit(-1) // -1: only read
		importGC.percent = gcPercent()
		importGC.set = importGC.percent >= 0 && importGC.percent < importGCPercent
		if importGC.set {
			limit := memoryInUse() + importHeadroom
			if importGC.limit < limit {
				limit = importGC.limit
			}
			debug.SetMemoryLimit(limit)
			debug.SetGCPercent(importGCPercent)
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			importGC.Lock()
			defer importGC.Unlock()
			if importGC.n--; importGC.n == 0 && importGC.set {
				debug.SetGCPercent(int(importGC.percent))
				debug.SetMemoryLimit(importGC.limit)
			}
		})
	}
}

// gcPercent is the collector's GOGC setting now (-1: off).
func gcPercent() int64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return -1 // unknown: left alone
	}
	return int64(s[0].Value.Uint64())
}

// memoryInUse is the memory the Go runtime holds from the system and has
// not given back (what a memory limit counts).
func memoryInUse() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return math.MaxInt64 - importHeadroom // unknown: no limit
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}
