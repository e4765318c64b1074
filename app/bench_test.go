//go:build !screenshots && !syncshots

package app

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
)

// The UI benchmarks of issue 2 (run them with
// `go test -run '^$' -bench . -benchtime 1x ./app/`):
//
//   - BenchmarkStartToUnlock: from constructing the UI on an initialised
//     device to the unlock screen rendered.
//   - BenchmarkScroll100k: the records list over 100,000 records, scrolled
//     through 5,000 rows in steps with every visible row's summary loaded;
//     reports the peak resident memory of the process while scrolling, and
//     the app's own share of it: the peak of its anonymous memory (Go and C
//     heaps; the test driver draws without a GPU driver or renderer), the
//     Go heap's peak and what stays live after a collection.

// benchDevices are data directories built once per test binary.
var benchDevices = struct {
	sync.Mutex
	dirs map[int]string
}{dirs: map[int]string{}}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range benchDevices.dirs {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// benchFamilies and benchGiven make obviously fictitious names.
var (
	benchFamilies = []string{"Testovic", "Sample-Haddad", "Examplova", "Placeholder", "Mock-Rahimi", "Dummyzadeh", "Benchkov", "Fakeri"}
	benchGiven    = []string{"Example Lina", "Example Omar", "Sample Ana", "Test Amir", "Example Zara", "Mock Ivo", "Sample Nour", "Test Dino"}
)

// benchDevice returns an initialised device directory with n records,
// built once (RegisterBatch, 1000 per durable commit).
func benchDevice(b *testing.B, n int) string {
	benchDevices.Lock()
	defer benchDevices.Unlock()
	if dir, ok := benchDevices.dirs[n]; ok {
		return dir
	}
	// FIELDREG_BENCH_DATA keeps the built data between runs (building
	// 100,000 records takes minutes): DIR/N is reused if it exists.
	if keep := os.Getenv("FIELDREG_BENCH_DATA"); keep != "" {
		dir := filepath.Join(keep, strconv.Itoa(n))
		if device.Initialised(dir) {
			return dir
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		buildBenchDevice(b, dir, n)
		return dir
	}
	dir, err := os.MkdirTemp("", "fieldreg-bench")
	if err != nil {
		b.Fatal(err)
	}
	buildBenchDevice(b, dir, n)
	benchDevices.dirs[n] = dir
	return dir
}

func buildBenchDevice(b *testing.B, dir string, n int) {
	opts := device.Options{Params: &vault.LowParams}
	d, _, err := device.InitStandalone(dir, device.StandaloneConfig{Country: "BIH", Station: "BIH-TEST-01",
		DeviceName: "bench-01", Officer: "Officer Example", Passphrase: []byte(pass)}, opts)
	if err != nil {
		b.Fatal(err)
	}
	o, err := d.DefaultOfficer()
	if err != nil {
		b.Fatal(err)
	}
	s, err := d.Unlock(o.ID, []byte(pass))
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	enc := registry.Encounter{Kind: "apprehension", Place: "BIH-TEST-01", At: time.Now().Add(-time.Hour)}
	for done := 0; done < n; {
		batch := make([]*registry.Person, 0, 1000)
		for i := 0; i < 1000 && done < n; i, done = i+1, done+1 {
			batch = append(batch, &registry.Person{
				FamilyName: fmt.Sprintf("%s%d", benchFamilies[done%len(benchFamilies)], done%997),
				GivenNames: benchGiven[(done/7)%len(benchGiven)], Sex: "F",
				BirthDate: registry.Date{Year: 1950 + done%60}, Nationalities: []string{"XXX"},
				Category: registry.CategoryIrregular, Encounter: enc})
		}
		if _, err := s.RegisterBatch(batch); err != nil {
			b.Fatal(err)
		}
	}
	s.Lock()
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d records in %s", n, time.Since(t0).Round(time.Second))
}

// benchUI opens the UI on dir with UI work queued for the benchmark's
// goroutine, as the tests' harness does.
func benchUI(b *testing.B, dir string) (*UI, chan func()) {
	a := test.NewApp()
	q := make(chan func(), 4096)
	u := New(a, dir, device.Options{Params: &vault.LowParams})
	u.do = func(fn func()) { q <- fn }
	u.win.Resize(fyne.NewSize(1280, 800))
	return u, q
}

func BenchmarkStartToUnlock(b *testing.B) {
	dir := benchDevice(b, 0)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		a := test.NewApp()
		u := New(a, dir, device.Options{Params: &vault.LowParams})
		u.win.Resize(fyne.NewSize(1280, 800))
		if u.screen != "unlock" {
			b.Fatalf("the UI shows %q, want unlock", u.screen)
		}
		u.win.Canvas().Capture() // rendered
		total += time.Since(t0)
		b.StopTimer()
		u.win.Close()
		a.Quit()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms")
}

func BenchmarkScroll100k(b *testing.B) {
	const records, step = 100_000, 25
	rows := 5000
	if v, err := strconv.Atoi(os.Getenv("FIELDREG_BENCH_ROWS")); err == nil {
		rows = v // for profiling
	}
	dir := benchDevice(b, records)
	u, q := benchUI(b, dir)
	defer u.win.Close()
	o, err := u.dev.DefaultOfficer()
	if err != nil {
		b.Fatal(err)
	}
	s, err := u.dev.Unlock(o.ID, []byte(pass))
	if err != nil {
		b.Fatal(err)
	}
	u.startSession(s)
	drainUntil := func(what string, limit time.Duration, cond func() bool) {
		deadline := time.Now().Add(limit)
		for !cond() {
			if time.Now().After(deadline) {
				b.Fatalf("timed out waiting for %s (%d updates queued)", what, len(q))
			}
			select {
			case fn := <-q:
				fn()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	u.sh.open(navRecords)
	r := u.sh.records
	drainUntil("the list", time.Minute, func() bool { return len(r.ids) == records })

	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	// Two frames: wrapping rows (the navigation) know their height only
	// after their first layout.
	u.win.Canvas().Capture()
	u.sh.root.Refresh()
	u.win.Canvas().Capture()
	// The rows in view are those the list has bound to its row objects.
	bound := map[fyne.CanvasObject]int{}
	update := r.list.UpdateItem
	r.list.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) { bound[o] = i; update(i, o) }
	loaded := func() bool {
		for _, i := range bound {
			if _, ok := r.cache.get(r.ids[i]); !ok {
				return false
			}
		}
		return true
	}
	var frames int
	var anonPeak, heapPeak, goAtPeak float64 // the app's own memory, sampled every step
	var ms runtime.MemStats
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		r.list.ScrollToTop()
		for top := 0; top < rows; top += step {
			r.list.ScrollTo(top)
			u.win.Canvas().Capture()
			frames++
			drainUntil(fmt.Sprintf("the rows at %d to load", top), 30*time.Second, loaded)
			runtime.ReadMemStats(&ms)
			heapPeak = max(heapPeak, float64(ms.HeapInuse)/(1<<20))
			if anon := rssMB("RssAnon"); anon > anonPeak {
				// Go's share at the peak: what it mapped less what it
				// handed back; the rest of the anonymous memory is C's.
				anonPeak, goAtPeak = anon, float64(ms.Sys-ms.HeapReleased)/(1<<20)
			}
		}
	}
	if len(bound) < 5 {
		b.Fatalf("only %d rows in view", len(bound))
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(frames), "ms/step")
	b.ReportMetric(rssMB("VmHWM"), "rss-MB")
	// The app's own share: anonymous resident memory (the Go heap and the
	// C heap: SQLite's page cache, the drivers' buffers; with the test
	// driver there is no GPU or software renderer), its peak while
	// scrolling; the Go heap in use at its peak, and what stays live.
	b.ReportMetric(anonPeak, "anon-peak-MB")
	b.ReportMetric(goAtPeak, "go-at-anon-peak-MB")
	b.ReportMetric(anonPeak-goAtPeak, "c-at-anon-peak-MB")
	b.ReportMetric(heapPeak, "go-heap-peak-MB")
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "go-live-MB")
	if c := r.cache.len(); c > summaryCacheSize {
		b.Errorf("the cache holds %d summaries, over its bound %d", c, summaryCacheSize)
	}
}

// resetPeakRSS resets the kernel's peak resident size of this process
// (VmHWM), so the peak measures what follows, not the build of the data.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// rssMB reads a size field of /proc/self/status in MB (0 where there is none).
func rssMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}
