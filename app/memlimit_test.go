package app

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// currentLimit is the Go runtime's soft memory limit, unchanged.
func currentLimit() int64 { return debug.SetMemoryLimit(-1) }

// waitLimit collects until cond holds for the memory limit (the limit is
// set by a finalizer after a collection), or fails after a few seconds.
func waitLimit(t *testing.T, what string, cond func(int64) bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(currentLimit()); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the memory limit is %d MiB", what, currentLimit()>>20)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// The limit follows what is live: the floor while little is, live plus
// the headroom while more is (a photo being decoded), back down once that
// is freed; stop puts back the limit from before.
func TestMemoryLimitFollowsLiveHeap(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	os.Unsetenv("GOMEMLIMIT")
	before := currentLimit()
	// The floor above what the test binary holds live already (other
	// tests' leftovers), so that "little live" is true here.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	const headroom = 16 << 20
	floor := int64(ms.HeapAlloc) + 2*headroom
	stop := limitMemory(floor, headroom)
	defer stop()
	waitLimit(t, "with little live", func(l int64) bool { return l == floor })

	big := make([]byte, 96<<20)
	waitLimit(t, "with 96 MiB more live", func(l int64) bool { return l >= int64(ms.HeapAlloc)+96<<20 })
	runtime.KeepAlive(big)
	big = nil
	waitLimit(t, "after it was freed", func(l int64) bool { return l == floor })

	stop()
	if got := currentLimit(); got != before {
		t.Errorf("after stop the limit is %d, want %d as before", got, before)
	}
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if got := currentLimit(); got != before {
		t.Errorf("a collection after stop set the limit to %d", got)
	}
}

// An operator's GOMEMLIMIT is theirs: the app changes nothing.
func TestMemoryLimitKeepsOperatorsSetting(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "200MiB")
	before := currentLimit()
	stop := limitMemory(40<<20, 16<<20)
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if got := currentLimit(); got != before {
		t.Errorf("with GOMEMLIMIT set the limit became %d, was %d", got, before)
	}
	stop()
}
