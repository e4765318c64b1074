package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// chunkBody is evs as a device pushes them (wire frames).
func chunkBody(t *testing.T, evs []*registry.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw := wire.NewWriter(&buf)
	for _, e := range evs {
		if err := fw.Event(wire.EncodeEvent(e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.Close(false); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Three pushes arriving together at a hub on SQLite are stored in groups
// (group commit),
// here two chunks in the first transaction (groupEvents) and the third in
// the next; one chunk holds a damaged event. Every request is answered
// with what was done with its own chunk: the damaged event quarantined
// with its reason, its neighbours and the other chunks stored, each
// acknowledged once stored. On the back end the test runs on
// (FIELDREG_HUB_BACKEND=postgres: PostgreSQL, where each push is stored on
// its own, the answers the same).
func TestPushesStoredTogether(t *testing.T) {
	const per = 5
	h := newTestHub(t, "BIH", false)
	d := enrolDev(t, h, "tab-group", "POST-1", "all")
	people := make([]*registry.Person, 3*per)
	for i := range people {
		people[i] = &registry.Person{FamilyName: "Fakegroup", GivenNames: "Testee", Sex: "X", BirthDate: registry.Date{Year: 1990, Month: 1, Day: 2},
			Nationalities: []string{"XXA"}, Category: registry.CategoryIrregular,
			Encounter: registry.Encounter{Kind: "apprehension", Place: "Fake crossing point", At: time.Now().Add(-time.Hour)}}
	}
	evs := registrations(t, d, people, time.Now().Add(-time.Hour))
	damaged := evs[per+2] // in the second chunk
	damaged.Sig[0] ^= 1
	old := groupEvents
	groupEvents = 2 * per
	t.Cleanup(func() { groupEvents = old })
	var groups []int // events in each group, as its leader starts it
	h.group.beforeGroup = func() {
		g := &h.group
		if len(groups) == 0 && h.groupsCommits() { // the first leader waits for the three requests
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
				g.mu.Lock()
				n := len(g.queue)
				g.mu.Unlock()
				if n == 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Error("the pushes were not queued together")
					break
				}
			}
		}
		g.mu.Lock()
		groups = append(groups, len(g.queue))
		g.mu.Unlock()
	}
	handler := h.Handler()
	replies := make([]wire.PushReply, 3)
	var wg sync.WaitGroup
	for c := range 3 {
		body := chunkBody(t, evs[c*per:(c+1)*per])
		wg.Go(func() {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, asDevice(httptest.NewRequest("POST", wire.PathPush, bytes.NewReader(body)), d))
			if rec.Code != http.StatusOK {
				t.Errorf("chunk %d: %d %s", c, rec.Code, rec.Body)
				return
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &replies[c]); err != nil {
				t.Errorf("chunk %d: %v", c, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Two leaders: the first stored two chunks (the queue held three),
	// the second the third. (PostgreSQL stores each push on its own.)
	if !h.groupsCommits() {
		if len(groups) != 0 {
			t.Errorf("groups on PostgreSQL: %v", groups)
		}
	} else if len(groups) != 2 || groups[0] != 3 || groups[1] != 1 {
		t.Errorf("groups (queued as each leader started): %v, want [3 1]", groups)
	}
	for c, rep := range replies {
		want := per
		if c == 1 {
			want = per - 1
			if len(rep.Quarantined) != 1 || rep.Quarantined[0].Event != damaged.ID() || rep.Quarantined[0].Reason == "" {
				t.Errorf("chunk 1: quarantined %+v, want the damaged event with its reason", rep.Quarantined)
			}
		} else if len(rep.Quarantined) != 0 {
			t.Errorf("chunk %d: quarantined %+v", c, rep.Quarantined)
		}
		if rep.Accepted != want || rep.Duplicates != 0 {
			t.Errorf("chunk %d: accepted %d, duplicates %d; want %d, 0", c, rep.Accepted, rep.Duplicates, want)
		}
	}
	ctx := context.Background()
	for _, e := range evs {
		got, err := h.st.RecordEvents(ctx, e.Record)
		if err != nil {
			t.Fatal(err)
		}
		if stored := len(got) == 1; stored != (e != damaged) || len(got) > 1 {
			t.Errorf("event %s stored %d times", e.ID(), len(got))
		}
	}
	// Pushed again, together: every event a duplicate, the damaged one
	// quarantined again; nothing stored twice.
	h.group.beforeGroup = nil
	for c := range 3 {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, asDevice(httptest.NewRequest("POST", wire.PathPush, bytes.NewReader(chunkBody(t, evs[c*per:(c+1)*per]))), d))
		var rep wire.PushReply
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &rep) != nil || rep.Accepted != 0 {
			t.Errorf("chunk %d again: %d %s", c, rec.Code, rec.Body)
		}
	}
}
