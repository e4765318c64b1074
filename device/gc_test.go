package device

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestRelaxGC: an import raises the collector's target and bounds the
// heap with a memory limit; overlapping imports restore the settings only
// when the last ends, a restore called twice counts once, and settings the
// operator made looser (a higher GOGC) or tighter (a lower limit) stay.
func TestRelaxGC(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	})
	a := relaxGC()
	if p := gcPercent(); p != importGCPercent {
		t.Fatalf("during an import GOGC is %d, want %d", p, importGCPercent)
	}
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 || limit < importHeadroom {
		t.Fatalf("during an import the memory limit is %d: not bounded", limit)
	}
	b := relaxGC()
	a()
	a()
	if p := gcPercent(); p != importGCPercent {
		t.Fatalf("one of two imports ended and GOGC is %d, want %d", p, importGCPercent)
	}
	b()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 100 || l != math.MaxInt64 {
		t.Fatalf("after the imports GOGC %d and limit %d, want 100 and none", p, l)
	}

	debug.SetGCPercent(800)
	c := relaxGC()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 800 || l != math.MaxInt64 {
		t.Fatalf("GOGC set to 800 by the operator became %d, limit %d", p, l)
	}
	c()
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(64 << 20)
	e := relaxGC()
	if l := debug.SetMemoryLimit(-1); l != 64<<20 {
		t.Fatalf("a memory limit of 64 MiB set by the operator became %d", l)
	}
	e()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 100 || l != 64<<20 {
		t.Fatalf("after the import GOGC %d and limit %d, want 100 and 64 MiB", p, l)
	}
}
