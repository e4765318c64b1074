package e2e

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/limits"
	"github.com/fieldreg/fieldreg/internal/proctest"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/hub"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// synthetic makes n signed events of device d in log (origin, epoch),
// from seq first on, with payloads the size of a real registration.
func synthetic(tb testing.TB, d *devProc, origin string, epoch, first uint64, n int) []*registry.Event {
	tb.Helper()
	return syntheticWith(d.pkg.RecordsKey, d.signKey(), origin, epoch, first, n)
}

// syntheticWith is synthetic with the deployment's records key and the
// device's signing key.
func syntheticWith(recordsKey []byte, key ed25519.PrivateKey, origin string, epoch, first uint64, n int) []*registry.Event {
	rk, _ := seal.KeyFromBytes(recordsKey)
	out := make([]*registry.Event, n)
	base := time.Now().Add(-time.Hour).UnixMilli()
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				seq := first + uint64(i)
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

func insertAll(tb testing.TB, st *store.Store, evs []*registry.Event) {
	tb.Helper()
	for len(evs) > 0 {
		n := min(len(evs), 20000)
		if err := st.Update(context.Background(), func(tx *store.Tx) error {
			for _, e := range evs[:n] {
				if _, err := tx.InsertEvent(e, time.Now()); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
		evs = evs[n:]
	}
}

func rss(pid int) (hwm, cur int) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && (fs[0] == "VmHWM:" || fs[0] == "VmRSS:") {
			kb, _ := strconv.Atoi(fs[1])
			if fs[0] == "VmHWM:" {
				hwm = kb
			} else {
				cur = kb
			}
		}
	}
	return hwm, cur
}

// BenchmarkSyncPush100k pushes 100,000 events from a device to a hub (a
// separate process) over loopback HTTPS, then measures a sync with nothing
// new: once with the hub on SQLite, once on PostgreSQL (the test cluster of
// .ci/pg). Run with -benchtime 1x.
func BenchmarkSyncPush100k(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchSyncPush(b, newHubWith(b)) })
	b.Run("postgres", func(b *testing.B) { benchSyncPush(b, newHubWith(b, "--db", pgtest.DB(b))) })
}

func benchSyncPush(b *testing.B, h *hubProc) {
	const n = 100_000
	h.start("127.0.0.1:0")
	d := newDevice(b, h, "bench-tablet", "BIH-BENCH")
	s, done := d.session()
	defer done()
	info := s.Device().Info()
	insertAll(b, s.Device().Store(), synthetic(b, d, info.DeviceID, info.Epoch, 1, n))
	// The ceiling of this path in the same run: every event's signature is
	// checked once at the hub, on the machine's two cores.
	ceiling := limits.VerifyPerSec(time.Second)
	wal := watchWAL(filepath.Join(h.dir, store.FileName+"-wal"))
	b.ResetTimer()
	hubCPU0, selfCPU0 := cpuTime(h.cmd.Process.Pid), cpuTime(os.Getpid())
	start := time.Now()
	rep, err := s.Sync(context.Background(), device.SyncOptions{})
	el := time.Since(start)
	b.StopTimer()
	if err != nil || rep.Sent != n {
		b.Fatalf("%+v %v", rep, err)
	}
	b.ReportMetric(float64(n)/el.Seconds(), "events/s")
	b.ReportMetric(ceiling, "limit-verify/s")
	b.ReportMetric(float64(n)/el.Seconds()/ceiling, "of-verify-ceiling")
	if peak := wal.stop(); peak > 0 { // SQLite back end
		b.ReportMetric(float64(peak)/(1<<20), "hub-WAL-peak-MiB")
		if fi, err := os.Stat(filepath.Join(h.dir, store.FileName)); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "hub-db-MiB")
		}
	}
	// CPU per event, independent of what else runs on the machine.
	b.ReportMetric(float64((cpuTime(h.cmd.Process.Pid)-hubCPU0).Microseconds())/n, "hub-cpu-us/event")
	b.ReportMetric(float64((cpuTime(os.Getpid())-selfCPU0).Microseconds())/n, "device-cpu-us/event")
	if os.Getenv(proctest.ProfileEnv) != "" {
		// Profiling the push: the hub writes its profile when it stops
		// cleanly (the counting after is left out).
		h.stop()
		return
	}
	// The hub counts the pushed records after acknowledging them (a pass
	// once pushes pause): how long until every one is counted, and the
	// hub's CPU per event with the counting.
	hb, err := hub.Open(context.Background(), h.dir, []byte(hubPass), hub.Options{Params: &lowParams})
	if err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		left, err := hb.Store().Pending(context.Background(), "", 1)
		if err != nil || time.Now().After(deadline) {
			b.Fatalf("records left to count: %v %v", left, err)
		}
		if len(left) == 0 {
			break
		}
	}
	hb.Close()
	b.ReportMetric(time.Since(start.Add(el)).Seconds(), "counted-after-s")
	b.ReportMetric(float64((cpuTime(h.cmd.Process.Pid)-hubCPU0).Microseconds())/n, "hub-cpu-us/event-counted")
	idle := time.Duration(1<<63 - 1)
	var total time.Duration
	for i := 0; i < 20; i++ {
		t0 := time.Now()
		if rep, err := s.Sync(context.Background(), device.SyncOptions{}); err != nil || rep.Sent+rep.Received != 0 {
			b.Fatalf("%+v %v", rep, err)
		}
		el := time.Since(t0)
		total += el
		idle = min(idle, el)
	}
	b.ReportMetric(float64(total.Milliseconds())/20, "idle-sync-ms")
	hwm, _ := rss(h.cmd.Process.Pid)
	b.ReportMetric(float64(hwm)/1024, "hub-peak-MB")
	if fi, err := os.Stat(filepath.Join(h.dir, store.FileName+"-wal")); err == nil {
		b.ReportMetric(float64(fi.Size())/(1<<20), "hub-WAL-after-MiB")
	}
}

// walWatch polls the size of a WAL file until stopped.
type walWatch struct {
	quit chan struct{}
	peak chan int64
}

// watchWAL reports the largest size path has between now and stop (0 if
// it never exists: a back end without one).
func watchWAL(path string) *walWatch {
	w := &walWatch{quit: make(chan struct{}), peak: make(chan int64)}
	go func() {
		var peak int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if fi, err := os.Stat(path); err == nil {
				peak = max(peak, fi.Size())
			}
			select {
			case <-w.quit:
				w.peak <- peak
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *walWatch) stop() int64 {
	close(w.quit)
	return <-w.peak
}

// BenchmarkHubMemory1M loads 1,000,000 events into a hub, then serves a
// device that pushes 10,000 events and pulls 20,000, and a device with
// nothing new; it reports the hub's peak resident memory. Run with
// -benchtime 1x (setup takes about a minute).
func BenchmarkHubMemory1M(b *testing.B) {
	const n = 1_000_000
	h := newHub(b)
	h.start("127.0.0.1:0")
	src := newDevice(b, h, "bench-src", "BIH-BENCH")
	dev := newDevice(b, h, "bench-dev", "BIH-OTHER")
	idle := newDevice(b, h, "bench-idle", "BIH-IDLE", "--scope", "station")
	h.kill()
	hb, err := hub.Open(context.Background(), h.dir, []byte(hubPass), hub.Options{Params: &lowParams})
	if err != nil {
		b.Fatal(err)
	}
	for part := uint64(0); part < 10; part++ {
		evs := synthetic(b, src, src.pkg.DeviceID, 1000+part, 1, n/10)
		for len(evs) > 0 {
			k := min(len(evs), 20000)
			if err := hb.Store().Update(context.Background(), func(tx hubstore.Tx) error {
				_, err := tx.InsertEvents(evs[:k], time.Now())
				return err
			}); err != nil {
				b.Fatal(err)
			}
			evs = evs[k:]
		}
	}
	hb.Close()
	h.start(h.addr)
	s, done := dev.session()
	defer done()
	info := s.Device().Info()
	insertAll(b, s.Device().Store(), synthetic(b, dev, info.DeviceID, info.Epoch, 1, 10_000))
	b.ResetTimer()
	t0 := time.Now()
	pulled := 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep, err := s.Sync(ctx, device.SyncOptions{Progress: func(p device.Progress) {
		pulled = p.Received
		if p.Received >= 20_000 {
			cancel() // enough to measure the hub serving; the rest would take long on the device
		}
	}})
	if rep.Sent != 10_000 || pulled < 20_000 {
		b.Fatalf("sent %d, pulled %d: %v", rep.Sent, pulled, err)
	}
	t1 := time.Now()
	cancel()
	// A device with nothing new (scope station: nothing of the million is
	// for it), against the hub holding 1,010,000 events.
	is, idone := idle.session()
	syncOK(b, is)
	var worst time.Duration
	for i := 0; i < 10; i++ {
		t := time.Now()
		syncOK(b, is)
		worst = max(worst, time.Since(t))
	}
	idone()
	b.ReportMetric(float64(worst.Microseconds())/1000, "idle-sync-worst-ms")
	b.StopTimer()
	hwm, cur := rss(h.cmd.Process.Pid)
	b.ReportMetric(float64(hwm)/1024, "hub-peak-MB")
	b.ReportMetric(float64(cur)/1024, "hub-rss-MB")
	b.Logf("sync of 10,000 up and %d down took %s; hub peak RSS %d MB", pulled, t1.Sub(t0), hwm/1024)
}

// cpuTime is the user+system CPU time a process has used so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fs) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(fs[11], 10, 64)
	k, _ := strconv.ParseInt(fs[12], 10, 64)
	return time.Duration(u+k) * time.Second / 100 // USER_HZ
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

// BenchmarkHubConcurrentPulls has 200 clients pull a full first chunk
// (1,000 events) from a hub holding 20,000 events at the same moment, twice,
// and reports the hub's peak resident memory and how many pulls were told
// to wait (busy) at least once. Run with -benchtime 1x.
func BenchmarkHubConcurrentPulls(b *testing.B) {
	const n, clients = 20_000, 200
	h := newHub(b)
	h.start("127.0.0.1:0")
	d := newDevice(b, h, "bench-pull", "BIH-BENCH")
	h.kill()
	st, err := store.Open(h.dir)
	if err != nil {
		b.Fatal(err)
	}
	insertAll(b, st, synthetic(b, d, d.pkg.DeviceID, 4242, 1, n))
	st.Close()
	h.start(h.addr)
	base, _ := rss(h.cmd.Process.Pid)
	b.ResetTimer()
	var waited, failed atomic.Int32
	for round := 0; round < 2; round++ {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := client.New(client.Config{URL: h.url(), HubCert: d.pkg.HubCert, ClientCert: d.pkg.ClientCert, Key: d.signKey()})
				defer c.Close()
				<-start
				t0 := time.Now()
				p, err := c.PullChunk(context.Background(), vector.Vector{}, 0)
				if err != nil || len(p.Events) != wire.MaxChunkEvents {
					failed.Add(1)
					return
				}
				if time.Since(t0) > time.Second {
					waited.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
	}
	b.StopTimer()
	hwm, _ := rss(h.cmd.Process.Pid)
	b.ReportMetric(float64(base)/1024, "hub-start-MB")
	b.ReportMetric(float64(hwm)/1024, "hub-peak-MB")
	b.ReportMetric(float64(waited.Load()), "pulls-waited")
	b.ReportMetric(float64(failed.Load()), "pulls-failed")
}
