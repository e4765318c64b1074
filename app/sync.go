package app

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
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
	s.root = container.NewStack(container.NewPadded(container.NewVBox(heading(u.T("nav.sync")), widget.NewProgressBarInfinite())))
	dev := u.dev
	var st device.SyncStatus
	var err error
	u.background(func() { st, err = dev.SyncStatus() }, func() {
		if u.dev != dev || u.sess == nil {
			return
		}
		if err != nil {
			fyne.LogError("reading the sync status failed", nil)
			s.setRoot(container.NewPadded(container.NewVBox(heading(u.T("nav.sync")), para(u.plainError(err)))))
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
		heading(s.u.T("nav.sync")),
		para(s.u.T("sync.standalone")),
		para(s.u.T("sync.standalone_how")),
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
	s.syncBtn = u.primary(u.T("sync.sync_now"), theme.ViewRefreshIcon(), s.syncNow)
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

	hub := []fyne.CanvasObject{fieldLabel(u.T("sync.hub_address")), s.hubLabel}
	if u.sess.Officer().Supervisor {
		s.hubEntry = u.newEntry(u.T("sync.hub_placeholder"))
		s.hubEntry.SetText(s.status.HubURL)
		s.hubEntry.OnSubmitted = func(string) { s.saveHub() }
		s.hubSave = u.button(u.T("sync.save_address"), theme.DocumentSaveIcon(), s.saveHub)
		hub = append(hub, fieldLabel(u.T("sync.change_address")),
			para(u.T("sync.change_address_help")),
			s.hubEntry, toolbar(s.hubSave), s.hubMsg.Object())
	}
	// One column (portrait): sync, status, the 72-hour list, then the hub.
	left := []fyne.CanvasObject{
		widget.NewCard(u.T("sync.sync_now"), "", container.NewVBox(
			toolbar(s.syncBtn), s.progress, s.counts, s.result.Object(), s.errMsg.Object())),
		widget.NewCard(u.T("sync.status"), "", container.NewVBox(s.lastSync, s.waiting)),
	}
	s.usb = newUSBCard(u)
	s.usb.onImported = func(*device.BundleImport) { s.reload() }
	left = append(left, s.usb.root)
	right := []fyne.CanvasObject{
		widget.NewCard(u.T("sync.waiting_title"), u.T("sync.waiting_subtitle"),
			container.NewBorder(s.pending.count, nil, nil, nil, container.NewStack(minHeight(380), s.pending.list))),
		widget.NewCard(u.T("sync.hub"), "", container.NewVBox(hub...)),
	}
	intro := container.NewVBox(heading(u.T("sync.title")),
		para(u.T("sync.intro")))
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
	u := s.u
	st := s.status
	now := s.u.dev.Now()
	s.hubLabel.SetText(st.HubURL)
	if st.LastSync.IsZero() {
		s.lastSync.SetText(u.T("sync.last_never"))
	} else {
		s.lastSync.SetText(u.Tf("sync.last", i18n.Args{"Ago": u.ago(st.LastSync, now), "When": when(st.LastSync)}))
	}
	switch {
	case st.Waiting == 0:
		s.waiting.SetText(u.T("sync.nothing_waiting"))
	default:
		s.waiting.SetText(u.Tn("sync.waiting", st.Waiting,
			i18n.Args{"Registrations": u.Tn("sync.n_registrations", st.Pending, nil)}))
	}
	if st.Questions > 0 {
		s.waiting.SetText(s.waiting.Text + " " + u.Tn("sync.questions", st.Questions, nil))
	}
	if len(st.NotTaken) > 0 {
		s.waiting.SetText(s.waiting.Text + "\n\n" + notTakenText(u, st.NotTaken))
	}
	// Before the first sync of this session, show how the last attempt
	// (perhaps a background one in an earlier session) went.
	if s.ctl.last == nil && s.ctl.lastErr == nil && !s.ctl.running && st.LastReport != nil && s.result.Text() == "" && s.errMsg.Text() == "" {
		r := st.LastReport
		if r.Error != "" {
			s.errMsg.Set(u.Tf("sync.last_attempt", i18n.Args{"Ago": u.ago(r.Finished, now), "Error": u.syncErrorText(reportError(r.Error))}))
		}
	}
}

// showState shows the running sync's progress, or the last result.
func (s *syncScreen) showState() {
	u := s.u
	c := s.ctl
	if c.running {
		s.syncBtn.Disable()
		s.syncBtn.SetText(u.T("sync.syncing"))
		s.progress.Show()
		s.counts.Show()
		p := c.progress
		total := p.ToSend + p.ToReceive
		switch {
		case p.Phase == "connecting" || p.Phase == "":
			s.progress.SetValue(0)
			s.counts.SetText(u.T("sync.connecting"))
		default:
			if total > 0 {
				s.progress.SetValue(float64(p.Sent+p.Received) / float64(total))
			} else {
				s.progress.SetValue(1)
			}
			s.counts.SetText(u.progressText(p))
		}
		s.errMsg.Set("")
		s.result.Set("")
		return
	}
	s.syncBtn.SetText(u.T("sync.sync_now"))
	s.syncBtn.Enable()
	s.progress.Hide()
	s.counts.Hide()
	if c.last == nil && c.lastErr == nil {
		return
	}
	if c.lastErr != nil {
		s.result.Set("")
		msg := u.syncErrorText(c.lastErr)
		if c.started && client.Retryable(c.lastErr) {
			msg += " " + u.T("sync.will_retry")
		}
		s.errMsg.Set(msg)
		if c.last != nil && (c.last.Sent > 0 || c.last.Received > 0) {
			s.errMsg.Set(msg + " " + u.Tf("sync.before_stopped", i18n.Args{"Sent": u.loc.Number(c.last.Sent), "Received": u.loc.Number(c.last.Received)}))
		}
		return
	}
	s.errMsg.Set("")
	rep := c.last
	text, imp := u.reportText(rep)
	prefix := u.T("sync.finished")
	if c.auto {
		prefix = u.T("sync.auto_finished")
	}
	if !rep.Finished.IsZero() {
		args := i18n.Args{"Time": rep.Finished.Local().Format("15:04")}
		prefix = u.Tf("sync.finished_at", args)
		if c.auto {
			prefix = u.Tf("sync.auto_finished_at", args)
		}
	}
	s.result.SetImportance(imp)
	s.result.Set(prefix + " " + text)
}

// saveHub changes the hub's address (supervisors).
func (s *syncScreen) saveHub() {
	s.hubMsg.Set("")
	addr := strings.TrimSpace(s.hubEntry.Text)
	if err := checkHubURL(addr); err != nil {
		s.hubMsg.SetImportance(widget.DangerImportance)
		s.hubMsg.Set(s.u.T("sync.bad_address"))
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
			s.hubMsg.Set(s.u.Tf("sync.address_not_changed", i18n.Args{"Error": s.u.plainError(err)}))
			return
		}
		s.hubMsg.SetImportance(widget.SuccessImportance)
		s.hubMsg.Set(s.u.Tf("sync.address_saved", i18n.Args{"Address": addr}))
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
	d.backLabel = s.u.T("sync.back")
	s.u.sh.show(navSync, d.root)
}

// errBadHubURL is an address that is not https://host[:port][/path].
var errBadHubURL = errors.New("not an https address of a hub")

// checkHubURL accepts https://host[:port][/path].
func checkHubURL(addr string) error {
	p, err := url.Parse(addr)
	if err != nil || p.Scheme != "https" || p.Host == "" || p.User != nil {
		return errBadHubURL
	}
	return nil
}

// progressText is the counts line during a sync.
func (u *UI) progressText(p device.Progress) string {
	n := u.loc.Number
	return u.Tf("sync.progress", i18n.Args{"Sent": n(p.Sent), "ToSend": n(p.ToSend), "Received": n(p.Received), "ToReceive": n(p.ToReceive)})
}

// reportText sums up a finished sync and says how much attention it needs.
func (u *UI) reportText(r *device.SyncReport) (string, widget.Importance) {
	n := u.loc.Number
	parts := []string{u.Tf("sync.report", i18n.Args{"Sent": n(r.Sent), "Received": n(r.Received), "Refused": n(r.Refused), "Conflicts": n(r.Conflicts)})}
	imp := widget.SuccessImportance
	if r.Duplicates > 0 {
		parts = append(parts, u.Tn("sync.duplicates", r.Duplicates, nil))
	}
	if r.Refused > 0 || r.Quarantined > 0 {
		imp = widget.WarningImportance
		if r.Quarantined > 0 {
			parts = append(parts, u.Tn("sync.refused_quarantined", r.Quarantined, nil))
		} else {
			parts = append(parts, u.T("sync.refused"))
		}
	}
	if r.Conflicts > 0 {
		imp = widget.WarningImportance
		parts = append(parts, u.Tn("sync.conflicts", r.Conflicts, nil))
	}
	if r.Future > 0 {
		parts = append(parts, u.Tn("sync.future", r.Future, nil))
	}
	if r.Complete {
		parts = append(parts, u.T("sync.complete"))
	}
	return strings.Join(parts, " "), imp
}

// syncErrorText says in plain words why a sync failed and what to do.
func (u *UI) syncErrorText(err error) string {
	var ce *client.Error
	detail := ""
	if errors.As(err, &ce) && ce.Message != "" {
		detail = " (" + ce.Message + ")"
	}
	args := i18n.Args{"Detail": detail}
	switch {
	case err == nil:
		return ""
	case errors.Is(err, device.ErrNoHub):
		return u.T("sync.err_no_hub")
	case errors.Is(err, device.ErrSessionLocked):
		return u.T("sync.err_locked")
	case errors.Is(err, client.ErrRevoked):
		return u.T("sync.err_revoked")
	case errors.Is(err, client.ErrCertMismatch):
		return u.T("sync.err_cert")
	case errors.Is(err, client.ErrNotEnrolled):
		return u.T("sync.err_not_enrolled")
	case errors.Is(err, client.ErrRefused):
		return u.Tf("sync.err_refused", args)
	case errors.Is(err, client.ErrHub):
		return u.Tf("sync.err_hub", args)
	case errors.Is(err, client.ErrUnreachable):
		return u.T("sync.err_unreachable")
	}
	return u.Tf("sync.err_other", i18n.Args{"Error": u.plainError(err)})
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
func (u *UI) ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return u.T("ago.now")
	case d < time.Hour:
		return u.Tn("ago.minutes", int(d/time.Minute), nil)
	case d < 48*time.Hour:
		return u.Tn("ago.hours", int(d/time.Hour), nil)
	}
	return u.Tn("ago.days", int(d/(24*time.Hour)), nil)
}

// notTakenText says that changes were set aside as damaged or invalid
// and names their records by registration ID (language-neutral), so a
// supervisor can look at them (Settings, Verify, says more).
func notTakenText(u *UI, n []device.RecordProblem) string {
	const shown = 10
	var ids []string
	seen := map[string]bool{}
	for _, p := range n {
		if !seen[p.Record] {
			seen[p.Record] = true
			ids = append(ids, p.Record)
		}
	}
	more := ""
	if len(ids) > shown {
		ids, more = ids[:shown], ", …"
	}
	return u.T("sync.refused") + " " + strings.Join(ids, ", ") + more
}
