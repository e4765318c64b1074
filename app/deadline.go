package app

import (
	"image/color"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
)

// The 72-hour clock: the Eurodac recast requires each registration to reach
// the central system within 72 hours. pendingList shows the registrations of
// this device the hub has not acknowledged, earliest deadline first, with
// the time left; deadlineBanner warns on every screen when any is within 12
// hours of its deadline, or past it.

// timeLeftText is "61 h left", "40 min left", "overdue by 3 h".
func (u *UI) timeLeftText(left time.Duration) string {
	switch {
	case left >= time.Hour:
		return u.Tf("deadline.hours_left", i18n.Args{"N": u.loc.Number(int(left / time.Hour))})
	case left > 0:
		return u.Tf("deadline.minutes_left", i18n.Args{"N": int((left + time.Minute - 1) / time.Minute)})
	case -left < time.Hour:
		return u.Tf("deadline.overdue_minutes", i18n.Args{"N": int((-left + time.Minute - 1) / time.Minute)})
	}
	return u.Tf("deadline.overdue_hours", i18n.Args{"N": u.loc.Number(int(-left / time.Hour))})
}

// deadlineImportance colours a time left: red once overdue, amber within
// the warning period.
func deadlineImportance(left time.Duration) widget.Importance {
	switch {
	case left <= 0:
		return widget.DangerImportance
	case left <= device.DeadlineWarning:
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

// pendingList is the virtual list of waiting registrations. Names are
// decrypted row by row in the background, as in the records list.
type pendingList struct {
	u      *UI
	list   *widget.List
	count  *widget.Label
	items  []device.PendingRegistration
	now    time.Time
	cache  *summaryCache
	loader *summaryLoader
	onOpen func(id string)
	gen    int
}

func (u *UI) newPendingList(onOpen func(id string)) *pendingList {
	p := &pendingList{u: u, onOpen: onOpen, cache: newSummaryCache(500), now: u.dev.Now()}
	if u.sess != nil {
		p.loader = newSummaryLoader(u.sess, u.do, p.deliver)
	}
	p.count = widget.NewLabel(u.T("common.reading"))
	p.count.Wrapping = fyne.TextWrapWord
	p.list = widget.NewList(func() int { return len(p.items) }, p.createRow, p.updateRow)
	p.list.OnSelected = func(i widget.ListItemID) {
		u.activity()
		p.list.UnselectAll()
		if i >= 0 && i < len(p.items) && p.onOpen != nil {
			p.onOpen(p.items[i].ID)
		}
	}
	return p
}

func (p *pendingList) createRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	line := widget.NewLabel("")
	line.Truncation = fyne.TextTruncateEllipsis
	line.SizeName = sizeNameRowLine
	left := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	return container.NewBorder(nil, nil, nil, left, dense(container.NewVBox(name, line)))
}

func (p *pendingList) updateRow(i widget.ListItemID, obj fyne.CanvasObject) {
	if i < 0 || i >= len(p.items) {
		return
	}
	it := p.items[i]
	c := obj.(*fyne.Container)
	text := c.Objects[0].(*container.ThemeOverride).Content.(*fyne.Container)
	left := c.Objects[1].(*widget.Label)
	name := text.Objects[0].(*widget.Label)
	line := text.Objects[1].(*widget.Label)
	l := it.TimeLeft(p.now)
	left.SetText(p.u.timeLeftText(l))
	left.Importance = deadlineImportance(l)
	left.Refresh()
	line.SetText(p.u.Tf("deadline.due", i18n.Args{"ID": it.ID, "When": when(it.Deadline)}))
	s, ok := p.cache.get(it.ID)
	switch {
	case !ok:
		name.SetText("…")
		if p.loader != nil {
			p.loader.request(it.ID, i)
		}
	case s.err:
		name.SetText(p.u.T("record.cannot_read"))
	default:
		name.SetText(s.sum.FullName())
	}
}

func (p *pendingList) deliver(id string, idx int, s device.Summary, err error) {
	if p.loader == nil {
		return
	}
	p.cache.put(id, cachedSummary{sum: s, err: err != nil})
	if idx < len(p.items) && p.items[idx].ID == id {
		p.list.RefreshItem(idx)
	}
}

// load reads the waiting registrations off the UI goroutine.
func (p *pendingList) load() {
	dev := p.u.dev
	if dev == nil || p.loader == nil {
		return
	}
	p.gen++
	gen := p.gen
	var items []device.PendingRegistration
	var err error
	p.u.background(func() { items, err = dev.Pending() }, func() {
		if gen != p.gen || p.loader == nil {
			return
		}
		if err != nil {
			fyne.LogError("reading the waiting registrations failed", nil)
			p.count.SetText(p.u.plainError(err))
			return
		}
		p.set(items, dev.Now())
	})
}

// set shows items (sorted here by deadline) at time now.
func (p *pendingList) set(items []device.PendingRegistration, now time.Time) {
	sort.SliceStable(items, func(i, j int) bool { return items[i].Deadline.Before(items[j].Deadline) })
	p.items, p.now = items, now
	overdue, soon := 0, 0
	for _, it := range items {
		switch l := it.TimeLeft(now); {
		case l <= 0:
			overdue++
		case l <= device.DeadlineWarning:
			soon++
		}
	}
	u := p.u
	switch {
	case len(items) == 0:
		p.count.SetText(u.T("deadline.nothing_waiting"))
	default:
		parts := []string{u.Tn("deadline.waiting", len(items), nil)}
		if overdue > 0 {
			parts = append(parts, u.Tn("deadline.n_overdue", overdue, nil))
		}
		if soon > 0 {
			parts = append(parts, u.Tn("deadline.n_due_within", soon, i18n.Args{"Hours": int(device.DeadlineWarning / time.Hour)}))
		}
		p.count.SetText(u.Tf("deadline.waiting_sentence", i18n.Args{"Parts": strings.Join(parts, "; ")}))
	}
	p.list.UnselectAll()
	p.list.Refresh()
}

// close stops the name loader.
func (p *pendingList) close() {
	if p.loader != nil {
		p.loader.stop()
		p.loader = nil
	}
	p.items = nil
	p.cache = newSummaryCache(1)
}

// deadlineBanner warns when registrations are close to (or past) their
// 72-hour deadline: amber within device.DeadlineWarning, red once overdue,
// with a Sync now button. It hides itself otherwise, and on a standalone
// device. Above all, it says so in red when the device knows it has been
// revoked (it then issues no receipts and saves nothing new). It refreshes
// itself after each sync and every minute while the background sync runs;
// Refresh reloads it at any time.
type deadlineBanner struct {
	u *UI
	// root is always visible and holds the banner or nothing: a parent
	// lays out again when its size changes (a hidden object's would not).
	root     *fyne.Container
	banner   fyne.CanvasObject
	bg       *canvas.Rectangle
	icon     *widget.Icon
	text     *widget.Label
	button   *widget.Button
	openSync func()
	unsub    func()
	gen      int
}

// newDeadlineBanner returns the banner; openSync shows the sync screen.
func (u *UI) newDeadlineBanner(openSync func()) *deadlineBanner {
	b := &deadlineBanner{u: u, openSync: openSync}
	b.bg = canvas.NewRectangle(color.Transparent)
	b.bg.CornerRadius = theme.InputRadiusSize()
	b.bg.StrokeWidth = 2
	b.icon = widget.NewIcon(theme.WarningIcon())
	b.text = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	b.text.Wrapping = fyne.TextWrapWord
	b.button = u.primary(u.T("sync.sync_now"), theme.ViewRefreshIcon(), b.syncNow)
	content := container.NewBorder(nil, nil, container.NewCenter(b.icon), container.NewCenter(b.button), b.text)
	b.banner = container.NewStack(b.bg, container.NewPadded(content))
	b.root = container.NewStack()
	b.Refresh()
	return b
}

// Object is the banner's widget tree (empty while there is nothing to say).
func (b *deadlineBanner) Object() fyne.CanvasObject { return b.root }

// shown reports whether the banner is showing a warning.
func (b *deadlineBanner) shown() bool { return len(b.root.Objects) > 0 }

func (b *deadlineBanner) hide() {
	if b.shown() {
		b.root.Objects = nil
		b.root.Refresh()
	}
}

// Refresh reads the waiting registrations again, off the UI goroutine.
func (b *deadlineBanner) Refresh() {
	u := b.u
	if b.unsub == nil && u.sess != nil {
		b.unsub = u.bgSync().subscribe(b.onEvent)
	}
	dev := u.dev
	if dev == nil || u.sess == nil {
		b.hide()
		return
	}
	b.gen++
	gen := b.gen
	standalone := dev.Info().Standalone
	var items []device.PendingRegistration
	var rev *device.Revocation
	var err error
	u.background(func() {
		if rev, err = dev.OwnRevocation(); err == nil && rev == nil && !standalone {
			items, err = dev.Pending()
		}
	}, func() {
		if gen != b.gen {
			return
		}
		switch {
		case u.sess == nil || err != nil:
			b.hide()
		case rev != nil:
			b.paint(u.revokedWarning(rev), widget.DangerImportance, false)
		case standalone:
			b.hide()
		default:
			b.show(items, dev.Now())
		}
	})
}

// revokedWarning is the banner's sentence on a device that knows it has
// been revoked.
func (u *UI) revokedWarning(r *device.Revocation) string {
	args := i18n.Args{"When": when(r.At)}
	if r.ByHub {
		return u.Tf("deadline.revoked_by_hub", args)
	}
	return u.Tf("deadline.revoked", args)
}

func (b *deadlineBanner) onEvent(ev syncEvent) {
	switch ev {
	case syncStopped:
		b.unsub = nil
		b.gen++
		b.hide()
	case syncFinished, syncTicked:
		b.Refresh()
	}
}

// show updates the banner for items at time now.
func (b *deadlineBanner) show(items []device.PendingRegistration, now time.Time) {
	text, imp := b.u.deadlineWarning(items, now)
	if text == "" {
		b.hide()
		return
	}
	b.paint(text, imp, true)
}

// paint shows text with the colours of imp, and the Sync now button if
// syncing can help.
func (b *deadlineBanner) paint(text string, imp widget.Importance, syncButton bool) {
	if syncButton {
		b.button.Show()
	} else {
		b.button.Hide()
	}
	col := theme.Color(theme.ColorNameWarning)
	if imp == widget.DangerImportance {
		col = theme.Color(theme.ColorNameError)
	}
	r, g, bl, _ := col.RGBA()
	b.bg.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(bl >> 8), A: 0x26}
	b.bg.StrokeColor = col
	b.bg.Refresh()
	b.text.Importance = imp
	b.text.SetText(text)
	if imp == widget.DangerImportance {
		b.icon.SetResource(theme.NewErrorThemedResource(theme.WarningIcon()))
	} else {
		b.icon.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
	}
	if !b.shown() {
		b.root.Objects = []fyne.CanvasObject{b.banner}
	}
	b.root.Refresh()
}

// syncNow opens the sync screen and starts a sync.
func (b *deadlineBanner) syncNow() {
	if b.openSync != nil {
		b.openSync()
	}
	b.u.bgSync().SyncNow(b.u.sess)
}

// deadlineWarning is the banner's sentence for the waiting registrations at
// now, or "" when none is within device.DeadlineWarning of its deadline.
func (u *UI) deadlineWarning(items []device.PendingRegistration, now time.Time) (string, widget.Importance) {
	overdue, soon := 0, 0
	var first time.Duration
	for _, it := range items {
		l := it.TimeLeft(now)
		switch {
		case l <= 0:
			overdue++
		case l <= device.DeadlineWarning:
			if soon == 0 || l < first {
				first = l
			}
			soon++
		}
	}
	within := func(l time.Duration) string {
		if l < time.Hour {
			return u.Tn("settings.minutes", int((l+time.Minute-1)/time.Minute), nil)
		}
		return u.Tn("deadline.hours", int(l/time.Hour), nil) // as the list counts: whole hours left
	}
	switch {
	case overdue > 0 && soon > 0:
		more := u.Tn("deadline.more_due", soon, i18n.Args{"Within": within(first)})
		return u.Tn("deadline.overdue_and_more", overdue, i18n.Args{"More": more}), widget.DangerImportance
	case overdue > 0:
		return u.Tn("deadline.overdue", overdue, nil), widget.DangerImportance
	case soon > 0:
		return u.Tn("deadline.soon", soon, i18n.Args{"Within": within(first)}), widget.WarningImportance
	}
	return "", widget.MediumImportance
}
