package hub

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/enrol"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// BenchmarkSweep1M is the hub's daily expiry sweep over 1,000,000 records
// (FIELDREG_BENCH_RECORDS to change it) of which 1% (10,000) are past their
// period: obviously fake registrations, 99% irregular crossings registered
// 400 days ago (five years to go) and 1% temporary protection (one year:
// due). Run it once: go test -run XXX -bench Sweep1M -benchtime 1x ./sync/hub/
func BenchmarkSweep1M(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("FIELDREG_BENCH_RECORDS"); v != "" {
		fmt.Sscan(v, &n)
	}
	dir := b.TempDir()
	if err := Init(context.Background(), dir, InitConfig{Country: "BIH", Passphrase: pass}, lowOpts()); err != nil {
		b.Fatal(err)
	}
	h, err := Open(context.Background(), dir, pass, lowOpts())
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	e, err := h.Enrol(context.Background(), EnrolConfig{Name: "bench", Station: "BIH-BENCH", Scope: "all"})
	if err != nil {
		b.Fatal(err)
	}
	p, err := enrol.Open(e.File, e.Code)
	if err != nil {
		b.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(p.SignSeed)
	rk, _ := seal.KeyFromBytes(p.RecordsKey)
	base := time.Now().AddDate(0, 0, -400).UnixMilli()
	const chunk = 20000
	for first := 0; first < n; first += chunk {
		evs := make([]*registry.Event, min(chunk, n-first))
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < len(evs); i += workers {
					seq := uint64(first + i + 1)
					cat := registry.CategoryIrregular
					if seq%100 == 0 {
						cat = registry.CategoryTempProtected
					}
					id, _ := registry.NewRegID("BIH", nil)
					per := &registry.Person{FamilyName: fmt.Sprintf("Fakesweep%d", seq), GivenNames: "Testee Example", Sex: "X",
						BirthDate: registry.Date{Year: 1990}, Nationalities: []string{"XXA"}, Category: cat,
						Encounter: registry.Encounter{Kind: "apprehension", Place: "Fake crossing point", At: time.UnixMilli(base)},
						Notes:     "synthetic benchmark record"}
					ev := &registry.Event{Origin: p.DeviceID, Epoch: 1, Seq: seq, HLC: registry.MakeHLC(base+int64(seq), 0), Officer: "bench",
						Record: id, Op: registry.OpRegister}
					if err := ev.SealChange(rk, &registry.Change{Fields: registry.FieldsOf(per)}); err != nil {
						panic(err)
					}
					ev.Sign(key)
					evs[i] = ev
				}
			}(w)
		}
		wg.Wait()
		if err := h.st.Update(context.Background(), func(tx hubstore.Tx) error {
			_, err := tx.InsertEvents(evs, time.Now())
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	t0 := time.Now()
	erased, err := h.SweepExpired(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(t0).Seconds(), "sweep-s")
	b.ReportMetric(float64(erased), "erased")
	if erased != n/100 {
		b.Fatalf("erased %d, want %d", erased, n/100)
	}
}
