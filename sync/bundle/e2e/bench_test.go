package e2e

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// synthetic makes n signed registrations in device d's own log, sealed and
// signed as the device would (obviously fake people).
func synthetic(tb testing.TB, d *devDir, origin string, epoch uint64, n int) []*registry.Event {
	rk, _ := seal.KeyFromBytes(d.pkg.RecordsKey)
	key := ed25519.NewKeyFromSeed(d.pkg.SignSeed)
	out := make([]*registry.Event, n)
	base := time.Now().Add(-time.Hour).UnixMilli()
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				seq := uint64(i + 1)
				p := &registry.Person{FamilyName: fmt.Sprintf("Fakebench%d", seq), GivenNames: "Testee Example", Sex: "X",
					BirthDate: registry.Date{Year: 1990, Month: 1, Day: 2}, Nationalities: []string{"XXA"}, Category: registry.CategoryIrregular,
					Encounter:    registry.Encounter{Kind: "apprehension", Place: "Fake crossing point", At: time.UnixMilli(base)},
					PlaceOfBirth: "Nowhere", Languages: []string{"eng"}, Notes: "synthetic benchmark record"}
				e := &registry.Event{Origin: origin, Epoch: epoch, Seq: seq, HLC: registry.MakeHLC(base+int64(seq), 0), Officer: "bench",
					Record: mustRegID("BIH"), Op: registry.OpRegister}
				if err := e.SealChange(rk, &registry.Change{Fields: registry.FieldsOf(p)}); err != nil {
					panic(err)
				}
				e.Sign(key)
				out[i] = e
			}
		}(w)
	}
	wg.Wait()
	return out
}

// BenchmarkBundle100k moves 100,000 events device -> hub -> another device
// through bundle files and reports each leg: device export (in process),
// hub import and hub export (reghub processes), device import (in process,
// which verifies, stores and folds every record).
//
//	go test -run '^$' -bench Bundle100k -benchtime 1x ./sync/bundle/e2e/
func BenchmarkBundle100k(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("FIELDREG_BENCH_EVENTS")); err == nil && v > 0 {
		n = v // a quicker run for profiling
	}
	for i := 0; i < b.N; i++ {
		h := newHub(b, "BIH")
		a := newDevice(b, h, "tablet-a", "BIH-VK")
		c := newDevice(b, h, "tablet-c", "BIH-IZ")
		usb := b.TempDir()

		sa, doneA := a.session()
		info := sa.Device().Info()
		evs := synthetic(b, a, info.DeviceID, info.Epoch, n)
		st := sa.Device().Store()
		for len(evs) > 0 {
			k := min(len(evs), 20000)
			if err := st.Update(context.Background(), func(tx *store.Tx) error {
				for _, e := range evs[:k] {
					if _, err := tx.InsertEvent(e, time.Now()); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			evs = evs[k:]
		}
		fa := filepath.Join(usb, "a.bundle")
		f, err := os.Create(fa)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		t0 := time.Now()
		res, err := sa.ExportBundle(context.Background(), f, nil)
		if err != nil {
			b.Fatal(err)
		}
		f.Sync()
		f.Close()
		export := time.Since(t0)
		doneA()
		if res.Events != n {
			b.Fatalf("exported %d events", res.Events)
		}
		fi, _ := os.Stat(fa)

		t0, children := time.Now(), cpuTime(syscall.RUSAGE_CHILDREN)
		must(b, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fa)
		hubImport := time.Since(t0)
		hubCPU := cpuTime(syscall.RUSAGE_CHILDREN) - children

		// Device c says hello by bundle, then receives the 100,000.
		fc := filepath.Join(usb, "c.bundle")
		must(b, "fieldreg", "bundle", "export", "--data", c.dir, "--passphrase-file", c.passFile, "--out", fc)
		must(b, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fc)
		rc := filepath.Join(usb, "c-back.bundle")
		t0 = time.Now()
		must(b, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-c", "--out", rc)
		hubExport := time.Since(t0)

		sc, doneC := c.session()
		g, err := os.Open(rc)
		if err != nil {
			b.Fatal(err)
		}
		stopWAL, walPeak := walPeak(filepath.Join(c.dir, store.FileName+"-wal"))
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		gc0 := gcCPU()
		resetPeakRSS()
		t0, self := time.Now(), cpuTime(syscall.RUSAGE_SELF)
		ir, err := sc.ImportBundle(context.Background(), g, nil)
		devImport := time.Since(t0)
		devCPU := cpuTime(syscall.RUSAGE_SELF) - self
		rss := peakRSS()
		gcSeconds := gcCPU() - gc0
		runtime.ReadMemStats(&ms1)
		stopWAL()
		g.Close()
		doneC()
		if err != nil || ir.Received != n {
			b.Fatalf("device import: %v, %+v", err, ir)
		}
		b.StopTimer()
		b.ReportMetric(export.Seconds(), "s-device-export")
		b.ReportMetric(hubImport.Seconds(), "s-hub-import")
		b.ReportMetric(hubExport.Seconds(), "s-hub-export")
		b.ReportMetric(devImport.Seconds(), "s-device-import")
		// CPU time (user and system, every thread) per event: the reghub
		// process of the import, and this process during the device's.
		b.ReportMetric(float64(hubCPU.Microseconds())/float64(n), "hub-import-cpu-µs/event")
		b.ReportMetric(float64(devCPU.Microseconds())/float64(n), "device-import-cpu-µs/event")
		// The Go heap's share of the device import: bytes allocated per
		// event, collections, and the process's peak RSS during it (the
		// test process's own state included; -1 if Linux does not say).
		b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(n), "device-import-alloc-B/event")
		b.ReportMetric(float64(ms1.NumGC-ms0.NumGC), "device-import-GCs")
		b.ReportMetric(gcSeconds, "device-import-GC-cpu-s")
		b.ReportMetric(float64(rss)/(1<<20), "device-import-peak-RSS-MiB")
		b.ReportMetric(float64(fi.Size())/(1<<20), "MiB-bundle")
		b.ReportMetric(float64(*walPeak)/(1<<20), "device-WAL-peak-MiB")
		b.Logf("100,000 events: device export %v, hub import %v (process, incl. opening the hub), hub export %v, device import %v; bundle %.1f MiB",
			export.Round(time.Millisecond), hubImport.Round(time.Millisecond), hubExport.Round(time.Millisecond), devImport.Round(time.Millisecond), float64(fi.Size())/(1<<20))
	}
}

// walPeak samples the size of the WAL file at path every 10 ms until stop
// is called, keeping the largest.
func walPeak(path string) (stop func(), peak *int64) {
	peak = new(int64)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if fi, err := os.Stat(path); err == nil {
				*peak = max(*peak, fi.Size())
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }, peak
}

// mustRegID mints a registration ID: receivers refuse events whose record
// ID is not one (registry.CheckEvent).
func mustRegID(country string) string {
	id, err := registry.NewRegID(country, nil)
	if err != nil {
		panic(err)
	}
	return id
}

// gcCPU is the CPU time the collector has spent in this process, in
// seconds (an estimate of the runtime's, runtime/metrics).
func gcCPU() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s[0].Value.Float64()
}

// resetPeakRSS resets the kernel's high-water mark of this process's
// resident set (Linux: /proc/self/clear_refs), so that peakRSS measures
// from here.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS is this process's peak resident set in bytes since the last
// resetPeakRSS (VmHWM), or -1 if it cannot be read.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// cpuTime is the CPU time (user and system) of this process (who is
// syscall.RUSAGE_SELF) or of its children waited for (RUSAGE_CHILDREN).
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
