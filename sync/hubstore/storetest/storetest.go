// Package storetest is the conformance suite every hubstore.Store back end
// passes: the same behaviour, checked the same way, on SQLite and
// PostgreSQL.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// StatKey seals the aggregate in the suite (a fixed test key).
var StatKey = func() *seal.Key {
	k, err := seal.KeyFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		panic(err)
	}
	return k
}()

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) hubstore.Store) {
	t.Run("Meta", func(t *testing.T) { testMeta(t, open(t)) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open(t)) })
	t.Run("Ingest", func(t *testing.T) { testIngest(t, open(t)) })
	t.Run("ConcurrentLogs", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("Credentials", func(t *testing.T) { testCredentials(t, open(t)) })
	t.Run("Region", func(t *testing.T) { testRegion(t, open(t)) })
	t.Run("Pushed", func(t *testing.T) { testPushed(t, open(t)) })
	t.Run("Rollback", func(t *testing.T) { testRollback(t, open(t)) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, open(t)) })
	t.Run("Erase", func(t *testing.T) { testErase(t, open(t)) })
	t.Run("DropEntry", func(t *testing.T) { testDropEntry(t, open(t)) })
	t.Run("Stats", func(t *testing.T) { testStats(t, open(t)) })
	t.Run("StatsSealed", func(t *testing.T) { testStatsSealed(t, open(t)) })
	t.Run("StatsConcurrent", func(t *testing.T) { testStatsConcurrent(t, open(t)) })
	t.Run("Operators", func(t *testing.T) { testOperators(t, open(t)) })
	t.Run("Occupancy", func(t *testing.T) { testOccupancy(t, open(t)) })
	t.Run("Pending", func(t *testing.T) { testPending(t, open(t)) })
}

// testPending: the records of the events a chunk stores are pending in the
// same transaction; taken off in order, once each; a taking rolled back
// leaves them pending.
func testPending(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	now := time.UnixMilli(1_700_000_000_000).UTC()
	ev := func(seq uint64, rec string) hubstore.Arrival {
		return hubstore.Arrival{Event: &registry.Event{Origin: "dev-p", Epoch: 1, Seq: seq, HLC: registry.MakeHLC(now.UnixMilli(), 0),
			Officer: "o", Record: rec, Op: registry.OpRegister, Payload: []byte{byte(seq)}, Sig: []byte("sig")}}
	}
	list := func() []string {
		t.Helper()
		ids, err := s.Pending(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	// A quarantined event makes nothing pending; a replay adds nothing.
	bad := ev(9, "BIH-Q")
	bad.Reason = "bad signature"
	for range 2 {
		err := s.Update(ctx, func(tx hubstore.Tx) error {
			_, err := tx.Ingest([]hubstore.Arrival{ev(1, "BIH-B"), ev(2, "BIH-A"), ev(3, "BIH-B"), bad}, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := list(); !slices.Equal(got, []string{"BIH-A", "BIH-B"}) {
		t.Fatalf("pending %v", got)
	}
	if got, err := s.Pending(ctx, "BIH-A", 100); err != nil || !slices.Equal(got, []string{"BIH-B"}) {
		t.Fatalf("pending after BIH-A: %v %v", got, err)
	}
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx hubstore.Tx) error {
		if got, err := tx.TakePending(10, false); err != nil || len(got) != 2 {
			return fmt.Errorf("took %v: %v", got, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := list(); len(got) != 2 {
		t.Fatalf("a rolled back taking lost %v", got)
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error { return tx.AddPending([]string{"BIH-C", "BIH-A"}) }); err != nil {
		t.Fatal(err)
	}
	var took [][]string
	for range 3 {
		err := s.Update(ctx, func(tx hubstore.Tx) error {
			got, err := tx.TakePending(2, true)
			took = append(took, got)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(took) != "[[BIH-A BIH-B] [BIH-C] []]" {
		t.Fatalf("taken %v", took)
	}
}

func testOccupancy(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	at := time.UnixMilli(1_700_000_000_000).UTC()
	err := s.Update(ctx, func(tx hubstore.Tx) error {
		if _, err := tx.Stay("BIH-TEST-0001"); !errors.Is(err, hubstore.ErrNotFound) {
			return fmt.Errorf("absent stay: %v", err)
		}
		if err := tx.PutStay("BIH-TEST-0001", true, []byte("sealed-1")); err != nil {
			return err
		}
		if err := tx.PutStay("BIH-TEST-0002", false, []byte("sealed-2")); err != nil {
			return err
		}
		for _, d := range []hubstore.OccupancyRow{
			{Centre: "BIH-ONE", Section: "families", Referred: 4, AsOf: at},
			{Centre: "BIH-ONE", Section: "families", Referred: -4, Residents: 4, Absent: 1, AsOf: at.Add(-time.Hour)},
			{Centre: "BIH-ONE", Section: "single_men", Residents: 2, AsOf: at.Add(time.Hour)},
		} {
			if err := tx.AddOccupancy(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A transaction that fails adds nothing.
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx hubstore.Tx) error {
		if err := tx.AddOccupancy(hubstore.OccupancyRow{Centre: "BIH-ONE", Section: "families", Residents: 100, AsOf: at}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	rows, err := s.Occupancy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []hubstore.OccupancyRow{
		{Centre: "BIH-ONE", Section: "families", Residents: 4, Absent: 1, AsOf: at},
		{Centre: "BIH-ONE", Section: "single_men", Residents: 2, AsOf: at.Add(time.Hour)},
	}
	if len(rows) != len(want) {
		t.Fatalf("occupancy %+v", rows)
	}
	for i := range want {
		if rows[i].Centre != want[i].Centre || rows[i].Section != want[i].Section || rows[i].Residents != want[i].Residents ||
			rows[i].Referred != want[i].Referred || rows[i].Absent != want[i].Absent || !rows[i].AsOf.Equal(want[i].AsOf) {
			t.Errorf("row %d: %+v, want %+v", i, rows[i], want[i])
		}
	}
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		if b, err := tx.Stay("BIH-TEST-0001"); err != nil || string(b) != "sealed-1" {
			return fmt.Errorf("stay = %q, %v", b, err)
		}
		if err := tx.DeleteStay("BIH-TEST-0002"); err != nil {
			return err
		}
		return tx.PutOccupancy(hubstore.OccupancyRow{Centre: "BIH-ONE", Section: "single_men", Residents: 7, AsOf: at})
	})
	if err != nil {
		t.Fatal(err)
	}
	var stays []string
	if err := s.Stays(ctx, func(id string, open bool, b []byte) error {
		stays = append(stays, fmt.Sprintf("%s %v %s", id, open, b))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(stays) != 1 || stays[0] != "BIH-TEST-0001 true sealed-1" {
		t.Errorf("stays %q", stays)
	}
	if rows, _ := s.Occupancy(ctx); len(rows) != 2 || rows[1].Residents != 7 {
		t.Errorf("put occupancy: %+v", rows)
	}
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		for _, r := range []hubstore.DayRow{
			{Day: "2026-03-01", Centre: "BIH-ONE", Arrivals: 4},
			{Day: "2026-03-01", Centre: "BIH-ONE", Arrivals: 1, Departures: 2},
			{Day: "2026-03-02", Centre: "BIH-ONE", Departures: 1},
			{Day: "2026-03-09", Centre: "BIH-TWO", Arrivals: 1},
		} {
			if err := tx.AddDay(r, false); err != nil {
				return err
			}
		}
		return tx.AddDay(hubstore.DayRow{Day: "2026-03-02", Centre: "BIH-TWO", Arrivals: 3}, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	days, err := s.Days(ctx, "2026-03-01", "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	want2 := []hubstore.DayRow{{Day: "2026-03-01", Centre: "BIH-ONE", Arrivals: 5, Departures: 2},
		{Day: "2026-03-02", Centre: "BIH-ONE", Departures: 1}, {Day: "2026-03-02", Centre: "BIH-TWO", Arrivals: 3}}
	if !slices.Equal(days, want2) {
		t.Errorf("days %+v, want %+v", days, want2)
	}
}

// Event makes a fake event (no real signature: stores do not check them).
func Event(origin string, seq uint64, record string) *registry.Event {
	return &registry.Event{Origin: origin, Epoch: 1, Seq: seq, HLC: registry.HLC(1000 + seq), Officer: "officer-test",
		Record: record, Op: "register", Payload: []byte(fmt.Sprintf("sealed-%s-%d", origin, seq)), Sig: bytes.Repeat([]byte{byte(seq)}, 64)}
}

func insert(t *testing.T, s hubstore.Store, evs ...*registry.Event) []bool {
	t.Helper()
	var got []bool
	err := s.Update(context.Background(), func(tx hubstore.Tx) error {
		var err error
		got, err = tx.InsertEvents(evs, time.Unix(1_700_000_000, 0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func testMeta(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	if _, err := s.GetMeta(ctx, "k"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("absent meta: %v", err)
	}
	for _, v := range []string{"one", "two"} {
		if err := s.Update(ctx, func(tx hubstore.Tx) error { return tx.PutMeta("k", []byte(v)) }); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.GetMeta(ctx, "k"); err != nil || string(v) != "two" {
		t.Fatalf("meta = %q, %v", v, err)
	}
	err := s.Update(ctx, func(tx hubstore.Tx) error {
		for _, v := range []string{"first", "second"} {
			got, err := tx.PutMetaOnce("once", []byte(v))
			if err != nil || string(got) != "first" {
				return fmt.Errorf("put once = %q, %v", got, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Metas(ctx)
	if err != nil || string(m["k"]) != "two" {
		t.Fatalf("metas = %v, %v", m, err)
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error { return tx.DeleteSecretMeta("k") }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetMeta(ctx, "k"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("deleted meta: %v", err)
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error { return tx.DeleteSecretMeta("absent") }); err != nil {
		t.Fatalf("deleting an absent setting: %v", err)
	}
}

func testEvents(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	// 1, 2, 4 then 3: the mark stops at the gap and jumps when it closes.
	got := insert(t, s, Event("dev-a", 1, "R1"), Event("dev-a", 2, "R1"), Event("dev-a", 4, "R2"))
	if !got[0] || !got[1] || !got[2] {
		t.Fatalf("stored = %v", got)
	}
	k := vector.Key{Origin: "dev-a", Epoch: 1}
	if v, _ := s.Heads(ctx); v[k] != 2 {
		t.Fatalf("heads with a gap = %v", v)
	}
	if got := insert(t, s, Event("dev-a", 2, "R1"), Event("dev-a", 3, "R2")); got[0] || !got[1] {
		t.Fatalf("replay stored = %v", got)
	}
	if v, _ := s.Heads(ctx); v[k] != 4 {
		t.Fatalf("heads after the gap closed = %v", v)
	}
	// The same key twice in one batch (a forked log in one chunk): the
	// first is stored, the second reported as not stored.
	fork := Event("dev-a", 5, "R-FORK")
	fork.Payload = []byte("another payload")
	if got := insert(t, s, Event("dev-a", 5, "R2"), fork); !got[0] || got[1] {
		t.Fatalf("a key twice in a batch: stored = %v", got)
	}
	if n, _ := s.CountEvents(ctx); n != 5 {
		t.Fatalf("count = %d", n)
	}
	var seqs []uint64
	err := s.EventRange(ctx, vector.Range{Key: k, From: 2, To: 3}, func(e *registry.Event) error { seqs = append(seqs, e.Seq); return nil })
	if err != nil || fmt.Sprint(seqs) != "[2 3]" {
		t.Fatalf("range = %v, %v", seqs, err)
	}
	stop := errors.New("stop")
	if err := s.Events(ctx, func(*registry.Event) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("fn's error = %v", err)
	}
	evs, err := s.RecordEvents(ctx, "R2")
	if err != nil || len(evs) != 3 {
		t.Fatalf("record events = %d, %v", len(evs), err)
	}
	want := Event("dev-a", 3, "R2")
	slices.SortFunc(evs, func(a, b *registry.Event) int { return int(a.Seq) - int(b.Seq) })
	if e := evs[0]; e.Origin != want.Origin || e.HLC != want.HLC || !bytes.Equal(e.Payload, want.Payload) || !bytes.Equal(e.Sig, want.Sig) || e.Officer != want.Officer || e.Op != want.Op {
		t.Fatalf("event read back differs: %+v", e)
	}
	if ids, _ := s.Records(ctx); fmt.Sprint(ids) != "[R1 R2]" {
		t.Fatalf("records = %v", ids)
	}
	if ids, _ := s.MultiEventRecords(ctx); fmt.Sprint(ids) != "[R1 R2]" {
		t.Fatalf("multi = %v", ids)
	}
	now := time.UnixMilli(1_700_000_000_000)
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		if _, err := tx.Event(registry.EventID{Origin: "dev-a", Epoch: 1, Seq: 9}); !errors.Is(err, hubstore.ErrNotFound) {
			return fmt.Errorf("absent event: %v", err)
		}
		old, err := tx.Event(registry.EventID{Origin: "dev-a", Epoch: 1, Seq: 1})
		if err != nil || old.Record != "R1" {
			return fmt.Errorf("event 1: %v", err)
		}
		fork := Event("dev-a", 1, "R9")
		for range 2 {
			if err := tx.Quarantine(fork, "forked log", now); err != nil {
				return err
			}
		}
		for range 2 {
			if err := tx.Flag(old.ID(), "future", now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q, err := s.Quarantined(ctx)
	if err != nil || len(q) != 1 || q[0].Record != "R9" || q[0].Reason != "forked log" || !q[0].Received.Equal(now) {
		t.Fatalf("quarantined = %+v, %v", q, err)
	}
	if n, _ := s.CountFlags(ctx, "future"); n != 1 {
		t.Fatalf("flags = %d", n)
	}
}

// testIngest stores a chunk as a push or a bundle does: the good events
// stored, a replay counted once, a fork and the refused events quarantined,
// the slot of a lost one passed by the log's mark, a future stamp flagged;
// and a chunk that fails leaves nothing behind.
func testIngest(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	now := time.UnixMilli(1_700_000_000_000)
	k := vector.Key{Origin: "dev-a", Epoch: 1}
	ingest := func(ctx context.Context, evs ...hubstore.Arrival) (got hubstore.Ingested, err error) {
		err = s.Update(ctx, func(tx hubstore.Tx) (err error) {
			got, err = tx.Ingest(evs, now)
			return err
		})
		return got, err
	}
	if _, err := ingest(ctx, hubstore.Arrival{Event: Event("dev-a", 1, "R1")}); err != nil {
		t.Fatal(err)
	}
	fork := Event("dev-a", 1, "R1")
	fork.Payload = []byte("another payload")
	got, err := ingest(ctx, []hubstore.Arrival{
		{Event: Event("dev-a", 1, "R1")}, // a replay
		{Event: fork},
		{Event: Event("dev-a", 2, "R2"), Reason: "bad content", Lost: true},
		{Event: Event("dev-a", 3, "R3"), Future: true},
		{Event: Event("dev-b", 1, "R4"), Reason: "bad signature"}, // relayed: its slot is not lost
		{Event: Event("dev-a", 4, "R3")},
	}...)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, q := range got.Quarantined {
		reasons[q.Event.String()] = q.Reason
	}
	if got.Accepted != 2 || got.Duplicates != 1 || got.Flagged != 1 || len(reasons) != 3 ||
		reasons["dev-a/1/1"] != "forked log" || reasons["dev-a/1/2"] != "bad content" || reasons["dev-b/1/1"] != "bad signature" {
		t.Fatalf("ingested = %+v", got)
	}
	v, err := s.Heads(ctx)
	if err != nil || v[k] != 4 || v[vector.Key{Origin: "dev-b", Epoch: 1}] != 0 {
		t.Fatalf("heads = %v, %v (want dev-a past its lost slot 2, nothing of dev-b)", v, err)
	}
	if holes, _ := s.Holes(ctx, k, 1, 4, 10); len(holes) != 1 || holes[0].Seq != 2 {
		t.Fatalf("holes = %v", holes)
	}
	if q, _ := s.Quarantined(ctx); len(q) != 3 {
		t.Fatalf("quarantined = %+v", q)
	}
	if n, _ := s.CountFlags(ctx, hubstore.FlagFuture); n != 1 {
		t.Fatalf("flagged = %d", n)
	}
	// A chunk cancelled before it is stored leaves nothing.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ingest(cancelled, hubstore.Arrival{Event: Event("dev-c", 1, "R5")}); err == nil {
		t.Fatal("a cancelled ingest succeeded")
	}
	if n, _ := s.CountEvents(ctx); n != 3 {
		t.Fatalf("events after a cancelled ingest = %d, want 3", n)
	}
}

// testConcurrent stores 8 logs from 8 writers at once, each log's events
// in random order and split between two writers: every event is stored
// once and every mark reaches the top.
func testConcurrent(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	const logs, per, chunk = 8, 120, 10
	var wg sync.WaitGroup
	var stored sync.Map
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			origin := fmt.Sprintf("dev-%d", w%logs)
			seqs := rand.Perm(per)
			for i := 0; i < per; i += chunk {
				var evs []*registry.Event
				for _, s := range seqs[i : i+chunk] {
					evs = append(evs, Event(origin, uint64(s+1), "R"))
				}
				err := s.Update(ctx, func(tx hubstore.Tx) error {
					got, err := tx.InsertEvents(evs, time.Now())
					for j, ok := range got {
						if ok {
							if _, dup := stored.LoadOrStore(evs[j].ID(), true); dup {
								return fmt.Errorf("%v stored twice", evs[j].ID())
							}
						}
					}
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	v, err := s.Heads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for l := range logs {
		if h := v[vector.Key{Origin: fmt.Sprintf("dev-%d", l), Epoch: 1}]; h != per {
			t.Errorf("dev-%d: mark %d, want %d", l, h, per)
		}
	}
	if n, _ := s.CountEvents(ctx); n != logs*per {
		t.Fatalf("count = %d", n)
	}
}

func testCredentials(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	enrolled := time.Unix(1_700_000_000, 0).UTC()
	err := s.Update(ctx, func(tx hubstore.Tx) error {
		if err := tx.PutCredential(hubstore.CredentialRow{DeviceID: "dev-b", Credential: []byte("cred-b"), Station: "Post 1", Enrolled: enrolled}); err != nil {
			return err
		}
		if err := tx.PutCredential(hubstore.CredentialRow{DeviceID: "dev-a", Credential: []byte("cred-a"), Station: "Post 2", Scope: "station", Enrolled: enrolled}); err != nil {
			return err
		}
		if err := tx.SetRevoked("dev-none", enrolled); !errors.Is(err, hubstore.ErrNotFound) {
			return fmt.Errorf("revoking an unknown device: %v", err)
		}
		return tx.SetRevoked("dev-b", enrolled.Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.TouchCredential(ctx, "dev-a", enrolled.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A credential put again (a re-admitted country) does not undo a revocation.
	if err := s.Update(ctx, func(tx hubstore.Tx) error {
		return tx.PutCredential(hubstore.CredentialRow{DeviceID: "dev-b", Credential: []byte("cred-b2"), Station: "Post 1"})
	}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Credentials(ctx)
	if err != nil || len(rows) != 2 {
		t.Fatalf("credentials = %v, %v", rows, err)
	}
	a, b := rows[0], rows[1]
	if a.DeviceID != "dev-a" || a.Scope != "station" || !a.LastSync.Equal(enrolled.Add(2*time.Hour)) || !a.RevokedAt.IsZero() || !a.Enrolled.Equal(enrolled) {
		t.Fatalf("dev-a = %+v", a)
	}
	if b.DeviceID != "dev-b" || b.Scope != "all" || string(b.Credential) != "cred-b2" || !b.RevokedAt.Equal(enrolled.Add(time.Hour)) {
		t.Fatalf("dev-b = %+v", b)
	}
}

func testRegion(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	tok := []byte("token-1")
	err := s.Update(ctx, func(tx hubstore.Tx) error {
		if err := tx.PutCredential(hubstore.CredentialRow{DeviceID: "client-bih", Credential: []byte("c"), Station: "BIH", Scope: "country"}); err != nil {
			return err
		}
		if err := tx.AdmitCountry("client-bih", "BIH", "full"); err != nil {
			return err
		}
		if err := tx.AdmitCountry("client-srb", "SRB", "index"); err != nil {
			return err
		}
		if err := tx.PutEntry("BIH", hubstore.Entry{Ref: "REF1", Date: "2026-01", Place: "P", Category: "asylum",
			Tokens: []hubstore.Token{{Token: tok, Kind: "name"}, {Token: tok, Kind: "name"}}, Details: []byte("sealed")}, now); err != nil {
			return err
		}
		return tx.PutEntry("SRB", hubstore.Entry{Ref: "REF2", Date: "2026-02", Place: "Q", Category: "transit",
			Tokens: []hubstore.Token{{Token: tok, Kind: "dob"}}}, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.CountrySharing(ctx, "client-bih"); err != nil || v != "full" {
		t.Fatalf("sharing = %q, %v", v, err)
	}
	if _, err := s.CountrySharing(ctx, "client-none"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("unknown client: %v", err)
	}
	hits, err := s.TokenHits(ctx, tok, "SRB", 10)
	if err != nil || len(hits) != 1 || hits[0] != (hubstore.TokenHit{Country: "BIH", Ref: "REF1", Kind: "name", Date: "2026-01", Place: "P", Category: "asylum"}) {
		t.Fatalf("hits = %+v, %v", hits, err)
	}
	if hits, _ := s.TokenHits(ctx, tok, "XXX", 1); len(hits) != 1 {
		t.Fatalf("limit: %d hits", len(hits))
	}
	if d, err := s.FedDetails(ctx, "BIH", "REF1"); err != nil || string(d) != "sealed" {
		t.Fatalf("details = %q, %v", d, err)
	}
	// The record sent again without details and a new token: replaced whole.
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		return tx.PutEntry("BIH", hubstore.Entry{Ref: "REF1", Date: "2026-03", Place: "P", Category: "asylum",
			Tokens: []hubstore.Token{{Token: []byte("token-2"), Kind: "name"}}}, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.FedDetails(ctx, "BIH", "REF1"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("details after an index-only push: %v", err)
	}
	if hits, _ := s.TokenHits(ctx, tok, "SRB", 10); len(hits) != 0 {
		t.Fatalf("old token still hits: %+v", hits)
	}
	cs, err := s.FedCountries(ctx)
	if err != nil || len(cs) != 2 || cs[0].Country != "BIH" || cs[0].Records != 1 || cs[0].DataSets != 0 || cs[1].Sharing != "index" {
		t.Fatalf("countries = %+v, %v", cs, err)
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error {
		if err := tx.PutEntry("BIH", hubstore.Entry{Ref: "REF3", Details: []byte("d")}, now); err != nil {
			return err
		}
		if err := tx.SetRevoked("client-bih", now); err != nil {
			return err
		}
		return tx.DropDetails("BIH")
	}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.FedCountries(ctx); cs[0].DataSets != 0 || !cs[0].Revoked || cs[0].Records != 2 {
		t.Fatalf("after drop: %+v", cs)
	}
}

func testPushed(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	insert(t, s, Event("dev-a", 1, "R1"), Event("dev-a", 2, "R2"), Event("dev-a", 3, "R2"), Event("dev-a", 4, "R3"))
	p, err := s.Unpushed(ctx, "", 2)
	if err != nil || len(p) != 2 || p[0] != (hubstore.Pushed{Record: "R1", N: 1, HLC: 1001}) || p[1] != (hubstore.Pushed{Record: "R2", N: 2, HLC: 1003}) {
		t.Fatalf("unpushed = %+v, %v", p, err)
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error { return tx.MarkPushed(p[1]) }); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Unpushed(ctx, "R1", 10); len(p) != 1 || p[0].Record != "R3" {
		t.Fatalf("after R1 = %+v", p)
	}
	if n, _ := s.CountUnpushed(ctx); n != 2 {
		t.Fatalf("count = %d", n)
	}
	insert(t, s, Event("dev-a", 5, "R2")) // R2 changed: pushed again
	if n, _ := s.CountUnpushed(ctx); n != 3 {
		t.Fatalf("count after a change = %d", n)
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error {
		for _, r := range []string{"R1", "R2", "R3"} {
			evs, _ := s.RecordEvents(ctx, r)
			var h int64
			for _, e := range evs {
				h = max(h, int64(e.HLC))
			}
			if err := tx.MarkPushed(hubstore.Pushed{Record: r, N: int64(len(evs)), HLC: h}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountUnpushed(ctx); n != 0 {
		t.Fatalf("count after marking all = %d", n)
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error { return tx.ForgetPushed() }); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountUnpushed(ctx); n != 3 {
		t.Fatalf("count after forgetting = %d", n)
	}
}

// testRollback: an error inside Update leaves nothing of the transaction.
func testRollback(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx hubstore.Tx) error {
		if _, err := tx.InsertEvents([]*registry.Event{Event("dev-a", 1, "R1")}, time.Now()); err != nil {
			return err
		}
		if err := tx.PutMeta("k", []byte("v")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if n, _ := s.CountEvents(ctx); n != 0 {
		t.Fatalf("%d events after a rollback", n)
	}
	if v, _ := s.Heads(ctx); len(v) != 0 {
		t.Fatalf("heads after a rollback = %v", v)
	}
	if _, err := s.GetMeta(ctx, "k"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("meta after a rollback: %v", err)
	}
}

// testCancelled: every operation given a cancelled context fails with the
// context's error and writes nothing.
func testCancelled(t *testing.T, s hubstore.Store) {
	insert(t, s, Event("dev-a", 1, "R1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checks := map[string]error{}
	_, checks["GetMeta"] = s.GetMeta(ctx, "k")
	_, checks["Metas"] = s.Metas(ctx)
	_, checks["Heads"] = s.Heads(ctx)
	checks["EventRange"] = s.EventRange(ctx, vector.Range{Key: vector.Key{Origin: "dev-a", Epoch: 1}, From: 1, To: 1}, func(*registry.Event) error { return nil })
	checks["Events"] = s.Events(ctx, func(*registry.Event) error { return nil })
	_, checks["RecordEvents"] = s.RecordEvents(ctx, "R1")
	_, checks["Records"] = s.Records(ctx)
	_, checks["CountEvents"] = s.CountEvents(ctx)
	_, checks["Quarantined"] = s.Quarantined(ctx)
	_, checks["CountFlags"] = s.CountFlags(ctx, "future")
	_, checks["Credentials"] = s.Credentials(ctx)
	checks["TouchCredential"] = s.TouchCredential(ctx, "dev-a", time.Now())
	checks["Update"] = s.Update(ctx, func(tx hubstore.Tx) error { return tx.PutMeta("k", []byte("v")) })
	for name, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v", name, err)
		}
	}
	if _, err := s.GetMeta(context.Background(), "k"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("a cancelled update wrote: %v", err)
	}
}

// testErase: the record's payloads are dropped (or, where drop refuses, the
// events deleted and their slots made holes) but for the kept event; other
// records are untouched; the tombstone is written; the logs' marks hold.
func testErase(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	at := time.Unix(1_700_000_100, 0)
	reg, amend, old, erase := Event("dev-a", 1, "R1"), Event("dev-a", 2, "R1"), Event("dev-b", 1, "R1"), Event("dev-a", 3, "R1")
	erase.Op = registry.OpErase
	other := Event("dev-b", 2, "R2")
	insert(t, s, reg, amend, old, erase, other)
	// R1 was counted: its counts stay after erasure, its fact goes.
	cell := stats.Cell{Day: "2026-01-02", Station: "S1", Category: "irregular_crossing", Dim: stats.DimTotal, N: 1}
	err := s.Update(ctx, func(tx hubstore.Tx) error {
		return hubstore.PutCounted(tx, StatKey, []hubstore.Fact{{Record: "R1", Sealed: []byte("fact-r1")}}, []stats.Cell{cell})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Erased(ctx, "R1"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("tombstone before erasure: %v", err)
	}
	errOld := errors.New("format 1")
	drop := func(e *registry.Event) error {
		if e.Origin == "dev-b" {
			return errOld
		}
		e.Payload = []byte("dropped")
		return nil
	}
	for i := 0; i < 2; i++ { // twice: the second changes nothing
		err := s.Update(ctx, func(tx hubstore.Tx) error {
			if gone, err := tx.Erased("R1"); err != nil || gone != (i == 1) {
				return fmt.Errorf("erased before round %d: %v %v", i, gone, err)
			}
			among, err := tx.ErasedAmong([]string{"R0", "R1", "R2"})
			if err != nil || len(among) != i || among["R1"] != (i == 1) {
				return fmt.Errorf("erased among, before round %d: %v %v", i, among, err)
			}
			if none, err := tx.ErasedAmong(nil); err != nil || len(none) != 0 {
				return fmt.Errorf("erased among nothing: %v %v", none, err)
			}
			return tx.EraseRecord("R1", erase.ID(), drop, at)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Erased(ctx, "R1"); err != nil || !got.Equal(at) {
		t.Fatalf("tombstone: %v %v", got, err)
	}
	evs, err := s.RecordEvents(ctx, "R1")
	if err != nil {
		t.Fatal(err)
	}
	payloads := map[registry.EventID]string{}
	for _, e := range evs {
		payloads[e.ID()] = string(e.Payload)
	}
	if len(evs) != 3 || payloads[reg.ID()] != "dropped" || payloads[amend.ID()] != "dropped" || payloads[erase.ID()] != string(erase.Payload) {
		t.Fatalf("after erasure: %v", payloads)
	}
	if e, _ := s.RecordEvents(ctx, "R2"); len(e) != 1 || string(e[0].Payload) != string(other.Payload) {
		t.Fatal("another record was touched")
	}
	holes, err := s.Holes(ctx, vector.Key{Origin: "dev-b", Epoch: 1}, 1, 5, 10)
	if err != nil || len(holes) != 1 || holes[0] != old.ID() {
		t.Fatalf("holes = %v, %v", holes, err)
	}
	heads, _ := s.Heads(ctx)
	if heads[vector.Key{Origin: "dev-b", Epoch: 1}] != 2 || heads[vector.Key{Origin: "dev-a", Epoch: 1}] != 3 {
		t.Fatalf("heads after erasure: %v", heads)
	}
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		if _, err := tx.RecordFact("R1"); !errors.Is(err, hubstore.ErrNotFound) {
			return fmt.Errorf("the erased record's fact is still stored: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cellsOf(t, s, "2026-01-01", "2026-01-31"); len(got) == 0 {
		t.Fatal("erasure took back the counts")
	}
	if got, err := s.Uncounted(ctx, "", 10); err != nil || slices.Contains(got, "R1") {
		t.Fatalf("the erased record waits to be counted again: %v %v", got, err)
	}
	if err := s.Scrub(ctx); err != nil {
		t.Fatal(err)
	}
}

func testDropEntry(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	tok := []byte("token-drop")
	err := s.Update(ctx, func(tx hubstore.Tx) error {
		if err := tx.AdmitCountry("client-bih", "BIH", "full"); err != nil {
			return err
		}
		for _, ref := range []string{"REF1", "REF2"} {
			if err := tx.PutEntry("BIH", hubstore.Entry{Ref: ref, Date: "2026-01", Place: "P", Category: "asylum",
				Tokens: []hubstore.Token{{Token: tok, Kind: "name"}}, Details: []byte("sealed")}, now); err != nil {
				return err
			}
		}
		return tx.DropEntry("BIH", "REF1")
	})
	if err != nil {
		t.Fatal(err)
	}
	hits, err := s.TokenHits(ctx, tok, "SRB", 10)
	if err != nil || len(hits) != 1 || hits[0].Ref != "REF2" {
		t.Fatalf("hits after drop: %+v %v", hits, err)
	}
	if _, err := s.FedDetails(ctx, "BIH", "REF1"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("details after drop: %v", err)
	}
	n := 0
	_ = s.Entries(ctx, func(country string, e hubstore.Entry, _ time.Time) error { n++; return nil })
	if n != 1 {
		t.Fatalf("%d entries after drop", n)
	}
}

// cellsOf reads the aggregate of a period into a map "day/station/category/dim/code" -> n.
func cellsOf(t *testing.T, s hubstore.Store, from, to string) map[string]int64 {
	t.Helper()
	return filtered(t, s, stats.Filter{From: from, To: to})
}

func filtered(t *testing.T, s hubstore.Store, f stats.Filter) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	err := hubstore.StatScan(s, StatKey)(context.Background(), f, func(c stats.Cell) error {
		got[c.Day+"/"+c.Station+"/"+c.Category+"/"+c.Dim+"/"+c.Code] += c.N
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func testStats(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	insert(t, s, Event("dev-a", 1, "R1"), Event("dev-a", 2, "R2"), Event("dev-b", 1, "R3"))
	if got, err := s.Uncounted(ctx, "", 10); err != nil || !slices.Equal(got, []string{"R1", "R2", "R3"}) {
		t.Fatalf("uncounted = %v, %v", got, err)
	}
	if got, err := s.Uncounted(ctx, "R1", 1); err != nil || !slices.Equal(got, []string{"R2"}) {
		t.Fatalf("uncounted after R1 = %v, %v", got, err)
	}
	cell := func(day, dim, code string, n int64) stats.Cell {
		return stats.Cell{Day: day, Station: "S1", Category: "irregular_crossing", Dim: dim, Code: code, N: n}
	}
	err := s.Update(ctx, func(tx hubstore.Tx) error {
		if _, err := tx.RecordFact("R1"); !errors.Is(err, hubstore.ErrNotFound) {
			return fmt.Errorf("fact of an uncounted record: %v", err)
		}
		if cs, err := tx.ToCount([]string{"R2", "R9"}); err != nil || len(cs[0].Received) != 1 || cs[0].Received[0].Unix() != 1_700_000_000 {
			return fmt.Errorf("received = %+v, %v", cs, err)
		} else if len(cs[1].Events) != 0 {
			return fmt.Errorf("events of an absent record: %d", len(cs[1].Events))
		}
		// Events inserted in this transaction are seen by the counting.
		if _, err := tx.InsertEvents([]*registry.Event{Event("dev-a", 3, "R1")}, time.Now()); err != nil {
			return err
		}
		if cs, err := tx.ToCount([]string{"R1"}); err != nil || len(cs[0].Events) != 2 {
			return fmt.Errorf("record events in the transaction = %+v, %v", cs, err)
		}
		return hubstore.PutCounted(tx, StatKey, []hubstore.Fact{{Record: "R1", Sealed: []byte("sealed-1")}, {Record: "R2", Sealed: []byte("sealed-2")}},
			[]stats.Cell{cell("2026-01-05", stats.DimTotal, "", 1), cell("2026-01-05", stats.DimTotal, "", 1),
				cell("2026-01-05", stats.DimNationality, "AFG", 2), cell("2026-01-06", stats.DimTotal, "", 1), cell("2026-01-06", stats.DimNationality, "SYR", 1),
				cell("2025-01-06", stats.DimTotal, "", 4)})
	})
	if err != nil {
		t.Fatal(err)
	}
	got := cellsOf(t, s, "2026-01-01", "2026-01-31")
	want := map[string]int64{"2026-01-05/S1/irregular_crossing/total/": 2, "2026-01-06/S1/irregular_crossing/total/": 1,
		"/S1/irregular_crossing/nationality/AFG": 2, "/S1/irregular_crossing/nationality/SYR": 1, "///group/groups": 0, "///group/people": 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("cells = %v, want %v", got, want)
	}
	if got, err := s.Uncounted(ctx, "", 10); err != nil || !slices.Equal(got, []string{"R3"}) {
		t.Fatalf("uncounted = %v, %v", got, err)
	}
	// What the counting pass reads of a batch: tombstone, fact, events
	// with when they were received (this transaction's included).
	rollback := errors.New("rolled back")
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		if err := tx.EraseRecord("R2", registry.EventID{}, func(*registry.Event) error { return nil }, time.Now()); err != nil {
			return err
		}
		if _, err := tx.InsertEvents([]*registry.Event{Event("dev-b", 2, "R3")}, time.UnixMilli(1_700_000_500_000)); err != nil {
			return err
		}
		got, err := tx.ToCount([]string{"R1", "R2", "R3", "R9"})
		if err != nil {
			return err
		}
		if len(got) != 4 {
			return fmt.Errorf("to count: %d entries", len(got))
		}
		r1, r2, r3, r9 := got[0], got[1], got[2], got[3]
		switch {
		case r1.Record != "R1" || r1.Erased || string(r1.Fact) != "sealed-1" || len(r1.Events) != 2 || len(r1.Received) != 2:
			return fmt.Errorf("R1: %+v", r1)
		case r2.Record != "R2" || !r2.Erased:
			return fmt.Errorf("R2: %+v", r2)
		case r3.Record != "R3" || r3.Fact != nil || len(r3.Events) != 2:
			return fmt.Errorf("R3: %+v", r3)
		case r9.Record != "R9" || r9.Erased || r9.Fact != nil || len(r9.Events) != 0:
			return fmt.Errorf("R9: %+v", r9)
		}
		for i, e := range r3.Events {
			if want := map[uint64]int64{1: 1_700_000_000, 2: 1_700_000_500}[e.Seq]; r3.Received[i].Unix() != want || e.Record != "R3" {
				return fmt.Errorf("R3 event %d received %v, want %d", e.Seq, r3.Received[i], want)
			}
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	// Taking back: a row that comes to zero is gone; a fact is replaced.
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		if b, err := tx.RecordFact("R1"); err != nil || string(b) != "sealed-1" {
			return fmt.Errorf("fact = %q, %v", b, err)
		}
		return hubstore.PutCounted(tx, StatKey, []hubstore.Fact{{Record: "R1", Sealed: []byte("sealed-1b")}},
			[]stats.Cell{cell("2026-01-06", stats.DimNationality, "SYR", -1), cell("2026-01-06", stats.DimNationality, "IRN", 1)})
	})
	if err != nil {
		t.Fatal(err)
	}
	got = cellsOf(t, s, "2026-01-06", "2026-01-06")
	want = map[string]int64{"2026-01-06/S1/irregular_crossing/total/": 1, "/S1/irregular_crossing/nationality/IRN": 1, "///group/groups": 0, "///group/people": 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("cells after taking back = %v, want %v", got, want)
	}
	// A failed transaction adds nothing.
	_ = s.Update(ctx, func(tx hubstore.Tx) error {
		if err := hubstore.PutCounted(tx, StatKey, nil, []stats.Cell{cell("2026-01-06", stats.DimTotal, "", 5)}); err != nil {
			return err
		}
		return errors.New("rolled back")
	})
	if got := cellsOf(t, s, "2026-01-06", "2026-01-06"); got["2026-01-06/S1/irregular_crossing/total/"] != 1 {
		t.Fatalf("a rolled-back count stayed: %v", got)
	}
	if got := cellsOf(t, s, "2030-01-01", "2030-12-31"); len(got) != 2 || got["///group/groups"] != 0 {
		t.Fatalf("an empty period: %v", got)
	}
	// Groups are counted by distinct code, within the filter; totals
	// keep to the filter too.
	g := func(station, code string, n int64) stats.Cell {
		return stats.Cell{Day: "2026-02-10", Station: station, Category: "irregular_crossing", Dim: stats.DimGroup, Code: code, N: n}
	}
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		return hubstore.PutCounted(tx, StatKey, nil, []stats.Cell{g("S1", "g1", 2), g("S2", "g2", 3), g("S2", "g1", 1),
			{Day: "2026-02-10", Station: "S2", Category: "irregular_crossing", Dim: stats.DimTotal, N: 4}})
	})
	if err != nil {
		t.Fatal(err)
	}
	got = filtered(t, s, stats.Filter{From: "2026-02-01", To: "2026-02-28"})
	if got["///group/groups"] != 2 || got["///group/people"] != 6 {
		t.Fatalf("groups = %v", got)
	}
	got = filtered(t, s, stats.Filter{From: "2026-02-01", To: "2026-02-28", Station: "S1"})
	if got["///group/groups"] != 1 || got["///group/people"] != 2 || len(got) != 2 {
		t.Fatalf("groups at S1 = %v", got)
	}
	got = filtered(t, s, stats.Filter{From: "2026-02-01", To: "2026-02-28", Station: "S2", Category: "irregular_crossing"})
	if got["2026-02-10/S2/irregular_crossing/total/"] != 4 || got["///group/groups"] != 2 {
		t.Fatalf("S2 = %v", got)
	}
}

func testOperators(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	if _, err := s.Operator(ctx, "analyst-a"); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("absent account: %v", err)
	}
	at := time.Unix(1_700_000_000, 0).UTC()
	put := func(o hubstore.OperatorRow) {
		t.Helper()
		if err := s.Update(ctx, func(tx hubstore.Tx) error { return tx.PutOperator(o) }); err != nil {
			t.Fatal(err)
		}
	}
	put(hubstore.OperatorRow{Name: "analyst-b", Secret: []byte("secret-b"), Created: at})
	put(hubstore.OperatorRow{Name: "analyst-a", Secret: []byte("secret-a1"), Created: at})
	put(hubstore.OperatorRow{Name: "analyst-a", Secret: []byte("secret-a2"), Created: at.Add(time.Hour)})
	o, err := s.Operator(ctx, "analyst-a")
	if err != nil || string(o.Secret) != "secret-a2" || !o.Created.Equal(at.Add(time.Hour)) || o.Name != "analyst-a" {
		t.Fatalf("replaced account = %+v, %v", o, err)
	}
	all, err := s.Operators(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "analyst-a" || all[1].Name != "analyst-b" || string(all[1].Secret) != "secret-b" {
		t.Fatalf("accounts = %+v, %v", all, err)
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error { return tx.DeleteOperator("analyst-b") }); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error { return tx.DeleteOperator("analyst-b") }); !errors.Is(err, hubstore.ErrNotFound) {
		t.Fatalf("removing an absent account: %v", err)
	}
	if all, _ := s.Operators(ctx); len(all) != 1 {
		t.Fatalf("after removal: %+v", all)
	}
	// A failed transaction leaves the accounts as they were.
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		if err := tx.DeleteOperator("analyst-a"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := s.Operator(ctx, "analyst-a"); err != nil {
		t.Fatalf("rolled back removal: %v", err)
	}
}

// PlainCells are the rows an earlier reghub kept in plaintext, for the
// back ends' migration tests (SealMigration): labels and counts that must
// not be readable once sealed.
var PlainCells = []stats.Cell{
	{Day: "2026-03-02", Station: "KLADUSA-WEST", Category: "international_protection", Dim: stats.DimTotal, N: 731},
	{Day: "2026-03-02", Station: "KLADUSA-WEST", Category: "international_protection", Dim: stats.DimNationality, Code: "AFG", N: 731},
	{Day: "2026-03-02", Station: "KLADUSA-WEST", Category: "international_protection", Dim: stats.DimVulnerability, Code: "unaccompanied_child", N: 3},
	{Day: "2026-04-07", Station: "KLADUSA-WEST", Category: "irregular_crossing", Dim: stats.DimTotal, N: 5},
	{Day: "2026-04-07", Station: "KLADUSA-WEST", Category: "irregular_crossing", Dim: stats.DimNationality, Code: "SYR", N: 5},
}

// PlainLabels are strings of PlainCells that no byte of the database may
// hold after SealMigration.
var PlainLabels = []string{"KLADUSA-WEST", "international_protection", "unaccompanied_child", "AFG", "SYR"}

// SealMigration checks hubstore.SealPlainCells on s, whose plaintext
// tables hold PlainCells (written by the caller): the figures read the
// same from the sealed rows, the plaintext rows are gone, no sealed row
// holds a label, and a second run seals nothing more.
func SealMigration(t *testing.T, s hubstore.Store) {
	t.Helper()
	ctx := context.Background()
	n, err := hubstore.SealPlainCells(ctx, s, StatKey)
	if err != nil || n != len(PlainCells) {
		t.Fatalf("sealed %d rows, %v; want %d", n, err, len(PlainCells))
	}
	if n, err := hubstore.SealPlainCells(ctx, s, StatKey); err != nil || n != 0 {
		t.Fatalf("a second run sealed %d, %v", n, err)
	}
	got := cellsOf(t, s, "2026-03-01", "2026-04-30")
	want := map[string]int64{"2026-03-02/KLADUSA-WEST/international_protection/total/": 731, "2026-04-07/KLADUSA-WEST/irregular_crossing/total/": 5,
		"/KLADUSA-WEST/international_protection/nationality/AFG": 731, "/KLADUSA-WEST/irregular_crossing/nationality/SYR": 5,
		"/KLADUSA-WEST/international_protection/vulnerability/unaccompanied_child": 3, "///group/groups": 0, "///group/people": 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after sealing: %v, want %v", got, want)
	}
	// A part of a month reads the daily rows: the same counts.
	if got := cellsOf(t, s, "2026-03-02", "2026-03-02"); got["/KLADUSA-WEST/international_protection/nationality/AFG"] != 731 {
		t.Fatalf("a day after sealing: %v", got)
	}
	checkSealed(t, s)
	err = s.Update(ctx, func(tx hubstore.Tx) error {
		if cs, err := tx.TakePlainCells(); err != nil || len(cs) != 0 {
			return fmt.Errorf("plaintext rows left: %v %v", cs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkSealed reads every row of the aggregate as stored and fails if one
// holds a label of PlainLabels or opens without the key's binding.
func checkSealed(t *testing.T, s hubstore.Store) {
	t.Helper()
	rows := 0
	for _, kind := range []string{hubstore.RowTotals, hubstore.RowDays, hubstore.RowMonths} {
		err := s.StatRows(context.Background(), kind, "0000", "9999", func(p string, b []byte) error {
			rows++
			for _, l := range append(PlainLabels, "total", "nationality") {
				if bytes.Contains(b, []byte(l)) {
					return fmt.Errorf("row %s %s holds %q in plaintext", kind, p, l)
				}
			}
			if _, err := seal.Open(StatKey, b, seal.AD("hub", "stats", kind, p+"x")); err == nil {
				return fmt.Errorf("row %s %s opens bound to another period", kind, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if rows == 0 {
		t.Fatal("no sealed rows")
	}
}

// testStatsSealed: rows are sealed, bound to their period; the wrong key
// is refused with ErrStatRow; counts that come to zero leave no row.
func testStatsSealed(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	cells := slices.Clone(PlainCells)
	if err := s.Update(ctx, func(tx hubstore.Tx) error { return hubstore.PutCounted(tx, StatKey, nil, cells) }); err != nil {
		t.Fatal(err)
	}
	checkSealed(t, s)
	other, _ := seal.KeyFromBytes(bytes.Repeat([]byte{8}, 32))
	err := hubstore.StatScan(s, other)(ctx, stats.Filter{From: "2026-03-01", To: "2026-03-31"}, func(stats.Cell) error { return nil })
	if !errors.Is(err, hubstore.ErrStatRow) {
		t.Fatalf("the wrong key: %v", err)
	}
	for i := range cells {
		cells[i].N = -cells[i].N
	}
	if err := s.Update(ctx, func(tx hubstore.Tx) error { return hubstore.PutCounted(tx, StatKey, nil, cells) }); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{hubstore.RowTotals, hubstore.RowDays, hubstore.RowMonths} {
		_ = s.StatRows(ctx, kind, "0000", "9999", func(p string, _ []byte) error {
			t.Errorf("row %s %s left after every count was taken back", kind, p)
			return nil
		})
	}
}

// testStatsConcurrent: writers adding to the same rows at once lose no
// count (PostgreSQL locks the rows; SQLite serialises writers).
func testStatsConcurrent(t *testing.T, s hubstore.Store) {
	ctx := context.Background()
	const writers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				err := s.Update(ctx, func(tx hubstore.Tx) error {
					return hubstore.PutCounted(tx, StatKey, nil, []stats.Cell{
						{Day: "2026-05-04", Station: "S1", Category: "asylum", Dim: stats.DimTotal, N: 1},
						{Day: "2026-05-04", Station: "S1", Category: "asylum", Dim: stats.DimSex, Code: "F", N: 1}})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := cellsOf(t, s, "2026-05-01", "2026-05-31")
	if got["2026-05-04/S1/asylum/total/"] != writers*each || got["/S1/asylum/sex/F"] != writers*each {
		t.Fatalf("concurrent counts: %v", got)
	}
}
