package device

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// occupancyFixture lists 50 centres and writes events occupancy events
// (FIELDREG_BENCH_EVENTS overrides the count) through the device's own write
// path, four per person: referred, checked in, absent, back. It returns the
// session and the centres' codes.
func occupancyFixture(b *testing.B, events int) (*Session, []string) {
	if v := os.Getenv("FIELDREG_BENCH_EVENTS"); v != "" {
		fmt.Sscan(v, &events)
	}
	d, _ := newTestDevice(b)
	s := unlock(b, d)
	var codes []string
	for i := 0; i < 50; i++ {
		c := trust.Centre{Code: fmt.Sprintf("BIH-BENCH-%02d", i), Name: fmt.Sprintf("Bench Centre %d", i), Place: "Benchgrad",
			Kind: "temporary_reception", Status: "open",
			Capacity: map[string]int{"single_men": 800, "single_women": 200, "families": 400, "unaccompanied_children": 40, "vulnerable": 100}}
		if _, err := s.SetCentre(c, true); err != nil {
			b.Fatal(err)
		}
		codes = append(codes, c.Code)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	people := events / 4
	for i := 0; i < people; i += 1000 {
		batch := make([]*registry.Person, min(1000, people-i))
		for j := range batch {
			batch[j] = benchPerson(rng, i+j)
		}
		ids, err := s.RegisterBatch(batch)
		if err != nil {
			b.Fatal(err)
		}
		s.mu.RLock()
		s.d.writeMu.Lock()
		err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
			for j, id := range ids {
				occ := &registry.Occupancy{Centre: codes[(i+j)%len(codes)], Section: registry.SectionSingleMen}
				for _, op := range []string{registry.OpRefer, registry.OpCheckIn, registry.OpAbsent, registry.OpCheckIn} {
					if _, err := s.recordEvent(tx, id, op, &registry.Change{Stay: occ}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		s.d.writeMu.Unlock()
		s.mu.RUnlock()
		if err != nil {
			b.Fatal(err)
		}
	}
	return s, codes
}

// BenchmarkCapacity50x100k is the capacity view (every section of 50
// centres: beds, residents, referrals, free places) on a device holding
// 100,000 occupancy events. Target: under 50 ms.
func BenchmarkCapacity50x100k(b *testing.B) {
	s, _ := occupancyFixture(b, 100_000)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		views, err := s.Capacity()
		if err != nil || len(views) != 50 {
			b.Fatalf("%d centres, %v", len(views), err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkCheckInReceipt checks in, by the text of their receipt (verified
// offline), a person referred to a centre, on the device of
// BenchmarkCapacity50x100k. Target: under 100 ms.
func BenchmarkCheckInReceipt(b *testing.B) {
	s, codes := occupancyFixture(b, 100_000)
	rng := rand.New(rand.NewPCG(6, 6))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id, err := s.Register(benchPerson(rng, 1_000_000+i))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Refer([]string{id}, codes[i%len(codes)], ReferralOptions{}); err != nil {
			b.Fatal(err)
		}
		r, err := s.IssueReceipt(id)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		in, err := s.CheckInReceipt(codes[i%len(codes)], r.Text, "")
		if err != nil || len(in.IDs) != 1 {
			b.Fatalf("%+v %v", in, err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}
