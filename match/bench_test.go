package match_test

import (
	"slices"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/match"
	"github.com/fieldreg/fieldreg/match/synth"
)

// BenchmarkSearch1M measures candidate search and scoring for one new
// registration among 1,000,000 stored records (synthetic, deterministic),
// and reports the 95th percentile latency. Half the queries are another
// registration of a stored person, half are new people.
func BenchmarkSearch1M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000 record index")
	}
	benchSearch(b, 1_000_000)
}

// BenchmarkSearch100k is the same over 100,000 records, quick to run.
func BenchmarkSearch100k(b *testing.B) { benchSearch(b, 100_000) }

func benchSearch(b *testing.B, n int) {
	t0 := time.Now()
	recs := synth.Records(n, 0.3, 1)
	x := match.NewIndex()
	for _, r := range recs {
		x.Add(r)
	}
	build := time.Since(t0)
	g := synth.New(2)
	queries := make([]match.Record, 2000)
	for i := range queries {
		if i%2 == 0 {
			queries[i] = g.Variant(recs[(i*7919)%len(recs)])
		} else {
			queries[i] = g.Person()
		}
	}
	var lat []time.Duration
	cands := 0
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		start := time.Now()
		m := x.Search(q, 10)
		lat = append(lat, time.Since(start))
		cands += len(m)
	}
	b.ReportMetric(build.Seconds(), "build-s")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkDuplicates100k runs the batch self-join of reghub dedup (without
// CSV) over 100,000 synthetic records.
func BenchmarkDuplicates100k(b *testing.B) {
	recs := synth.Records(100_000, 0.3, 3)
	for b.Loop() {
		x := match.NewIndex()
		for _, r := range recs {
			x.Add(r)
		}
		pairs := x.Duplicates(match.DefaultThreshold, 2)
		b.ReportMetric(float64(len(pairs)), "pairs")
	}
}
