package app

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// syncClock is a device clock the test can move forward.
type syncClock struct{ off atomic.Int64 }

func (c *syncClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *syncClock) advance(d time.Duration) { c.off.Add(int64(d)) }

// syncTestHub starts a hub in this process on a loopback port, with cheap
// Argon2 parameters. serve=false makes one that only enrols.
func syncTestHub(t *testing.T, serve bool) (*hub.Hub, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hub")
	hp := []byte("hub passphrase for tests")
	low := vault.LowParams
	if err := hub.Init(context.Background(), dir, hub.InitConfig{Country: "BIH", Passphrase: hp}, hub.Options{Params: &low}); err != nil {
		t.Fatal(err)
	}
	h, err := hub.Open(context.Background(), dir, hp, hub.Options{Params: &low})
	if err != nil {
		t.Fatal(err)
	}
	if !serve {
		t.Cleanup(func() { h.Close() })
		return h, ""
	}
	return h, serveHub(t, h)
}

// closedURL is an https address where nothing listens.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "https://" + addr
}

// newHarnessOpts is newHarness with device options (a movable clock).
func newHarnessOpts(t *testing.T, dir string, opts device.Options) *harness {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(func() { a.Quit() })
	h := &harness{t: t, q: make(chan func(), 1024)}
	h.u = New(a, dir, opts)
	h.u.manualSync = true // these tests start syncs themselves
	h.u.do = func(fn func()) { h.q <- fn }
	h.u.win.Resize(fyne.NewSize(1280, 800))
	t.Cleanup(func() {
		h.u.win.Close()
		h.drain(50 * time.Millisecond)
	})
	// Runs before the window closes: the sync goroutines end first.
	t.Cleanup(func() { h.u.bgSync().Stop() })
	return h
}

// enrolledUI sets up a device enrolled at hb (reaching the hub at url) and
// unlocks it in the UI.
func enrolledUI(t *testing.T, hb *hub.Hub, url, name string, clock *syncClock) *harness {
	t.Helper()
	e, err := hb.Enrol(context.Background(), hub.EnrolConfig{Name: name, Station: "BIH-" + strings.ToUpper(name), HubURL: url})
	if err != nil {
		t.Fatal(err)
	}
	opts := device.Options{Params: &vault.LowParams}
	if clock != nil {
		opts.Now = clock.now
	}
	dir := t.TempDir()
	d, err := device.InitEnrolled(dir, device.EnrolledConfig{File: e.File, Code: e.Code, Officer: "Officer Example", Passphrase: []byte(pass)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	h := newHarnessOpts(t, dir, opts)
	if h.u.screen != "unlock" {
		t.Fatalf("an enrolled device opens on %q, want unlock", h.u.screen)
	}
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })
	return h
}

// enrolledSession is a second device at hb, without a UI.
func enrolledSession(t *testing.T, hb *hub.Hub, url, name string) *device.Session {
	t.Helper()
	e, err := hb.Enrol(context.Background(), hub.EnrolConfig{Name: name, Station: "BIH-" + strings.ToUpper(name), HubURL: url})
	if err != nil {
		t.Fatal(err)
	}
	d, err := device.InitEnrolled(t.TempDir(), device.EnrolledConfig{File: e.File, Code: e.Code, Officer: "Officer " + name, Passphrase: []byte(pass)},
		device.Options{Params: &vault.LowParams})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := d.DefaultOfficer()
	s, err := d.Unlock(o.ID, []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Lock(); d.Close() })
	return s
}

func syncFakePerson(family, given string) *registry.Person {
	return &registry.Person{FamilyName: family, GivenNames: given, Sex: registry.SexOther, BirthDate: registry.Date{Year: 1990},
		Nationalities: []string{"XXA"}, Category: registry.CategoryIrregular,
		Encounter: registry.Encounter{Kind: "apprehension", Place: "Test crossing", At: time.Now().Add(-time.Hour).UTC()}}
}

func syncOrFail(t *testing.T, s *device.Session) {
	t.Helper()
	rep, err := s.Sync(context.Background(), device.SyncOptions{})
	if err != nil || !rep.Complete {
		t.Fatalf("sync: %+v %v", rep, err)
	}
}

// showSync opens a new sync screen in the shell and waits for it to load.
func (h *harness) showSync() *syncScreen {
	h.t.Helper()
	s := newSyncScreen(h.u)
	h.u.sh.show(navSync, s.root)
	h.waitFor("the sync screen", func() bool { return h.shows("Sync with the hub") || h.shows("This device has no hub") })
	return s
}

func (h *harness) hasButton(prefix string) bool {
	found := false
	h.walk(func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, prefix) {
			found = true
		}
	})
	return found
}

func TestSyncScreenStandalone(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.setUp()
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })
	h.showSync()
	if !h.shows("This device has no hub") {
		t.Fatalf("a standalone device does not say it has no hub: %v", h.texts())
	}
	if h.hasButton("Sync now") {
		t.Error("a standalone device offers a Sync button")
	}
	c := h.u.bgSync()
	c.Start(h.u.sess)
	if c.started {
		t.Error("background sync started on a standalone device")
	}
	b := h.u.newDeadlineBanner(nil)
	h.drain(50 * time.Millisecond)
	if b.shown() {
		t.Error("the deadline banner shows on a standalone device")
	}
}

func TestSyncNowAndDeadline(t *testing.T) {
	hb, url := syncTestHub(t, true)
	clock := &syncClock{}
	h := enrolledUI(t, hb, url, "tab1", clock)
	id, err := h.u.sess.Register(syncFakePerson("Fakeperson", "Example"))
	if err != nil {
		t.Fatal(err)
	}
	s := h.showSync()
	if !h.hasButton("Sync now") || !h.shows(url) {
		t.Fatalf("the sync screen lacks the button or the hub address: %v", h.texts())
	}
	h.waitFor("the waiting registration", func() bool {
		return len(s.pending.items) == 1 && h.shows("1 registration has not reached the hub yet")
	})
	if s.pending.items[0].ID != id {
		t.Fatalf("pending %s, want %s", s.pending.items[0].ID, id)
	}
	if !h.shows("71 h left") && !h.shows("72 h left") {
		t.Errorf("the waiting registration does not show about 72 hours left: %v", h.texts())
	}
	h.waitFor("the name in the list", func() bool { return h.shows("Fakeperson, Example") })
	if !h.shows("Last successful sync: never") || !h.shows("Waiting to be sent: 1 change (1 registration)") {
		t.Errorf("status: %v", h.texts())
	}

	// The banner: nothing at 72 hours; amber within 12; red once overdue.
	opened := false
	b := h.u.newDeadlineBanner(func() { opened = true })
	h.drain(50 * time.Millisecond)
	if b.shown() {
		t.Errorf("banner shown with 72 hours left: %q", b.text.Text)
	}
	clock.advance(65 * time.Hour)
	b.Refresh()
	h.waitFor("the amber banner", func() bool { return b.shown() })
	if b.text.Text != "1 registration must reach the hub within 6 hours — sync now." || b.text.Importance != widget.WarningImportance {
		t.Errorf("banner %q (importance %v)", b.text.Text, b.text.Importance)
	}
	clock.advance(10 * time.Hour)
	b.Refresh()
	h.waitFor("the red banner", func() bool { return strings.Contains(b.text.Text, "overdue") })
	if b.text.Importance != widget.DangerImportance {
		t.Error("an overdue registration is not shown in red")
	}
	s.reload()
	h.waitFor("overdue in the list", func() bool { return h.shows("overdue by 3 h") })

	// Sync now: progress with counts, then the result; nothing waits any more.
	var seen []string
	unsub := h.u.bgSync().subscribe(func(ev syncEvent) {
		if ev == syncProgressed && s.counts.Visible() {
			seen = append(seen, s.counts.Text)
		}
	})
	defer unsub()
	test.Tap(b.button) // the banner's Sync now: opens the sync screen and syncs
	if !opened {
		t.Error("the banner's button does not open the sync screen")
	}
	if !s.syncBtn.Disabled() {
		t.Error("Sync now stays enabled while syncing")
	}
	h.waitFor("the result", func() bool { return h.shows("Sync finished") })
	if !h.shows("Sent 1, received 0, refused 0, conflicts 0.") {
		t.Errorf("result: %v", h.texts())
	}
	if !strings.Contains(strings.Join(seen, "|"), "Sent 1 of 1, received 0 of 0") {
		t.Errorf("progress counts: %q", seen)
	}
	h.waitFor("the list to empty", func() bool {
		return len(s.pending.items) == 0 && h.shows("Nothing waiting: every registration made here has reached the hub.")
	})
	h.waitFor("the last sync time", func() bool { return h.shows("Last successful sync: just now") })
	h.waitFor("the banner to go", func() bool { return !b.shown() })
	if s.syncBtn.Disabled() {
		t.Error("Sync now stays disabled after the sync")
	}
}

func TestSyncErrorsAndHubAddress(t *testing.T) {
	hb, url := syncTestHub(t, true)
	other, otherURL := syncTestHub(t, true)
	_ = other
	h := enrolledUI(t, hb, closedURL(t), "tab2", nil)
	if _, err := h.u.sess.Register(syncFakePerson("Fakeperson", "Offline")); err != nil {
		t.Fatal(err)
	}
	s := h.showSync()
	h.tap("Sync now")
	h.waitFor("the unreachable message", func() bool {
		return h.shows("The hub cannot be reached. Your registrations are safe on this device; try again when there is a network.")
	})
	if len(s.pending.items) != 1 {
		t.Errorf("after a failed sync %d registrations wait, want 1", len(s.pending.items))
	}

	// A supervisor changes the address: a malformed one is refused.
	s.hubEntry.SetText("hub.example.org")
	h.tap("Save address")
	if !h.shows("starting with https://") {
		t.Fatalf("a malformed address is not refused: %v", h.texts())
	}
	// Another authority's hub: its certificate is not the pinned one.
	s.hubEntry.SetText(otherURL)
	h.tap("Save address")
	h.waitFor("the address saved", func() bool { return h.shows("Saved. The next sync goes to " + otherURL) })
	h.tap("Sync now")
	h.waitFor("the certificate message", func() bool {
		return h.shows("The hub's certificate does not match the one this device was enrolled with")
	})
	// The right hub: the sync completes.
	s.hubEntry.SetText(url)
	h.tap("Save address")
	h.waitFor("the address saved", func() bool { return h.shows("Saved. The next sync goes to " + url) })
	h.tap("Sync now")
	h.waitFor("the result", func() bool { return h.shows("Sync finished") })
	h.waitFor("the list to empty", func() bool { return len(s.pending.items) == 0 })

	// A revoked device is told so in plain words.
	if _, err := hb.Revoke(context.Background(), "tab2"); err != nil {
		t.Fatal(err)
	}
	h.tap("Sync now")
	h.waitFor("the revoked message", func() bool {
		return h.shows("This device was revoked by HQ: it can no longer sync. Contact your supervisor.")
	})
	// In a new session, the screen shows how the last attempt went.
	h.u.bgSync().Stop()
	h.showSync()
	h.waitFor("the last attempt", func() bool { return h.shows("The last attempt") && h.shows("revoked by HQ") })
}

func TestBackgroundSync(t *testing.T) {
	hb, url := syncTestHub(t, true)
	h := enrolledUI(t, hb, url, "tab3", nil)
	if _, err := h.u.sess.Register(syncFakePerson("Fakeperson", "Background")); err != nil {
		t.Fatal(err)
	}
	s := h.showSync()
	h.waitFor("the waiting registration", func() bool { return len(s.pending.items) == 1 })
	c := h.u.bgSync()
	c.Start(h.u.sess) // syncs at once, then every syncEvery
	if !c.started {
		t.Fatal("background sync did not start on an enrolled device")
	}
	h.waitFor("the automatic sync", func() bool { return h.shows("Automatic sync finished") })
	h.waitFor("the list to empty", func() bool { return len(s.pending.items) == 0 })
	c.Stop()
	if c.started || c.sess != nil || len(c.listeners) != 0 {
		t.Error("Stop left the controller running")
	}
	if s.pending.loader != nil {
		t.Error("Stop did not stop the screen's loader")
	}
}

func TestConflictsScreen(t *testing.T) {
	hb, url := syncTestHub(t, true)
	h := enrolledUI(t, hb, url, "tab4", nil)
	a := h.u.sess
	b := enrolledSession(t, hb, url, "tab5")
	id, err := a.Register(syncFakePerson("Fakeperson", "Original"))
	if err != nil {
		t.Fatal(err)
	}
	syncOrFail(t, a)
	syncOrFail(t, b)
	amend := func(s *device.Session, family, given string) {
		t.Helper()
		rv, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		p := rv.Person
		p.FamilyName, p.GivenNames = family, given
		if err := s.Amend(id, &p, "correction for the test"); err != nil {
			t.Fatal(err)
		}
	}
	// Both devices change the names without seeing each other.
	amend(b, "Fakeamended-Two", "Given Two")
	amend(a, "Fakeamended-One", "Given One")
	syncOrFail(t, b)
	syncOrFail(t, a)

	cs := newConflictsScreen(h.u)
	h.u.sh.show(navConflicts, cs.root)
	h.waitFor("the conflicts", func() bool { return len(cs.choices) == 4 })
	for _, want := range []string{"1 record has conflicts.", "Family name: 2 different values", "Fakeamended-One", "Fakeamended-Two",
		"on device tab5 (BIH-TAB5)", "Officer Example on device tab4 (BIH-TAB4)", "shown in the record now"} {
		if !h.shows(want) {
			t.Errorf("the conflicts screen does not show %q: %v", want, h.texts())
		}
	}
	// Keep the other device's family name.
	var keep *widget.Button
	for _, c := range cs.choices {
		if c.field == "family_name" && c.text == "Fakeamended-Two" {
			keep = c.button
		}
	}
	if keep == nil {
		t.Fatal("no Keep button for Fakeamended-Two")
	}
	test.Tap(keep)
	h.waitFor("the resolution", func() bool {
		return h.shows("Kept “Fakeamended-Two” as the family name") && len(cs.choices) == 2
	})
	// Merge the given names by typing.
	h.tap("Edit and keep")
	e := h.entry("type the right given names")
	e.SetText("")
	h.typeInto("type the right given names", "Given  Merged ")
	h.tap("Keep what I typed")
	h.waitFor("no conflicts", func() bool { return h.shows("No conflicts: nothing to resolve.") })
	rv, err := a.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if rv.Person.FamilyName != "Fakeamended-Two" || rv.Person.GivenNames != "Given Merged" || len(rv.Conflicts) != 0 {
		t.Fatalf("after resolving: %q %q conflicts %v", rv.Person.FamilyName, rv.Person.GivenNames, rv.Conflicts)
	}
	// The resolution reaches the other device.
	syncOrFail(t, a)
	syncOrFail(t, b)
	rb, err := b.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if rb.Person.FamilyName != "Fakeamended-Two" || rb.Person.GivenNames != "Given Merged" || len(rb.Conflicts) != 0 {
		t.Fatalf("the other device shows %q %q conflicts %v", rb.Person.FamilyName, rb.Person.GivenNames, rb.Conflicts)
	}
}

func TestEnrolScreen(t *testing.T) {
	hb, _ := syncTestHub(t, false)
	e, err := hb.Enrol(context.Background(), hub.EnrolConfig{Name: "tab6", Station: "BIH-TAB6", HubURL: "https://hub.example.org:8443"})
	if err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	good := filepath.Join(files, "tab6.enrol")
	bad := filepath.Join(files, "notes.txt")
	if err := os.WriteFile(good, e.File, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not an enrolment file"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, t.TempDir())
	t.Cleanup(func() { h.u.bgSync().Stop() })
	openPath := func(path string) {
		h.u.openFile = func(_ []string, done func(fyne.URIReadCloser)) {
			r, err := storage.Reader(storage.NewFileURI(path))
			if err != nil {
				t.Fatal(err)
			}
			done(r)
		}
	}
	h.u.showEnrol()
	if h.u.screen != "enrol" {
		t.Fatalf("screen %q, want enrol", h.u.screen)
	}
	// Nothing filled in: every missing piece is named.
	h.tap("Join this deployment")
	for _, want := range []string{"Choose the enrolment file first.", "Type the one-time code", "Enter the name of the first officer."} {
		if !h.shows(want) {
			t.Errorf("missing %q: %v", want, h.texts())
		}
	}
	openPath(bad)
	h.tap("Open enrolment file")
	h.waitFor("the refusal", func() bool { return h.shows("notes.txt is not an enrolment file") })
	openPath(good)
	h.tap("Open enrolment file")
	h.waitFor("the file", func() bool { return h.shows("Chosen: tab6.enrol") })

	// The code is read grouped; a short one is refused before any work.
	h.typeInto("e.g. 7KQ4M-2XD9T", "7kq4m 2x")
	if !h.shows("Read as 7KQ4M-2X (7 of 10 characters).") {
		t.Errorf("code hint: %v", h.texts())
	}
	h.typeInto("your name as colleagues know it", "Officer Enrolled")
	h.typeInto("at least 10 characters", pass)
	h.typeInto("type it again", pass)
	h.tap("Join this deployment")
	if !h.shows("Check the code.") {
		t.Fatalf("a short code is not refused: %v", h.texts())
	}
	// A wrong code of the right length.
	norm := strings.ReplaceAll(e.Code, "-", "")
	wrong := []byte(norm)
	if wrong[0] == 'A' {
		wrong[0] = 'B'
	} else {
		wrong[0] = 'A'
	}
	h.entry("e.g. 7KQ4M-2XD9T").SetText(string(wrong))
	h.tap("Join this deployment")
	h.waitFor("the wrong code", func() bool { return h.shows("This code does not open this file.") })
	if device.Initialised(h.u.dir) {
		t.Fatal("a wrong code set the device up")
	}
	// The right code, typed loosely: lower case, a space instead of the hyphen.
	h.entry("e.g. 7KQ4M-2XD9T").SetText(strings.ToLower(norm[:5]) + " " + strings.ToLower(norm[5:]))
	h.tap("Join this deployment")
	h.waitFor("the unlock screen", func() bool { return h.u.screen == "unlock" })
	if !h.shows("This device joined the deployment of BIH as tab6 at BIH-TAB6") {
		t.Errorf("no note on the unlock screen: %v", h.texts())
	}
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })
	if h.u.dev.Info().Standalone || !h.u.sess.Officer().Supervisor {
		t.Error("the joined device is standalone, or its first officer is not a supervisor")
	}
	h.showSync()
	if !h.shows("https://hub.example.org:8443") || !h.hasButton("Sync now") {
		t.Errorf("the joined device's sync screen: %v", h.texts())
	}
}

func TestSyncTexts(t *testing.T) {
	en := englishUI()
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{61*time.Hour + 30*time.Minute, "61 h left"}, {40 * time.Minute, "40 min left"}, {-20 * time.Minute, "overdue by 20 min"},
		{-3*time.Hour - 10*time.Minute, "overdue by 3 h"}} {
		if got := en.timeLeftText(c.d); got != c.want {
			t.Errorf("timeLeftText(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	now := time.Now()
	var items []device.PendingRegistration
	for i := 0; i < 12; i++ {
		reg := now.Add(-61 * time.Hour)
		items = append(items, device.PendingRegistration{ID: "X", Registered: reg, Deadline: reg.Add(device.Deadline)})
	}
	if got, imp := en.deadlineWarning(items, now); got != "12 registrations must reach the hub within 11 hours — sync now." || imp != widget.WarningImportance {
		t.Errorf("banner: %q", got)
	}
	if got, _ := en.deadlineWarning(items[:1], now.Add(-2*time.Hour)); got != "" {
		t.Errorf("banner 12 h before the warning: %q", got)
	}
	if got := en.valueText("birth_date", []byte(`"1985-03-01"`)); got != "1985-03-01" {
		t.Errorf("date: %q", got)
	}
	if got := en.valueText("document", []byte(`{"type":"passport","number":"N1","issuing_country":"SYR","expiry":"2030-01-31"}`)); got != "Passport SYR N1, expires 2030-01-31" {
		t.Errorf("document: %q", got)
	}
	if got := en.valueText("sex", []byte(`"F"`)); got != en.label("F", sexLabels) {
		t.Errorf("sex: %q", got)
	}
}

// Counts are grouped as the officer's language groups them.
func TestNumber(t *testing.T) {
	en := englishUI()
	if got := en.Tn("records.all", 100000, nil); got != "All 100,000 records, newest first" {
		t.Errorf("English count: %q", got)
	}
	de := &UI{loc: i18n.MustNew("de")}
	if got := de.loc.Number(100000); got != "100.000" {
		t.Errorf("German number: %q", got)
	}
}
