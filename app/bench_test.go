//go:build !screenshots && !syncshots

package app

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
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
//     through 5,000 rows in steps with every visible row's summary loaded,
//     with the app's own settings (appSettings: its page cache, its memory
//     limit). It reports the app's own share of memory (see appShare), the
//     time the list of 100,000 takes to load (list-ms), a name search
//     (search-ms) and the statistics screen's figures and charts (stats-ms).

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

// benchUI opens the UI on dir with the app's settings and UI work queued
// for the benchmark's goroutine, as the tests' harness does.
func benchUI(b *testing.B, dir string) (*UI, chan func()) {
	a := test.NewApp()
	q := make(chan func(), 4096)
	opts := appOptions()
	opts.Params = &vault.LowParams
	u := New(a, dir, opts)
	u.do = func(fn func()) { q <- fn }
	u.win.Resize(fyne.NewSize(1280, 800))
	return u, q
}

// benchShell is benchUI unlocked by the default officer, in the shell; drain
// runs queued UI work until cond holds, failing after limit.
func benchShell(b *testing.B, dir string) (u *UI, q chan func(), drain func(what string, limit time.Duration, cond func() bool)) {
	u, q = benchUI(b, dir)
	o, err := u.dev.DefaultOfficer()
	if err != nil {
		b.Fatal(err)
	}
	s, err := u.dev.Unlock(o.ID, []byte(pass))
	if err != nil {
		b.Fatal(err)
	}
	u.startSession(s)
	return u, q, func(what string, limit time.Duration, cond func() bool) {
		deadline := time.Now().Add(limit)
		for !cond() {
			if time.Now().After(deadline) {
				b.Fatalf("timed out waiting for %s (%d updates queued)", what, len(q))
			}
			select {
			case fn := <-q:
				fn()
			case <-time.After(time.Millisecond):
			}
		}
	}
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
	defer appSettings()()
	u, _, drainUntil := benchShell(b, dir)
	defer u.win.Close()
	t0 := time.Now()
	u.sh.open(navRecords)
	r := u.sh.records
	drainUntil("the list", time.Minute, func() bool { return len(r.ids) == records })
	listTime := time.Since(t0)

	// A name search, then back to the whole list.
	t0 = time.Now()
	r.query.SetText(benchFamilies[2] + "5")
	r.search()
	drainUntil("the search", time.Minute, func() bool { return len(r.ids) > 0 && len(r.ids) < records })
	searchTime := time.Since(t0)
	r.query.SetText("")
	r.search()
	drainUntil("the list again", time.Minute, func() bool { return len(r.ids) == records })

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
	var share appShare
	var ms runtime.MemStats
	var drawn, allocated uint64 // bytes allocated by drawing the frames, and in all
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		r.list.ScrollToTop()
		for top := 0; top < rows; top += step {
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			r.list.ScrollTo(top)
			runtime.ReadMemStats(&ms)
			mid := ms.TotalAlloc
			u.win.Canvas().Capture()
			frames++
			drainUntil(fmt.Sprintf("the rows at %d to load", top), 30*time.Second, loaded)
			runtime.ReadMemStats(&ms)
			drawn += ms.TotalAlloc - mid // Capture, and the row updates it drains (small)
			allocated += ms.TotalAlloc - before
			share.sample(&ms)
		}
	}
	if len(bound) < 5 {
		b.Fatalf("only %d rows in view", len(bound))
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(frames), "ms/step")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(frames), "cpu-ms/step")
	b.ReportMetric(float64(listTime.Milliseconds()), "list-ms")
	b.ReportMetric(float64(searchTime.Milliseconds()), "search-ms")
	b.ReportMetric(rssMB("VmHWM"), "rss-MB")
	runtime.GC()
	runtime.ReadMemStats(&ms)
	live := float64(ms.HeapAlloc) / (1 << 20)
	b.ReportMetric(live, "go-live-MB")
	b.ReportMetric(share.heapPeak, "go-heap-peak-MB")
	b.ReportMetric(share.goAtPeak, "go-mapped-MB")
	b.ReportMetric(share.anonPeak-share.goAtPeak, "c-heap-MB")
	b.ReportMetric(share.anonPeak, "app-MB")
	// The renderer's part (an estimate): of what the Go heap held above
	// the live data at its peak, the fraction that drawing allocated.
	if allocated > 0 {
		b.ReportMetric(max(0, share.heapPeak-live)*float64(drawn)/float64(allocated), "renderer-est-MB")
		b.ReportMetric(float64(drawn)/float64(frames)/(1<<20), "drawn-MB/step")
	}
	// What an OpenGL renderer would hold as textures for this screen:
	// Fyne draws each text into an image of its size and uploads it (4
	// bytes a pixel, at scale 1 here), and images and icons likewise.
	screen := textureBytes(u.win.Canvas().Content())
	var row float64
	for o := range bound {
		row = max(row, textureBytes(o))
	}
	b.ReportMetric(screen/(1<<20), "screen-textures-MB")
	b.ReportMetric(row/1024, "row-texture-KB")
	// The statistics screen's figures and charts, over every record
	// (after the scrolling, whose figures are the list's alone).
	st := newStatsScreen(u)
	t0 = time.Now()
	st.start()
	drainUntil("the statistics", time.Minute, func() bool { return !st.running })
	statsTime := time.Since(t0)
	if st.status.Text() != "" {
		b.Fatalf("statistics: %s", st.status.Text())
	}
	b.ReportMetric(float64(statsTime.Milliseconds()), "stats-ms")
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "go-live-stats-MB")
	if c := r.cache.len(); c > summaryCacheSize {
		b.Errorf("the cache holds %d summaries, over its bound %d", c, summaryCacheSize)
	}
}

// textureBytes is what Fyne's OpenGL painter would upload as textures to
// draw the visible objects under o (internal/painter/gl/texture.go): an
// RGBA image of each text's size, and of each image's and raster's.
func textureBytes(o fyne.CanvasObject) float64 {
	var n float64
	for _, obj := range test.LaidOutObjects(o) {
		if !obj.Visible() {
			continue
		}
		var sz fyne.Size
		switch c := obj.(type) {
		case *canvas.Text:
			if c.Text == "" {
				continue
			}
			sz = c.MinSize()
		case *canvas.Image, *canvas.Raster:
			sz = c.Size()
		default:
			continue
		}
		n += math.Ceil(float64(sz.Width)) * math.Ceil(float64(sz.Height)) * 4
	}
	return n
}

// appShare is the app's own share of memory while it works, sampled: its
// anonymous resident memory (RssAnon: the Go heap and the C heap; files
// mapped from disk, the program's text and fonts among them, are not
// counted), at its peak, split into Go's part (what the runtime has mapped
// less what it gave back, ms.Sys - ms.HeapReleased: the heap, its garbage
// not yet collected, goroutine stacks, the runtime's own tables) and C's
// (the rest: SQLite's page caches and the C allocator's arenas; with
// Fyne's test driver there is no GPU driver and no OpenGL in the process,
// so no renderer's C heap either). heapPeak is the Go heap in use at its
// peak (live data and garbage not yet collected).
type appShare struct {
	anonPeak, goAtPeak, heapPeak float64 // MB
}

func (a *appShare) sample(ms *runtime.MemStats) {
	a.heapPeak = max(a.heapPeak, float64(ms.HeapInuse)/(1<<20))
	if anon := rssMB("RssAnon"); anon > a.anonPeak {
		a.anonPeak, a.goAtPeak = anon, float64(ms.Sys-ms.HeapReleased)/(1<<20)
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

// BenchmarkOpenRecords opens record details one after another, back to the
// list between them, and reports the live Go heap each one leaves behind
// (live-KB/record): what an officer's day of looking records up costs.
func BenchmarkOpenRecords(b *testing.B) {
	dir := benchDevice(b, 100)
	defer appSettings()()
	u, q, drain := benchShell(b, dir)
	defer u.win.Close()
	u.sh.open(navRecords)
	r := u.sh.records
	drain("the list", time.Minute, func() bool { return len(r.ids) == 100 })
	open := func(i int) {
		r.open(r.ids[i%len(r.ids)])
		u.win.Canvas().Capture()
		for len(q) > 0 {
			(<-q)()
		}
		u.sh.open(navRecords)
		u.win.Canvas().Capture()
	}
	open(0) // the first opening loads what every detail shares
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		open(i + 1)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric((float64(ms.HeapAlloc)-float64(before))/1024/float64(b.N), "live-KB/record")
}
