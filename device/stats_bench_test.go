package device

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/stats/chart"
	"github.com/fieldreg/fieldreg/store"
)

// BenchmarkStatsScreen is the Statistics screen's computation (a year of
// figures and the year before, and its three charts) on a device holding 100,000 records
// (target: under 500 ms). The records' cells are written straight into
// the aggregate, as registering them would (TestStatsKnownCounts checks
// that); the query path, the check for records not counted yet included,
// is the real one.
func BenchmarkStatsScreen(b *testing.B) {
	d, _ := newTestDevice(b)
	s := unlock(b, d)
	r := rand.New(rand.NewPCG(3, 4))
	nats := []string{"AFG", "SYR", "PAK", "MAR", "IRQ", "TUR", "BGD", "IND", "IRN", "DZA", "TUN", "EGY", "ERI", "SOM", "XXA"}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var cells []stats.Cell
	for i := 0; i < 100_000; i++ {
		f := stats.Fact{
			Day:      stats.Day(start.Add(time.Duration(r.Int64N(int64(320 * 24 * time.Hour))))),
			Station:  "BIH-TEST-POST",
			Category: registry.Categories[r.IntN(len(registry.Categories))], Nationality: nats[r.IntN(len(nats))],
			Age: stats.AgeGroups[r.IntN(len(stats.AgeGroups))],
		}
		k := r.IntN(4)
		f.Sex = "MFXU"[k : k+1]
		if i%3 == 0 {
			f.Group = fmt.Sprintf("g%d", i/3)
		}
		cells = append(cells, f.Cells()...)
	}
	err := s.withKeys(func(*keys) error {
		return d.st.Update(context.Background(), func(tx *store.Tx) error {
			return tx.PutCounted([]store.Counted{{Record: "~bench", Fact: []byte{1}, Cells: cells}}, s.mergeDay)
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	q, err := stats.NewQuery("2026-01-01", "2026-12-31", "week")
	if err != nil {
		b.Fatal(err)
	}
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		f, err := s.Stats(context.Background(), q)
		if err != nil {
			b.Fatal(err)
		}
		if f.Total != 100_000 {
			b.Fatalf("total %v", f.Total)
		}
		// The screen's three charts, at the sizes it draws them.
		for _, draw := range []func(chart.Options) ([]byte, error){chart.SeriesOf(f).Draw, chart.NationalitiesOf(f).Draw, chart.AgeSexOf(f).Draw} {
			if _, err := draw(chart.Options{Width: 1100, Height: 520}); err != nil {
				b.Fatal(err)
			}
		}
	}
	// On a shared machine the wall-clock ns/op includes waiting for a
	// core; the process's CPU time per screen is reported beside it.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}
