package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/sync/client"
)

// Sections of the main navigation added by the sync work.
const (
	navSync      = "sync"
	navConflicts = "conflicts"
)

// syncEvery is how often the background sync runs while a session is open
// (after a failure, device.Syncer backs off from 30 s up to 30 min).
const syncEvery = 2 * time.Minute

// syncTick is how often the 72-hour displays recompute the time left.
const syncTick = time.Minute

// syncEvent tells the sync displays what changed.
type syncEvent int

const (
	syncProgressed syncEvent = iota // a sync started or moved on (progress)
	syncFinished                    // a sync ended (last, lastErr)
	syncTicked                      // time passed: the time left changed
	syncStopped                     // the session locked: drop everything
)

// backgroundSync runs the syncs of an unlocked session: every syncEvery in
// the background on an enrolled device (Start after unlock, Stop on lock),
// and on request (SyncNow). Both go through one device.Syncer, so only one
// sync runs at a time. Its state is read and changed on the UI goroutine
// only; the sync goroutines report through UI.do. The sync screen, the
// 72-hour list and the deadline banner subscribe to it.
type backgroundSync struct {
	u     *UI
	every time.Duration
	// base are the options of every sync (Progress is set here); tests and
	// screenshots slow the network down with DialContext.
	base device.SyncOptions

	sess      *device.Session
	syncer    *device.Syncer
	ctx       context.Context
	cancel    context.CancelFunc
	gen       int // bumps when the session changes: late reports are dropped
	started   bool
	running   bool
	auto      bool // the running (or last) sync was a background one
	progress  device.Progress
	last      *device.SyncReport // last finished sync of this session
	lastErr   error
	listeners map[int]func(syncEvent)
	nextID    int
	wg        sync.WaitGroup
}

// bgSync is the UI's sync controller, made on first use.
func (u *UI) bgSync() *backgroundSync {
	u.bgMu.Lock()
	defer u.bgMu.Unlock()
	if u.bg == nil {
		u.bg = &backgroundSync{u: u, every: syncEvery, listeners: map[int]func(syncEvent){}}
	}
	return u.bg
}

// enrolled reports whether the device has a hub to sync with.
func (c *backgroundSync) enrolled() bool {
	return c.u.dev != nil && !c.u.dev.Info().Standalone
}

// ensure prepares a syncer for sess, dropping one for another session.
func (c *backgroundSync) ensure(sess *device.Session) {
	if c.sess == sess && c.syncer != nil {
		return
	}
	c.reset()
	c.sess = sess
	c.ctx, c.cancel = context.WithCancel(context.Background())
	gen := c.gen
	opts := c.base
	opts.Progress = func(p device.Progress) {
		c.u.do(func() {
			if gen == c.gen {
				c.onProgress(p)
			}
		})
	}
	c.syncer = device.NewSyncer(sess, opts)
}

// reset cancels running syncs and forgets the session.
func (c *backgroundSync) reset() {
	if c.cancel != nil {
		c.cancel()
	}
	c.gen++
	c.sess, c.syncer, c.ctx, c.cancel = nil, nil, nil, nil
	c.started, c.running, c.auto = false, false, false
	c.progress, c.last, c.lastErr = device.Progress{}, nil, nil
}

// Start runs the background sync of an unlocked session on an enrolled
// device: a first sync now, then every interval (with backoff after
// failures), and a clock tick for the 72-hour displays. It does nothing on
// a standalone device or if already started for sess.
func (c *backgroundSync) Start(sess *device.Session) {
	if sess == nil || !c.enrolled() {
		return
	}
	c.ensure(sess)
	if c.started {
		return
	}
	c.started = true
	ctx, syncer, gen, every := c.ctx, c.syncer, c.gen, c.every
	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		syncer.Run(ctx, every, func(rep *device.SyncReport, err error) {
			c.u.do(func() {
				if gen == c.gen {
					c.finish(rep, err, true)
				}
			})
		})
	}()
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(syncTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.u.do(func() {
					if gen == c.gen {
						c.emit(syncTicked)
					}
				})
			}
		}
	}()
}

// Stop cancels the syncs, tells the displays to let go, and waits (a few
// seconds at most) for the sync goroutines to end. Call it on lock, before
// the session is locked, and when the window closes.
func (c *backgroundSync) Stop() {
	c.reset()
	c.emit(syncStopped)
	c.listeners = map[int]func(syncEvent){}
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// SyncNow starts a sync of sess now unless one is running. The result
// reaches the subscribers.
func (c *backgroundSync) SyncNow(sess *device.Session) {
	if sess == nil || !c.enrolled() {
		return
	}
	c.ensure(sess)
	if c.running {
		return
	}
	c.running, c.auto = true, false
	c.progress = device.Progress{Phase: "connecting"}
	c.emit(syncProgressed)
	ctx, syncer, gen := c.ctx, c.syncer, c.gen
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		rep, err := syncer.SyncNow(ctx)
		c.u.do(func() {
			if gen == c.gen {
				c.finish(rep, err, false)
			}
		})
	}()
}

// Notify tells the displays that something changed (a registration was
// saved, say), so they reload.
func (c *backgroundSync) Notify() { c.emit(syncTicked) }

func (c *backgroundSync) onProgress(p device.Progress) {
	if !c.running {
		c.running, c.auto = true, true // a background sync began
	}
	c.progress = p
	c.emit(syncProgressed)
}

func (c *backgroundSync) finish(rep *device.SyncReport, err error, auto bool) {
	c.running, c.auto = false, auto
	c.last, c.lastErr = rep, err
	c.emit(syncFinished)
	if rep != nil && rep.Answered > 0 {
		c.u.reloadElsewhere()
	}
}

// subscribe calls fn on the UI goroutine at each event until the returned
// function is called or the controller stops.
func (c *backgroundSync) subscribe(fn func(syncEvent)) (unsubscribe func()) {
	c.nextID++
	id := c.nextID
	c.listeners[id] = fn
	return func() { delete(c.listeners, id) }
}

func (c *backgroundSync) emit(ev syncEvent) {
	ids := make([]int, 0, len(c.listeners))
	for id := range c.listeners {
		ids = append(ids, id)
	}
	for _, id := range ids {
		if fn, ok := c.listeners[id]; ok {
			fn(ev)
		}
	}
}

// syncScreen shows where the device syncs to, when it last did, what is
// waiting, the registrations on the 72-hour clock, and a Sync now button
// with progress and the result. On a standalone device it only says that
// there is no hub. Supervisors can change the hub's address.
type syncScreen struct {
	u     *UI
	root  *fyne.Container
	ctl   *backgroundSync
	unsub func()

	hubLabel *widget.Label
	hubEntry *entry
	hubSave  *widget.Button
	hubMsg   message
	lastSync *widget.Label
	waiting  *widget.Label
	syncBtn  *widget.Button
	progress *widget.ProgressBar
	counts   *widget.Label
	result   message
	errMsg   message
	pending  *pendingList

	status   device.SyncStatus
	enrolled bool
	loadGen  int
	// openRecord opens a waiting registration; by default its detail, in
	// the sync section, with a way back here.
	openRecord func(id string)
	usb        *usbCard // export and import of USB bundles
}

func newSyncScreen(u *UI) *syncScreen {
	s := &syncScreen{u: u, ctl: u.bgSync()}
	s.openRecord = s.openDetail
	s.root = container.NewStack(container.NewPadded(container.NewVBox(heading("Sync"), widget.NewProgressBarInfinite())))
	dev := u.dev
	var st device.SyncStatus
	var err error
	u.background(func() { st, err = dev.SyncStatus() }, func() {
		if u.dev != dev || u.sess == nil {
			return
		}
		if err != nil {
			fyne.LogError("reading the sync status failed", nil)
			s.setRoot(container.NewPadded(container.NewVBox(heading("Sync"), para(plainError(err)))))
			return
		}
		s.status = st
		if !st.Enrolled {
			s.showStandalone()
			return
		}
		s.build()
	})
	return s
}

func (s *syncScreen) setRoot(obj fyne.CanvasObject) {
	s.root.Objects = []fyne.CanvasObject{obj}
	s.root.Refresh()
}

// showStandalone says plainly that there is nothing to sync with.
func (s *syncScreen) showStandalone() {
	s.setRoot(container.NewPadded(container.NewVBox(
		heading("Sync"),
		para("This device has no hub. It is a standalone deployment: everything registered here stays on this device, "+
			"and there is nothing to sync with."),
		para("To send registrations to a national hub, the device must be set up again with an enrolment file from HQ."),
	)))
}

func (s *syncScreen) build() {
	u := s.u
	s.enrolled = true
	s.hubLabel = widget.NewLabelWithStyle(s.status.HubURL, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.hubLabel.Wrapping = fyne.TextWrapBreak
	s.hubMsg = newMessage(widget.SuccessImportance)
	s.lastSync = para("")
	s.waiting = para("")
	s.syncBtn = u.primary("Sync now", theme.ViewRefreshIcon(), s.syncNow)
	s.progress = widget.NewProgressBar()
	s.progress.Hide()
	s.counts = widget.NewLabel("")
	s.counts.Hide()
	s.result = newMessage(widget.SuccessImportance)
	s.errMsg = newMessage(widget.DangerImportance)
	s.pending = u.newPendingList(func(id string) {
		if s.openRecord != nil {
			s.openRecord(id)
		}
	})

	hub := []fyne.CanvasObject{fieldLabel("Hub address"), s.hubLabel}
	if u.sess.Officer().Supervisor {
		s.hubEntry = u.newEntry("https://hub.example.org:8443")
		s.hubEntry.SetText(s.status.HubURL)
		s.hubEntry.OnSubmitted = func(string) { s.saveHub() }
		s.hubSave = u.button("Save address", theme.DocumentSaveIcon(), s.saveHub)
		hub = append(hub, fieldLabel("Change the address (supervisors)"),
			para("Only if HQ tells you the hub moved. The hub must still be the same: its certificate is checked."),
			s.hubEntry, toolbar(s.hubSave), s.hubMsg.Object())
	}
	// One column (portrait): sync, status, the 72-hour list, then the hub.
	left := []fyne.CanvasObject{
		widget.NewCard("Sync now", "", container.NewVBox(
			toolbar(s.syncBtn), s.progress, s.counts, s.result.Object(), s.errMsg.Object())),
		widget.NewCard("Status", "", container.NewVBox(s.lastSync, s.waiting)),
	}
	s.usb = newUSBCard(u)
	s.usb.onImported = func(*device.BundleImport) { s.reload() }
	left = append(left, s.usb.root)
	right := []fyne.CanvasObject{
		widget.NewCard("Waiting for the hub", "Each registration must reach the hub within 72 hours",
			container.NewBorder(s.pending.count, nil, nil, nil, container.NewStack(minHeight(380), s.pending.list))),
		widget.NewCard("Hub", "", container.NewVBox(hub...)),
	}
	intro := container.NewVBox(heading("Sync with the hub"),
		para("Registrations made here go to the national hub, and records made at other posts come back. "+
			"Sync runs by itself every few minutes while the device is unlocked and has a network."))
	s.setRoot(container.NewBorder(container.NewPadded(intro), nil, nil, nil, u.newColumns(left, right)))
	s.showStatus()
	s.showState()
	s.pending.load()
	s.unsub = s.ctl.subscribe(s.onEvent)
}

// onEvent follows the controller.
func (s *syncScreen) onEvent(ev syncEvent) {
	switch ev {
	case syncStopped:
		s.close()
	case syncProgressed:
		s.showState()
	case syncFinished:
		s.showState()
		s.reload()
	case syncTicked:
		s.reload()
	}
}

// close stops the screen's background work.
func (s *syncScreen) close() {
	if s.unsub != nil {
		s.unsub()
		s.unsub = nil
	}
	if s.pending != nil {
		s.pending.close()
	}
}

// syncNow asks the controller for a sync.
func (s *syncScreen) syncNow() {
	s.errMsg.Set("")
	s.result.Set("")
	s.ctl.SyncNow(s.u.sess)
}

// reload reads the status and the waiting registrations again.
func (s *syncScreen) reload() {
	dev, sess := s.u.dev, s.u.sess
	if dev == nil || sess == nil || !s.enrolled || s.pending == nil || s.pending.loader == nil {
		return
	}
	s.loadGen++
	gen := s.loadGen
	var st device.SyncStatus
	var err error
	s.u.background(func() { st, err = dev.SyncStatus() }, func() {
		if gen != s.loadGen || s.u.sess != sess {
			return
		}
		if err == nil {
			s.status = st
			s.showStatus()
		}
	})
	s.pending.load()
}

// showStatus fills in the hub, the last sync and what is waiting.
func (s *syncScreen) showStatus() {
	st := s.status
	now := s.u.dev.Now()
	s.hubLabel.SetText(st.HubURL)
	if st.LastSync.IsZero() {
		s.lastSync.SetText("Last successful sync: never.")
	} else {
		s.lastSync.SetText(fmt.Sprintf("Last successful sync: %s (%s).", ago(st.LastSync, now), when(st.LastSync)))
	}
	switch {
	case st.Waiting == 0:
		s.waiting.SetText("Nothing is waiting: the hub has everything made on this device.")
	default:
		s.waiting.SetText(fmt.Sprintf("Waiting to be sent: %s (%s).",
			plural(st.Waiting, "change", "changes"), plural(st.Pending, "registration", "registrations")))
	}
	if st.Questions > 0 {
		s.waiting.SetText(s.waiting.Text + fmt.Sprintf(" %s whether people were registered elsewhere %s to be asked.",
			plural(st.Questions, "question", "questions"), verbFor(st.Questions, "waits", "wait")))
	}
	if len(st.NotTaken) > 0 {
		s.waiting.SetText(s.waiting.Text + "\n\n" + notTakenText(st.NotTaken))
	}
	// Before the first sync of this session, show how the last attempt
	// (perhaps a background one in an earlier session) went.
	if s.ctl.last == nil && s.ctl.lastErr == nil && !s.ctl.running && st.LastReport != nil && s.result.Text() == "" && s.errMsg.Text() == "" {
		r := st.LastReport
		if r.Error != "" {
			s.errMsg.Set(fmt.Sprintf("The last attempt, %s, did not finish. %s", ago(r.Finished, now), syncErrorText(reportError(r.Error))))
		}
	}
}

// showState shows the running sync's progress, or the last result.
func (s *syncScreen) showState() {
	c := s.ctl
	if c.running {
		s.syncBtn.Disable()
		s.syncBtn.SetText("Syncing…")
		s.progress.Show()
		s.counts.Show()
		p := c.progress
		total := p.ToSend + p.ToReceive
		switch {
		case p.Phase == "connecting" || p.Phase == "":
			s.progress.SetValue(0)
			s.counts.SetText("Connecting to the hub…")
		default:
			if total > 0 {
				s.progress.SetValue(float64(p.Sent+p.Received) / float64(total))
			} else {
				s.progress.SetValue(1)
			}
			s.counts.SetText(progressText(p))
		}
		s.errMsg.Set("")
		s.result.Set("")
		return
	}
	s.syncBtn.SetText("Sync now")
	s.syncBtn.Enable()
	s.progress.Hide()
	s.counts.Hide()
	if c.last == nil && c.lastErr == nil {
		return
	}
	prefix := "Sync finished"
	if c.auto {
		prefix = "Automatic sync finished"
	}
	if c.lastErr != nil {
		s.result.Set("")
		msg := syncErrorText(c.lastErr)
		if c.started && client.Retryable(c.lastErr) {
			msg += " The device will try again by itself."
		}
		s.errMsg.Set(msg)
		if c.last != nil && (c.last.Sent > 0 || c.last.Received > 0) {
			s.errMsg.Set(msg + " " + fmt.Sprintf("Before it stopped: sent %d, received %d.", c.last.Sent, c.last.Received))
		}
		return
	}
	s.errMsg.Set("")
	rep := c.last
	text, imp := reportText(rep)
	at := ""
	if !rep.Finished.IsZero() {
		at = " at " + rep.Finished.Local().Format("15:04")
	}
	s.result.SetImportance(imp)
	s.result.Set(prefix + at + ". " + text)
}

// saveHub changes the hub's address (supervisors).
func (s *syncScreen) saveHub() {
	s.hubMsg.Set("")
	addr := strings.TrimSpace(s.hubEntry.Text)
	if err := checkHubURL(addr); err != nil {
		s.hubMsg.SetImportance(widget.DangerImportance)
		s.hubMsg.Set(err.Error())
		return
	}
	sess := s.u.sess
	if sess == nil {
		return
	}
	s.hubSave.Disable()
	var err error
	s.u.background(func() { err = sess.SetHubURL(addr) }, func() {
		s.hubSave.Enable()
		if s.u.sess != sess {
			return
		}
		if err != nil {
			s.hubMsg.SetImportance(widget.DangerImportance)
			s.hubMsg.Set("The address was not changed. " + plainError(err))
			return
		}
		s.hubMsg.SetImportance(widget.SuccessImportance)
		s.hubMsg.Set("Saved. The next sync goes to " + addr + ".")
		s.status.HubURL = addr
		s.hubLabel.SetText(addr)
		s.reload()
	})
}

// openDetail shows a waiting registration in the sync section.
func (s *syncScreen) openDetail(id string) {
	if s.u.sh == nil {
		return
	}
	d := newDetailScreen(s.u, id, func() {
		if s.u.sh != nil {
			s.u.sh.show(navSync, s.root)
		}
	})
	d.backLabel = "Back to sync"
	s.u.sh.show(navSync, d.root)
}

// checkHubURL accepts https://host[:port][/path].
func checkHubURL(addr string) error {
	p, err := url.Parse(addr)
	if err != nil || p.Scheme != "https" || p.Host == "" || p.User != nil {
		//lint:ignore ST1005 the officer reads this sentence under the field
		return errors.New("Type the full address the hub gave, starting with https://, e.g. https://hub.example.org:8443")
	}
	return nil
}

// progressText is the counts line during a sync.
func progressText(p device.Progress) string {
	return fmt.Sprintf("Sent %d of %d, received %d of %d", p.Sent, p.ToSend, p.Received, p.ToReceive)
}

// reportText sums up a finished sync and says how much attention it needs.
func reportText(r *device.SyncReport) (string, widget.Importance) {
	text := fmt.Sprintf("Sent %d, received %d, refused %d, conflicts %d.", r.Sent, r.Received, r.Refused, r.Conflicts)
	imp := widget.SuccessImportance
	if r.Duplicates > 0 {
		text += fmt.Sprintf(" %s already at the hub.", plural(r.Duplicates, "change was", "changes were"))
	}
	if r.Refused > 0 || r.Quarantined > 0 {
		imp = widget.WarningImportance
		text += " Some changes could not be taken: they did not check out"
		if r.Quarantined > 0 {
			text += fmt.Sprintf(" (%d set aside as a device's conflicting copy)", r.Quarantined)
		}
		text += ". Tell your supervisor."
	}
	if r.Conflicts > 0 {
		imp = widget.WarningImportance
		text += fmt.Sprintf(" %s now %s changes made at the same time on two devices: a supervisor should resolve them under Conflicts.",
			plural(r.Conflicts, "record", "records"), map[bool]string{true: "has", false: "have"}[r.Conflicts == 1])
	}
	if r.Future > 0 {
		text += fmt.Sprintf(" %s dated more than a day ahead (a device's clock is wrong).", plural(r.Future, "change was", "changes were"))
	}
	if r.Complete {
		text += " This device and the hub now hold the same."
	}
	return text, imp
}

// syncErrorText says in plain words why a sync failed and what to do.
func syncErrorText(err error) string {
	var ce *client.Error
	detail := ""
	if errors.As(err, &ce) && ce.Message != "" {
		detail = " (" + ce.Message + ")"
	}
	switch {
	case err == nil:
		return ""
	case errors.Is(err, device.ErrNoHub):
		return "This device has no hub: it is a standalone deployment, so there is nothing to sync with."
	case errors.Is(err, device.ErrSessionLocked):
		return "The device locked before the sync finished. Unlock it and sync again."
	case errors.Is(err, client.ErrRevoked):
		return "This device was revoked by HQ: it can no longer sync. Contact your supervisor. " +
			"The registrations on this device are still here."
	case errors.Is(err, client.ErrCertMismatch):
		return "The hub's certificate does not match the one this device was enrolled with, so nothing was sent: " +
			"this may not be your hub. Check the hub address with your supervisor; if the hub was replaced, HQ must send a new enrolment file."
	case errors.Is(err, client.ErrNotEnrolled):
		return "The hub does not know this device. Check the hub address with your supervisor, or ask HQ whether this device was enrolled there."
	case errors.Is(err, client.ErrRefused):
		return "The hub refused what this device sent" + detail + ". Your registrations are safe on this device. Tell your supervisor."
	case errors.Is(err, client.ErrHub):
		return "The hub had a problem" + detail + ". Your registrations are safe on this device; try again later."
	case errors.Is(err, client.ErrUnreachable):
		return "The hub cannot be reached. Your registrations are safe on this device; try again when there is a network."
	}
	return "The sync did not finish: " + plainError(err) + " Your registrations are safe on this device."
}

// reportError recovers the kind of a stored report's error from its text
// (client errors begin with their kind's words).
func reportError(text string) error {
	for _, k := range []error{client.ErrUnreachable, client.ErrRevoked, client.ErrNotEnrolled, client.ErrCertMismatch,
		client.ErrRefused, client.ErrHub, device.ErrNoHub, device.ErrSessionLocked} {
		if strings.HasPrefix(text, k.Error()) {
			return k
		}
	}
	return errors.New(text)
}

// ago says how long ago t was, in round words.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute", "minutes") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour", "hours") + " ago"
	}
	return plural(int(d/(24*time.Hour)), "day", "days") + " ago"
}

// plural is "1 record" or "3 records".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return number(n) + " " + many
}

// number writes n with thousands separated, as officers read counts:
// 100,000 records.
func number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// notTakenText names the records whose changes were set aside (damaged or
// invalid), so a supervisor can look at them.
func notTakenText(n []device.RecordProblem) string {
	const shown = 10
	ids := make([]string, 0, shown)
	seen := map[string]bool{}
	for _, p := range n {
		if !seen[p.Record] && len(ids) < shown {
			ids = append(ids, p.Record)
		}
		seen[p.Record] = true
	}
	text := fmt.Sprintf("%s set aside as damaged or invalid, in %s: %s",
		plural(len(n), "change was", "changes were"), plural(len(seen), "record", "records"), strings.Join(ids, ", "))
	if len(seen) > shown {
		text += ", …"
	}
	return text + ". A supervisor should run Verify under Settings and tell HQ."
}
