//go:build unix

package hub

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// cpuNow is the CPU time (user and system) this process has used.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHubPush is the hub's side of a push, in process: n signed
// registrations of one device pushed in chunks of wire.MaxChunkEvents,
// four at once, to the hub's HTTP handler (TLS left out: decoding, the acceptance rule, the
// storing, the reply), then counted by the counting pass. It reports CPU time per event of
// each step, which `go test -cpuprofile` breaks down; the back end is the
// test's (FIELDREG_HUB_BACKEND=postgres: PostgreSQL, whose server's CPU is
// not counted). Run with -benchtime 1x (a second round would
// store nothing: the same events again).
func BenchmarkHubPush(b *testing.B) {
	const pushInFlight = 4 // as device.pushParallel
	const n = 20_000
	ctx := context.Background()
	h := newTestHub(b, "BIH", false)
	d := enrolDev(b, h, "tab-bench", "POST-BENCH", "all")
	k, _ := seal.KeyFromBytes(d.pkg.RecordsKey)
	base := time.Now().Add(-time.Hour).UnixMilli()
	evs := make([]*registry.Event, n)
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := w; i < n; i += runtime.GOMAXPROCS(0) {
				p := &registry.Person{FamilyName: fmt.Sprintf("Fakebench%d", i), GivenNames: "Testee Example", Sex: "X",
					BirthDate: registry.Date{Year: 1990, Month: 1, Day: 2}, Nationalities: []string{"XXA"}, Category: registry.CategoryIrregular,
					Encounter:    registry.Encounter{Kind: "apprehension", Place: "Fake crossing point", At: time.UnixMilli(base)},
					PlaceOfBirth: "Nowhere", Languages: []string{"eng"}, Notes: "synthetic benchmark record"}
				rec, _ := registry.NewRegID("BIH", nil)
				e := &registry.Event{Origin: d.pkg.DeviceID, Epoch: 7, Seq: uint64(i + 1), HLC: registry.MakeHLC(base+int64(i), 0),
					Officer: "bench", Record: rec, Op: registry.OpRegister}
				if err := e.SealChange(k, &registry.Change{Fields: registry.FieldsOf(p)}); err != nil {
					panic(err)
				}
				e.Sign(d.priv)
				evs[i] = e
			}
		})
	}
	wg.Wait()
	// The chunks as a device sends them (wire frames), made beforehand.
	var chunks [][]byte
	for i := 0; i < n; i += wire.MaxChunkEvents {
		var buf bytes.Buffer
		fw := wire.NewWriter(&buf)
		for _, e := range evs[i:min(n, i+wire.MaxChunkEvents)] {
			if err := fw.Event(wire.EncodeEvent(e)); err != nil {
				b.Fatal(err)
			}
		}
		if err := fw.Close(false); err != nil {
			b.Fatal(err)
		}
		chunks = append(chunks, buf.Bytes())
	}
	handler := h.Handler()
	for b.Loop() {
		cpu0, t0 := cpuNow(), time.Now()
		// As a device pushes: pushInFlight chunks at once.
		next := make(chan []byte)
		var failed atomic.Value
		var pushers sync.WaitGroup
		for range pushInFlight {
			pushers.Go(func() {
				for body := range next {
					rec := httptest.NewRecorder()
					handler.ServeHTTP(rec, asDevice(httptest.NewRequest("POST", wire.PathPush, bytes.NewReader(body)), d))
					if rec.Code != http.StatusOK {
						failed.Store(fmt.Sprintf("push: %d %s", rec.Code, rec.Body))
					}
				}
			})
		}
		for _, body := range chunks {
			next <- body
		}
		close(next)
		pushers.Wait()
		if msg := failed.Load(); msg != nil {
			b.Fatal(msg)
		}
		cpu1, t1 := cpuNow(), time.Now()
		counted, err := h.countPending(ctx, true)
		if err != nil || counted != n {
			b.Fatalf("counted %d: %v", counted, err)
		}
		cpu2, t2 := cpuNow(), time.Now()
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/n, "push-cpu-us/event")
		b.ReportMetric(float64(n)/t1.Sub(t0).Seconds(), "push-events/s")
		b.ReportMetric(float64((cpu2-cpu1).Microseconds())/n, "count-cpu-us/event")
		b.ReportMetric(float64(n)/t2.Sub(t1).Seconds(), "count-events/s")
	}
}
