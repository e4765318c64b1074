package device

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/internal/limits"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// Synthetic, obviously fake names for benchmarks.
var (
	benchFamily = []string{"Testafi", "Benchkov", "Loadić", "Sampleri", "Mockhani", "Fakezadeh", "Dummyov", "Probeva", "Trialis", "Examplo"}
	benchGiven  = []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliett"}
)

func benchPerson(rng *rand.Rand, i int) *registry.Person {
	p := testPerson(fmt.Sprintf("%s%d", benchFamily[rng.IntN(len(benchFamily))], i%5000), benchGiven[rng.IntN(len(benchGiven))])
	p.Document = registry.Document{Type: "passport", Number: fmt.Sprintf("X%08d", i), IssuingCountry: "AFG"}
	p.Category = registry.Categories[rng.IntN(len(registry.Categories))]
	return p
}

func percentile(d []time.Duration, p float64) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[int(float64(len(d)-1)*p)]
}

// BenchmarkRegisterDurable saves one registration per durable commit (WAL,
// synchronous=FULL) and reports the p99 latency.
func BenchmarkRegisterDurable(b *testing.B) {
	d, _ := newTestDevice(b)
	s := unlock(b, d)
	rng := rand.New(rand.NewPCG(1, 1))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := benchPerson(rng, i)
		t0 := time.Now()
		if _, err := s.Register(p); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkBulkImport registers people as `fieldreg register --json` does:
// batches of 5,000 lines with their import tokens, each one durable
// commit, the next batch sealed and signed while one is written
// (RegisterImports). It reports registrations per second and the CPU time
// (user and system, every thread) per registration.
func BenchmarkBulkImport(b *testing.B) {
	d, _ := newTestDevice(b)
	s := unlock(b, d)
	rng := rand.New(rand.NewPCG(2, 2))
	var batches []ImportBatch
	for i := 0; i < b.N; i += 5000 { // as cli.batchSize
		var bt ImportBatch
		for j := range min(5000, b.N-i) {
			bt.People = append(bt.People, benchPerson(rng, i+j))
			bt.Tokens = append(bt.Tokens, nil)
		}
		batches = append(batches, bt)
	}
	for k := range batches {
		var err error
		if batches[k].Tokens, err = s.ImportTokens(benchLines(k, len(batches[k].People))); err != nil {
			b.Fatal(err)
		}
	}
	var walPeak int64 // the WAL file after each durable commit
	b.ResetTimer()
	w0, cpu0 := processWrites(b), cpuTime()
	t0 := time.Now()
	err := s.RegisterImports(batches, func(_ int, _ []string, err error) bool {
		if fi, err := os.Stat(filepath.Join(d.Dir(), store.FileName+"-wal")); err == nil {
			walPeak = max(walPeak, fi.Size())
		}
		return err == nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "records/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/record")
	b.ReportMetric(float64(walPeak)/(1<<20), "WAL-peak-MiB")
	// Write amplification: what the process wrote to disk (the WAL, then
	// the checkpoints into the database file) over the database's size.
	written := processWrites(b) - w0
	if fi, err := os.Stat(filepath.Join(d.Dir(), store.FileName)); err == nil && written > 0 {
		b.ReportMetric(float64(fi.Size())/(1<<20), "db-MiB")
		b.ReportMetric(float64(written)/float64(fi.Size()), "write-amp")
	}
}

// benchLines names n import lines of batch k (their identities).
func benchLines(k, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("ref\x00bench-%d-%d", k, i)
	}
	return out
}

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSearch100k searches by name, by registration ID and by document
// number among 100,000 records (FIELDREG_BENCH_RECORDS overrides the count)
// and reports the p95 latency.
func BenchmarkSearch100k(b *testing.B) {
	n := 100000
	if v := os.Getenv("FIELDREG_BENCH_RECORDS"); v != "" {
		fmt.Sscan(v, &n)
	}
	d, _ := newTestDevice(b)
	s := unlock(b, d)
	rng := rand.New(rand.NewPCG(3, 3))
	var ids, names []string
	for i := 0; i < n; i += 1000 {
		batch := make([]*registry.Person, min(1000, n-i))
		for j := range batch {
			batch[j] = benchPerson(rng, i+j)
			names = append(names, batch[j].FamilyName+" "+batch[j].GivenNames)
		}
		got, err := s.RegisterBatch(batch)
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, got...)
	}
	// Then 170 single saves, whose search rows wait in the recent table
	// (store/recent.go) unmerged: about 3,900 rows, just under the mark
	// of a merge, the most a search scans there.
	for i := n; i < n+170; i++ {
		p := benchPerson(rng, i)
		id, err := s.Register(p)
		if err != nil {
			b.Fatal(err)
		}
		ids, names = append(ids, id), append(names, p.FamilyName+" "+p.GivenNames)
	}
	queries := func(i int) string {
		switch i % 3 {
		case 0:
			return names[(i*7919)%len(names)]
		case 1:
			return ids[i%len(ids)]
		}
		return fmt.Sprintf("X%08d", i%(n+170))
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		got, err := s.Search(Query{Text: queries(i), Limit: 200})
		if err != nil || len(got) == 0 {
			b.Fatalf("query %d: %d results, %v", i, len(got), err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.ReportMetric(float64(percentile(lat, 0.95).Microseconds())/1000, "p95-ms")
}

// BenchmarkUnlockDefault unlocks with the default Argon2id parameters
// (64 MiB, t=3, p=4).
func BenchmarkUnlockDefault(b *testing.B) {
	p := vault.DefaultParams
	d, _, err := InitStandalone(b.TempDir(), StandaloneConfig{Country: "BIH", Station: "BENCH", Officer: "Officer Bench", Passphrase: []byte("correct horse battery")}, Options{Params: &p})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	o, _ := d.DefaultOfficer()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := d.Unlock(o.ID, []byte("correct horse battery"))
		if err != nil {
			b.Fatal(err)
		}
		s.Lock()
	}
}

// BenchmarkRevocationCheck is what every signing step (a registration
// batch, an amendment, a link, a receipt) adds to know the device is not
// revoked: the stored revocation list (100 other devices) read and its
// signature verified, and the hub's answer looked up.
func BenchmarkRevocationCheck(b *testing.B) {
	d, clk := newTestDevice(b)
	s := unlock(b, d)
	for i := 0; i < 100; i++ {
		if _, err := s.RevokeDevice(fmt.Sprintf("%016x", i), clk.t); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.checkNotRevoked(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnlockCheck is what unlocking adds to check the officer's row
// (10 officers on the device), with the passphrase already verified.
func BenchmarkUnlockCheck(b *testing.B) {
	d, clk := newTestDevice(b)
	s := unlock(b, d)
	for i := 0; i < 9; i++ {
		if _, err := s.AddOfficer(fmt.Sprintf("Officer Bench%d", i), []byte("correct horse battery"), false); err != nil {
			b.Fatal(err)
		}
	}
	var k *keys
	_ = s.withKeys(func(kk *keys) error { k = kk; return nil })
	o, err := d.st.Officer(s.Officer().ID)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.checkUnlockingOfficer(k, &o, clk.t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaveAtSize adds 1,000 registrations in one durable commit (as a
// 1,000-line `fieldreg register --json` does) to a device holding 10,000
// and then 100,000 records (FIELDREG_BENCH_SIZES, e.g. "10000,100000"),
// after a checkpoint, and reports the time, the WAL it wrote and what the
// process wrote to disk in all per registration (its WAL, then the
// checkpoint into the database file), the file size per registration,
// and the p99 of 200 single durable saves that follow. The cost of a
// save must not grow with the size of the database.
func BenchmarkSaveAtSize(b *testing.B) {
	sizes := []int{10000, 100000}
	if v := os.Getenv("FIELDREG_BENCH_SIZES"); v != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatalf("FIELDREG_BENCH_SIZES: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, size := range sizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			d, _ := newTestDevice(b)
			s := unlock(b, d)
			rng := rand.New(rand.NewPCG(4, 4))
			for i := 0; i < size; i += 5000 {
				batch := make([]*registry.Person, min(5000, size-i))
				for j := range batch {
					batch[j] = benchPerson(rng, i+j)
				}
				if _, err := s.RegisterBatch(batch); err != nil {
					b.Fatal(err)
				}
			}
			walPath := filepath.Join(d.Dir(), store.FileName+"-wal")
			var elapsed time.Duration
			var wal, written int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if _, err := d.st.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
					b.Fatal(err)
				}
				batch := make([]*registry.Person, 1000)
				for j := range batch {
					batch[j] = benchPerson(rng, size+i*1000+j)
				}
				w0 := processWrites(b)
				b.StartTimer()
				t0 := time.Now()
				if _, err := s.registerBatch(batch, func(*store.Tx, []string) error { return nil }); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(t0)
				b.StopTimer()
				// The batch checkpointed after its commit; the WAL file
				// keeps the size the batch wrote (under journal_size_limit).
				if fi, err := os.Stat(walPath); err == nil {
					wal += fi.Size()
				}
				written += processWrites(b) - w0
				b.StartTimer()
			}
			b.StopTimer()
			saveWAL := singleSaveWAL(b, d, s, rng, 200)
			lat := make([]time.Duration, 200)
			for i := range lat {
				t0 := time.Now()
				if _, err := s.Register(benchPerson(rng, 900000+i)); err != nil {
					b.Fatal(err)
				}
				lat[i] = time.Since(t0)
			}
			n := float64(b.N * 1000)
			b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/1000")
			b.ReportMetric(float64(wal)/n/1024, "WAL-KiB/reg")
			b.ReportMetric(float64(written)/n/1024, "written-KiB/reg")
			if fi, err := os.Stat(filepath.Join(d.Dir(), store.FileName)); err == nil {
				b.ReportMetric(float64(fi.Size())/float64(size+b.N*1000)/1024, "file-KiB/reg")
			}
			b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "save-p99-ms")
			b.ReportMetric(float64(saveWAL)/1024, "save-WAL-KiB")
			b.ReportMetric(float64(saveWAL)/walFrame, "save-WAL-pages")
		})
	}
}

// walFrame is the size of a frame of the WAL: a page and its header.
const walFrame = 4096 + 24

// singleSaveWAL returns the WAL bytes one single durable save writes, on
// average over n saves, the merge of their recent search rows into the
// index included (store.MergeRecent: what a save costs in the end, not
// only in its own commit). A read transaction opened on the empty WAL
// holds every frame in it meanwhile (no checkpoint can reset it), so its
// size at the end is what the saves and the merge wrote.
func singleSaveWAL(b *testing.B, d *Device, s *Session, rng *rand.Rand, n int) int64 {
	b.Helper()
	ctx := context.Background()
	if _, err := d.st.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	c, err := d.st.DB().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	// BEGIN (deferred), not BeginTx: the store's connections begin
	// IMMEDIATE, which would take the write lock.
	var one int
	if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
		b.Fatal(err)
	}
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM meta").Scan(&one); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := s.Register(benchPerson(rng, 800000+i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := mergeRecent(d); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(d.Dir(), store.FileName+"-wal"))
	if _, rerr := c.ExecContext(ctx, "ROLLBACK"); rerr != nil {
		b.Fatal(rerr)
	}
	if err != nil {
		b.Fatal(err)
	}
	return (fi.Size() - 32) / int64(n)
}

// processWrites is what this process has written to storage so far
// (/proc/self/io), or 0 where that is not available.
func processWrites(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkRatios measures the machine's ceilings (internal/limits) and,
// in the same run, the device's own figures, reported beside them and as
// ratios: a durable registration's p99 to a durable insert's p99, bulk
// registrations per second to rows per second in one transaction, and
// unlock to Argon2id alone. Numbers drift with the machine's load; the
// ratios much less.
func BenchmarkRatios(b *testing.B) {
	for i := 0; i < b.N; i++ {
		c, err := limits.Measure(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		limits.Report(b, c)

		d, _ := newTestDevice(b)
		s := unlock(b, d)
		rng := rand.New(rand.NewPCG(5, 5))
		// Bulk: 20,000 in batches of 5,000 (as `fieldreg register --json`).
		t0 := time.Now()
		const bulk = 20000
		for j := 0; j < bulk; j += 5000 {
			batch := make([]*registry.Person, 5000)
			for k := range batch {
				batch[k] = benchPerson(rng, j+k)
			}
			if _, err := s.RegisterBatch(batch); err != nil {
				b.Fatal(err)
			}
		}
		perSec := bulk / time.Since(t0).Seconds()
		// Durable: 500 single saves on top of them.
		lat := make([]time.Duration, 500)
		for j := range lat {
			t0 := time.Now()
			if _, err := s.Register(benchPerson(rng, bulk+j)); err != nil {
				b.Fatal(err)
			}
			lat[j] = time.Since(t0)
		}
		p99 := percentile(lat, 0.99)
		// Unlock at the default parameters, best of three.
		p := vault.DefaultParams
		du, _, err := InitStandalone(b.TempDir(), StandaloneConfig{Country: "BIH", Station: "BENCH", Officer: "Officer Bench", Passphrase: []byte("correct horse battery")}, Options{Params: &p})
		if err != nil {
			b.Fatal(err)
		}
		o, _ := du.DefaultOfficer()
		// Interleaved with Argon2id alone, best of five each, so that a
		// busy moment does not fall on one side only.
		best, argon := time.Duration(1<<63-1), time.Duration(1<<63-1)
		for j := 0; j < 5; j++ {
			argon = min(argon, limits.Argon2idOnce())
			t0 := time.Now()
			us, err := du.Unlock(o.ID, []byte("correct horse battery"))
			if err != nil {
				b.Fatal(err)
			}
			best = min(best, time.Since(t0))
			us.Lock()
		}
		du.Close()

		b.ReportMetric(float64(p99.Microseconds())/1000, "save-p99-ms")
		b.ReportMetric(float64(p99)/float64(c.DurableInsertP99), "save-p99/insert-p99")
		b.ReportMetric(perSec, "bulk-reg/s")
		b.ReportMetric(perSec/c.BulkRowsPerSec, "bulk-reg/row")
		b.ReportMetric(float64(best.Microseconds())/1000, "unlock-ms")
		b.ReportMetric(float64((best-argon).Microseconds())/1000, "unlock-over-argon2id-ms")
	}
}

// BenchmarkSweep100k is a tablet's expiry sweep over 100,000 records
// (FIELDREG_BENCH_RECORDS to change it), 1% of them past their period:
// 99% irregular crossings (five years) and 1% temporary protection (one
// year), registered 400 days before the sweep. Run it once:
// go test -run XXX -bench Sweep100k -benchtime 1x ./device/
func BenchmarkSweep100k(b *testing.B) {
	n := 100000
	if v := os.Getenv("FIELDREG_BENCH_RECORDS"); v != "" {
		fmt.Sscan(v, &n)
	}
	d, clk := newTestDevice(b)
	s := unlock(b, d)
	rng := rand.New(rand.NewPCG(4, 4))
	for i := 0; i < n; i += 5000 {
		batch := make([]*registry.Person, min(5000, n-i))
		for j := range batch {
			batch[j] = benchPerson(rng, i+j)
			batch[j].Category = registry.CategoryIrregular
			if (i+j)%100 == 0 {
				batch[j].Category = registry.CategoryTempProtected
			}
		}
		if _, err := s.RegisterBatch(batch); err != nil {
			b.Fatal(err)
		}
	}
	clk.t = clk.t.AddDate(0, 0, 400)
	b.ResetTimer()
	t0 := time.Now()
	gone, err := s.SweepExpired(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(t0).Seconds(), "sweep-s")
	b.ReportMetric(float64(len(gone)), "erased")
	if len(gone) != (n+99)/100 {
		b.Fatalf("erased %d, want %d", len(gone), (n+99)/100)
	}
}

// mergeRecent merges the device's recent search rows into the index
// (store.MergeRecent).
func mergeRecent(d *Device) error { return d.st.MergeRecent(context.Background()) }
