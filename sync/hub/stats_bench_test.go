//go:build unix

package hub

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// seedYear writes into h's aggregate the cells that n registrations spread
// over the year 2026 make: 12 stations, the five categories, 25
// nationalities, every sex and age group, children, and two in five in
// families of two to five, registered together. Writing cells directly stands for counting n
// registrations as they arrive (which TestStatsKnownCounts checks); the
// query path measured is the real one.
func seedYear(tb testing.TB, h *Hub, n int) {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	nats := []string{"AFG", "SYR", "PAK", "MAR", "IRQ", "TUR", "BGD", "IND", "IRN", "DZA", "TUN", "EGY", "LBY", "CUB", "NPL",
		"ERI", "SOM", "SDN", "PSE", "LKA", "BDI", "COD", "CMR", "NGA", "XXA"}
	sexes := []string{"F", "M", "M", "M", "X", "U"}
	sum := map[stats.Key]int64{}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	group, left := "", 0
	var prev stats.Fact
	for i := 0; i < n; i++ {
		f := stats.Fact{
			Day:         stats.Day(start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))),
			Station:     fmt.Sprintf("BIH-POST-%02d", r.IntN(12)),
			Category:    registry.Categories[r.IntN(len(registry.Categories))],
			Nationality: nats[min(r.IntN(len(nats)), r.IntN(len(nats)))],
			Sex:         sexes[r.IntN(len(sexes))],
			Age:         stats.AgeGroups[r.IntN(len(stats.AgeGroups))],
		}
		if r.IntN(30) == 0 {
			f.Vulnerabilities = []string{registry.VulnUnaccompaniedChild}
		}
		if left == 0 && r.IntN(5) < 2 {
			group, left = fmt.Sprintf("g%07d", i), 2+r.IntN(4)
		}
		if left > 0 {
			if f.Group = group; prev.Group == group {
				// A family is registered together: same day, post and category.
				f.Day, f.Station, f.Category = prev.Day, prev.Station, prev.Category
			}
			left--
		}
		prev = f
		f.Transmission = stats.OnTime
		for _, c := range f.Cells() {
			sum[c.Key()]++
		}
	}
	cells := make([]stats.Cell, 0, len(sum))
	for k, v := range sum {
		cells = append(cells, stats.Cell{Day: k.Day, Station: k.Station, Category: k.Category, Dim: k.Dim, Code: k.Code, N: v})
	}
	for len(cells) > 0 {
		m := min(len(cells), 50_000)
		if err := h.st.Update(context.Background(), func(tx hubstore.Tx) error { return hubstore.PutCounted(tx, h.records, nil, cells[:m]) }); err != nil {
			tb.Fatal(err)
		}
		cells = cells[m:]
	}
	tb.Logf("%d registrations: %d aggregate rows", n, len(sum))
}

// BenchmarkStatsYear is `reghub stats` for a year over 1,000,000
// registrations (target: under 1 s), on the back end of the run
// (FIELDREG_HUB_BACKEND=postgres under .ci/pg: PostgreSQL).
func BenchmarkStatsYear(b *testing.B) {
	h := newTestHub(b, "BIH", false)
	seedYear(b, h, 1_000_000)
	q, err := stats.NewQuery("2026-01-01", "2026-12-31", "week")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		f, err := h.Stats(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if f.Total != 1_000_000 {
			b.Fatalf("total %v", f.Total)
		}
	}
	// On a shared machine the wall-clock ns/op includes waiting for a
	// core; the process's CPU time per query is reported beside it.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkCountBatch is what sealing costs the counting of arrivals: one
// batch of 500 registrations' cells (spread over a week of 12 stations)
// added to a sealed aggregate already holding a year of 1,000,000
// (every row touched is opened, summed and sealed again). ns/op is per
// batch; the metric reg/s is registrations counted per second.
func BenchmarkCountBatch(b *testing.B) {
	h := newTestHub(b, "BIH", false)
	seedYear(b, h, 1_000_000)
	r := rand.New(rand.NewPCG(3, 4))
	var cells []stats.Cell
	for i := 0; i < 500; i++ {
		f := stats.Fact{Day: fmt.Sprintf("2026-06-%02d", 1+r.IntN(7)), Station: fmt.Sprintf("BIH-POST-%02d", r.IntN(12)),
			Category: registry.Categories[r.IntN(len(registry.Categories))], Nationality: "AFG", Sex: "M", Age: stats.Age18to34, Transmission: stats.OnTime}
		cells = append(cells, f.Cells()...)
	}
	ctx := context.Background()
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if err := h.st.Update(ctx, func(tx hubstore.Tx) error { return hubstore.PutCounted(tx, h.records, nil, cells) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(500*float64(b.N)/b.Elapsed().Seconds(), "reg/s")
}

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
