package app

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/hub"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// serveHub serves h on a loopback port until the test ends.
func serveHub(t *testing.T, h *hub.Hub) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		h.Close()
	})
	return "https://" + ln.Addr().String()
}

// federatedHubs starts, in this process, a regional hub and two country
// hubs (BIH and SRB) that joined it, and returns the country hubs and
// their addresses.
func federatedHubs(t *testing.T) (bih *hub.Hub, bihURL string, srb *hub.Hub, srbURL string) {
	t.Helper()
	low := vault.LowParams
	opts := hub.Options{Params: &low}
	hp := []byte("hub passphrase for tests")
	rdir := filepath.Join(t.TempDir(), "region")
	if err := hub.Init(context.Background(), rdir, hub.InitConfig{Country: "WBR", Region: true, Passphrase: hp}, opts); err != nil {
		t.Fatal(err)
	}
	region, err := hub.Open(context.Background(), rdir, hp, opts)
	if err != nil {
		t.Fatal(err)
	}
	regionURL := serveHub(t, region)
	country := func(code string) (*hub.Hub, string) {
		dir := filepath.Join(t.TempDir(), code)
		if err := hub.Init(context.Background(), dir, hub.InitConfig{Country: code, Passphrase: hp}, opts); err != nil {
			t.Fatal(err)
		}
		e, err := region.EnrolCountrySharing(context.Background(), code, regionURL, federation.SharingIndex)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hub.Federate(context.Background(), dir, hp, e.File, e.Code, opts); err != nil {
			t.Fatal(err)
		}
		h, err := hub.Open(context.Background(), dir, hp, opts)
		if err != nil {
			t.Fatal(err)
		}
		return h, serveHub(t, h)
	}
	bih, bihURL = country("BIH")
	srb, srbURL = country("SRB")
	return bih, bihURL, srb, srbURL
}

// TestElsewhereAfterSaving: saving a registration asks the regional joint
// database at once; a person registered in another country is a hit shown
// beside the receipt, and on the record.
func TestElsewhereAfterSaving(t *testing.T) {
	bih, bihURL, srb, srbURL := federatedHubs(t)
	// Serbia registered the person earlier and pushed its index upstream.
	other := enrolledSession(t, srb, srbURL, "srb-tablet")
	p := syncFakePerson("Sample-Haddad", "Example Mohammed")
	p.Sex = registry.SexMale
	p.BirthDate = registry.Date{Year: 1984, Month: 2, Day: 29}
	earlier, err := other.Register(p)
	if err != nil {
		t.Fatal(err)
	}
	syncOrFail(t, other)
	if rep, err := srb.PushUpstream(context.Background()); err != nil || rep.Records != 1 {
		t.Fatalf("push: %+v %v", rep, err)
	}

	h := enrolledUI(t, bih, bihURL, "tablet", nil)
	h.u.sh.open(navRegister)
	// A transliteration variant of the same person, and a stranger.
	h.registerOne("Sample Hadad", "Example Muhammad", "Male", "1984-02-29")
	h.waitFor("the hit beside the receipt", func() bool { return h.shows("HIT: registered before") })
	if !h.shows("SRB, reference "+earlier) || !h.shows("registered") {
		t.Fatalf("the hit does not name the owning country and reference: %v", h.texts())
	}
	id := h.u.sh.reg.receipts.people[0].id

	// On the record.
	h.u.sh.open(navRecords)
	d := newDetailScreen(h.u, id, func() {})
	h.u.sh.show(navRecords, d.root)
	h.waitFor("the answer on the record", func() bool { return h.shows("HIT: registered before") && h.shows("SRB, reference "+earlier) })

	h.u.sh.open(navRegister)
	h.tap("Register next person")
	h.registerOne("Nobody-Sample", "Example Stranger", "Female", "1970-06-06")
	h.waitFor("the no-hit beside the receipt", func() bool { return h.shows("No hit: not registered in another country of region WBR") })

	// A family: the member known elsewhere is marked on their button.
	head := syncFakePerson("Sample-Hadad", "Example Stranger")
	member := syncFakePerson("Sample Haddad", "Example Muhammad")
	member.Sex, member.BirthDate = registry.SexMale, registry.Date{Year: 1984, Month: 2, Day: 29}
	ids, err := h.u.sess.RegisterGroup([]*registry.Person{head, member})
	if err != nil {
		t.Fatal(err)
	}
	h.u.sh.reg.showSaved([]*registry.Person{head, member}, ids, "")
	h.waitFor("the hit on the member's button", func() bool { return h.hasButton("2. Sample Haddad, Example Muhammad · HIT elsewhere") })
	if h.hasButton("1. Sample-Hadad, Example Stranger · HIT") {
		t.Error("the head of family, unknown elsewhere, is marked")
	}
}

// TestElsewhereWaitsForSync: with the hub out of reach the question waits,
// the receipt says so, and the answer appears on the record after the next
// sync, without the officer asking again.
func TestElsewhereWaitsForSync(t *testing.T) {
	bih, bihURL, _, _ := federatedHubs(t)
	h := enrolledUI(t, bih, bihURL, "tablet", nil)
	h.u.bgSync().base = device.SyncOptions{HubURL: closedURL(t)}
	h.u.sh.open(navRegister)
	h.registerOne("Sample-Haddad", "Example Lina", "Female", "1990-04-12")
	h.waitFor("the waiting question", func() bool { return h.shows("The question waits") })
	if !h.shows("the hub was not reachable") || !h.shows("asked at the next sync") {
		t.Fatalf("the waiting question is not explained: %v", h.texts())
	}
	id := h.u.sh.reg.receipts.people[0].id
	if n, err := h.u.sess.WaitingQuestions(); err != nil || n != 1 {
		t.Fatalf("waiting questions: %d %v", n, err)
	}
	// The sync screen counts it.
	h.showSync()
	h.waitFor("the question on the sync screen", func() bool {
		return h.shows("1 question whether people were registered elsewhere waits to be asked.")
	})

	// The record shows the waiting question; the next sync that reaches
	// the hub brings the answer, and the record shows it.
	h.u.sh.open(navRecords)
	d := newDetailScreen(h.u, id, func() {})
	h.u.sh.show(navRecords, d.root)
	h.waitFor("the waiting question on the record", func() bool { return h.shows("The question waits") })
	h.u.bgSync().base = device.SyncOptions{}
	h.u.bgSync().SyncNow(h.u.sess)
	h.waitFor("the answer after the sync", func() bool { return h.shows("No hit: not registered in another country of region WBR") })
	if n, _ := h.u.sess.WaitingQuestions(); n != 0 {
		t.Fatalf("%d questions still wait after the sync", n)
	}
	for _, s := range h.texts() {
		if strings.Contains(s, "The question waits") {
			t.Errorf("the record still says the question waits: %q", s)
		}
	}
}

// TestElsewhereText: every state of the question reads as plain words.
func TestElsewhereText(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.Local)
	hit := &wire.ElsewhereReply{Region: "WBR", Hits: []wire.Hit{{Country: "SRB", Ref: "SRB-TEST-0001", Date: "2026-11-01", Place: "SRB-SID",
		Category: registry.CategoryIrregular, Evidence: "names and birth year agree",
		Details: &wire.HitDetails{Surnames: "Fakename", Forenames: "Example"}}}}
	cases := []struct {
		name string
		a    device.ElsewhereAnswer
		ok   bool
		err  error
		want []string
		imp  widget.Importance
	}{
		{"never asked", device.ElsewhereAnswer{}, false, nil, []string{"Not asked yet"}, widget.MediumImportance},
		{"no hub", device.ElsewhereAnswer{}, false, device.ErrNoHub, []string{"no hub"}, widget.MediumImportance},
		{"waiting", device.ElsewhereAnswer{Waiting: true, Error: "the hub was not reachable"}, true, nil,
			[]string{"The question waits: the hub was not reachable.", "next sync"}, widget.MediumImportance},
		{"no hit", device.ElsewhereAnswer{Answered: at, Reply: &wire.ElsewhereReply{Region: "WBR"}}, true, nil,
			[]string{"No hit", "region WBR", "2026-11-20 09:30"}, widget.SuccessImportance},
		{"hit", device.ElsewhereAnswer{Answered: at, Reply: hit}, true, nil,
			[]string{"HIT", "SRB, reference SRB-TEST-0001, registered 2026-11-01 at SRB-SID, irregular border crossing (names and birth year agree)",
				"As registered there: FAKENAME, Example"}, widget.WarningImportance},
		{"asked again", device.ElsewhereAnswer{Answered: at, Reply: hit, Waiting: true}, true, nil,
			[]string{"HIT", "Asked again: the new answer comes with the next sync."}, widget.WarningImportance},
	}
	for _, c := range cases {
		text, imp := englishUI().elsewhereText(c.a, c.ok, c.err)
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q lacks %q", c.name, text, w)
			}
		}
		if imp != c.imp {
			t.Errorf("%s: importance %v, want %v", c.name, imp, c.imp)
		}
	}
}
