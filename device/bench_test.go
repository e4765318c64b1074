package device

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/vault"
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

// BenchmarkBulkImport registers people in batches as `fieldreg register`
// does, and reports registrations per second.
func BenchmarkBulkImport(b *testing.B) {
	d, _ := newTestDevice(b)
	s := unlock(b, d)
	rng := rand.New(rand.NewPCG(2, 2))
	var walPeak int64 // the WAL file after each durable commit
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i += 5000 { // as cli.batchSize
		n := min(5000, b.N-i)
		batch := make([]*registry.Person, n)
		for j := range batch {
			batch[j] = benchPerson(rng, i+j)
		}
		if _, err := s.RegisterBatch(batch); err != nil {
			b.Fatal(err)
		}
		if fi, err := os.Stat(filepath.Join(d.Dir(), store.FileName+"-wal")); err == nil {
			walPeak = max(walPeak, fi.Size())
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "records/s")
	b.ReportMetric(float64(walPeak)/(1<<20), "WAL-peak-MiB")
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
	queries := func(i int) string {
		switch i % 3 {
		case 0:
			return names[(i*7919)%len(names)]
		case 1:
			return ids[i%len(ids)]
		}
		return fmt.Sprintf("X%08d", i%n)
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
