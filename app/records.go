package app

import (
	"container/list"
	"errors"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/registry"
)

// searchDelay is how long typing must pause before the search runs.
const searchDelay = 300 * time.Millisecond

// summaryCacheSize bounds the decrypted list rows kept in memory.
const summaryCacheSize = 2000

// recordsScreen finds records. The list is virtual: it holds only the IDs
// the search returned (newest first); each visible row decrypts its own
// summary in the background, and only that row is refreshed when it
// arrives. Decrypted summaries are kept in a bounded LRU cache.
type recordsScreen struct {
	u         *UI
	root      fyne.CanvasObject
	query     *entry
	category  *widget.Select
	vuln      *widget.Select
	from, to  *entry
	count     *widget.Label
	filterErr message
	list      *widget.List

	ids    []string
	cache  *summaryCache
	loader *summaryLoader
	gen    int
	timer  *time.Timer
}

// Message IDs of the filters' first choices.
const (
	anyCategory      = "records.any_category"
	anyNeed          = "records.any_need"
	anyVulnerability = "records.any_vulnerability"
)

func newRecordsScreen(u *UI) *recordsScreen {
	r := &recordsScreen{u: u, cache: newSummaryCache(summaryCacheSize)}
	r.loader = newSummaryLoader(u.sess, u.do, r.deliver)
	r.query = u.newEntry(u.T("records.search_placeholder"))
	r.query.OnChanged = func(string) { r.searchSoon() }
	r.query.OnSubmitted = func(string) { r.search() }
	r.category = u.selectBox(append([]string{u.T(anyCategory)}, u.labelsOf(registry.Categories, categoryLabels)...), func(string) { r.search() })
	r.vuln = u.selectBox(append([]string{u.T(anyNeed), u.T(anyVulnerability)}, u.labelsOf(registry.Vulnerabilities, vulnerabilityLabels)...), func(string) { r.search() })
	r.from = u.newEntry(u.T("records.from_placeholder"))
	r.to = u.newEntry(u.T("records.to_placeholder"))
	for _, e := range []*entry{r.from, r.to} {
		e.OnChanged = func(string) { r.searchSoon() }
		e.OnSubmitted = func(string) { r.search() }
	}
	r.count = widget.NewLabel("")
	r.count.Wrapping = fyne.TextWrapWord
	r.filterErr = newMessage(widget.DangerImportance)

	r.list = widget.NewList(func() int { return len(r.ids) }, r.createRow, r.updateRow)
	r.list.OnSelected = func(i widget.ListItemID) {
		u.activity()
		r.list.UnselectAll()
		if i >= 0 && i < len(r.ids) {
			r.open(r.ids[i])
		}
	}
	r.category.SetSelectedIndex(0)
	r.vuln.SetSelectedIndex(0)
	filters := container.NewGridWithColumns(2,
		r.category, r.vuln,
		r.from, r.to,
	)
	top := container.NewVBox(heading(u.T("nav.records")), r.query, filters, r.filterErr.Object(), r.count)
	r.root = container.NewBorder(container.NewPadded(top), nil, nil, nil, r.list)
	return r
}

func (r *recordsScreen) createRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	line := newLineText(theme.Size(theme.SizeNameText) - 1)
	flag := widget.NewLabel("")
	flag.Importance = widget.WarningImportance
	pad := theme.Size(theme.SizeNameInnerPadding)
	// No theme override here: Fyne reloads the fonts of an overridden
	// theme on every refresh, which rows get all the time.
	return container.NewBorder(nil, nil, nil, flag, container.NewVBox(name,
		container.New(layout.NewCustomPaddedLayout(0, pad/2, pad, pad), line.box)))
}

// lineText is one line of smaller text cut with an ellipsis to the width
// it is given (canvas.Text itself never cuts), so a long row line does not
// run off a portrait screen.
type lineText struct {
	full string
	text *canvas.Text
	box  *fyne.Container
}

func newLineText(size float32) *lineText {
	l := &lineText{text: canvas.NewText("", theme.Color(theme.ColorNameForeground))}
	l.text.TextSize = size
	l.box = container.New(l, l.text)
	return l
}

func (l *lineText) SetText(s string) {
	l.full = s
	l.fit(l.box.Size().Width)
	l.text.Refresh()
}

func (l *lineText) fit(width float32) {
	t := l.full
	measure := func(s string) float32 { return fyne.MeasureText(s, l.text.TextSize, l.text.TextStyle).Width }
	if width > 0 && measure(t) > width {
		r := []rune(t)
		lo, hi := 0, len(r)
		for lo < hi { // the longest prefix that fits with the ellipsis
			mid := (lo + hi + 1) / 2
			if measure(string(r[:mid])+"…") <= width {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		t = string(r[:lo]) + "…"
	}
	l.text.Text = t
}

// Layout is part of fyne.Layout.
func (l *lineText) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	l.fit(size.Width)
	l.text.Resize(size)
	l.text.Refresh()
}

// MinSize is part of fyne.Layout: one line high, any width.
func (l *lineText) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(0, l.text.MinSize().Height)
}

func (r *recordsScreen) updateRow(i widget.ListItemID, obj fyne.CanvasObject) {
	if i < 0 || i >= len(r.ids) {
		return
	}
	id := r.ids[i]
	c := obj.(*fyne.Container)
	text := c.Objects[0].(*fyne.Container)
	flag := c.Objects[1].(*widget.Label)
	name := text.Objects[0].(*widget.Label)
	line := text.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container).Layout.(*lineText)
	s, ok := r.cache.get(id)
	if !ok {
		name.SetText("…")
		line.SetText(id)
		flag.SetText("")
		r.loader.request(id, i)
		return
	}
	if s.err {
		name.SetText(r.u.T("record.cannot_read"))
		line.SetText(id)
		flag.SetText("")
		return
	}
	name.SetText(s.sum.FullName())
	line.SetText(r.u.rowLine(s.sum))
	switch {
	case s.sum.Conflicts > 0:
		flag.SetText(r.u.T("records.flag_conflict"))
	case s.sum.Vulnerable:
		flag.SetText(r.u.T("records.flag_vulnerable"))
	default:
		flag.SetText("")
	}
}

// rowLine is the second line of a list row.
func (u *UI) rowLine(s device.Summary) string {
	parts := []string{s.ID}
	if !s.BirthDate.IsZero() {
		parts = append(parts, u.Tf("summary.born", i18n.Args{"Date": s.BirthDate.String()}))
	}
	if s.Sex != "" {
		parts = append(parts, s.Sex)
	}
	if len(s.Nationalities) > 0 {
		parts = append(parts, strings.Join(s.Nationalities, " "))
	}
	if s.Relationship != "" {
		parts = append(parts, u.label(s.Relationship, relationshipLabels))
	}
	parts = append(parts, u.label(s.Category, categoryLabels), when(s.Created.Time()))
	return strings.Join(parts, " · ")
}

// deliver runs on the UI goroutine when a summary was decrypted.
func (r *recordsScreen) deliver(id string, idx int, s device.Summary, err error) {
	if r.loader == nil {
		return // closed (the device locked): keep nothing of the person
	}
	r.cache.put(id, cachedSummary{sum: s, err: err != nil})
	if err != nil {
		fyne.LogError("a record summary could not be read", nil)
	}
	if idx < len(r.ids) && r.ids[idx] == id {
		r.list.RefreshItem(idx)
	}
}

// searchSoon searches once typing pauses.
func (r *recordsScreen) searchSoon() {
	if r.timer != nil {
		r.timer.Stop()
	}
	gen := r.gen
	r.timer = time.AfterFunc(searchDelay, func() {
		r.u.do(func() {
			if r.gen == gen && r.loader != nil {
				r.search()
			}
		})
	})
}

// search runs the query now, off the UI goroutine.
func (r *recordsScreen) search() {
	if r.timer != nil {
		r.timer.Stop()
	}
	sess := r.u.sess
	if sess == nil || r.loader == nil || r.list == nil {
		return
	}
	r.gen++
	gen := r.gen
	q, filtered, ok := r.buildQuery()
	if !ok {
		// No list under an error: what is shown must match the filters.
		r.ids = nil
		r.list.UnselectAll()
		r.list.Refresh()
		r.count.SetText(r.u.T("records.correct_dates"))
		return
	}
	var ids []string
	var total int
	var err error
	r.u.background(func() {
		ids, err = sess.Search(q)
		if err == nil {
			total, err = sess.Count()
		}
	}, func() {
		if gen != r.gen || r.loader == nil {
			return
		}
		if err != nil {
			fyne.LogError("search failed", nil)
			r.count.SetText(r.u.plainError(err))
			return
		}
		r.ids = ids
		r.list.UnselectAll()
		r.list.Refresh()
		r.list.ScrollToTop()
		u := r.u
		switch {
		case total == 0:
			r.count.SetText(u.T("records.none_yet"))
		case !filtered:
			r.count.SetText(u.Tn("records.all", total, nil))
		case len(ids) == 0 && mistypedRegID(q.Text):
			r.count.SetText(u.T("records.mistyped_id"))
		case len(ids) == 0:
			r.count.SetText(u.Tn("records.none_found", total, nil))
		default:
			r.count.SetText(u.Tn("records.found", total, i18n.Args{"Found": u.loc.Number(len(ids))}))
		}
	})
}

func (r *recordsScreen) buildQuery() (device.Query, bool, bool) {
	q := device.Query{Text: strings.TrimSpace(r.query.Text)}
	u := r.u
	q.Category = u.codeOf(r.category.Selected, registry.Categories, categoryLabels)
	switch r.vuln.Selected {
	case u.T(anyNeed), "":
	case u.T(anyVulnerability):
		q.Vulnerability = "any"
	default:
		q.Vulnerability = u.codeOf(r.vuln.Selected, registry.Vulnerabilities, vulnerabilityLabels)
	}
	r.filterErr.Set("")
	if err := q.SetDays(r.from.Text, r.to.Text, time.Local); err != nil {
		r.filterErr.Set(u.plainError(err))
		return q, false, false
	}
	filtered := q.Text != "" || q.Category != "" || q.Vulnerability != "" || !q.From.IsZero() || !q.To.IsZero()
	return q, filtered, true
}

func (r *recordsScreen) open(id string) {
	d := newDetailScreen(r.u, id, func() { r.u.sh.show(navRecords, r.root) })
	r.u.sh.show(navRecords, d.root)
}

// close stops the background loader and forgets every decrypted row.
func (r *recordsScreen) close() {
	if r.timer != nil {
		r.timer.Stop()
	}
	if r.loader != nil {
		r.loader.stop()
		r.loader = nil
	}
	r.cache = newSummaryCache(1)
	r.ids = nil
}

// cachedSummary is a decrypted summary, or the fact that it failed.
type cachedSummary struct {
	sum device.Summary
	err bool
}

// summaryCache is a bounded LRU of decrypted summaries. It is used on the
// UI goroutine only.
type summaryCache struct {
	max   int
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type cacheItem struct {
	id string
	s  cachedSummary
}

func newSummaryCache(max int) *summaryCache {
	return &summaryCache{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *summaryCache) get(id string) (cachedSummary, bool) {
	e, ok := c.items[id]
	if !ok {
		return cachedSummary{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheItem).s, true
}

func (c *summaryCache) put(id string, s cachedSummary) {
	if e, ok := c.items[id]; ok {
		e.Value.(*cacheItem).s = s
		c.order.MoveToFront(e)
		return
	}
	c.items[id] = c.order.PushFront(&cacheItem{id: id, s: s})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheItem).id)
	}
}

func (c *summaryCache) len() int { return c.order.Len() }

// summaryLoader decrypts summaries on one background goroutine, newest
// request first; requests for rows scrolled far away are dropped.
type summaryLoader struct {
	sess    *device.Session
	do      func(func())
	deliver func(id string, idx int, s device.Summary, err error)

	mu      sync.Mutex
	stack   []loadRequest
	pending map[string]bool
	wake    chan struct{}
	quit    chan struct{}
}

type loadRequest struct {
	id  string
	idx int
}

// maxQueued bounds the waiting requests; older ones are dropped (their rows
// have scrolled out of view and ask again when they come back).
const maxQueued = 200

func newSummaryLoader(sess *device.Session, do func(func()), deliver func(string, int, device.Summary, error)) *summaryLoader {
	l := &summaryLoader{sess: sess, do: do, deliver: deliver, pending: map[string]bool{},
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
	go l.run()
	return l
}

func (l *summaryLoader) request(id string, idx int) {
	l.mu.Lock()
	if l.pending[id] {
		l.mu.Unlock()
		return
	}
	l.pending[id] = true
	l.stack = append(l.stack, loadRequest{id, idx})
	if len(l.stack) > maxQueued {
		drop := len(l.stack) - maxQueued
		for _, r := range l.stack[:drop] {
			delete(l.pending, r.id)
		}
		l.stack = append(l.stack[:0], l.stack[drop:]...)
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *summaryLoader) next() (loadRequest, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.stack) == 0 {
		return loadRequest{}, false
	}
	r := l.stack[len(l.stack)-1]
	l.stack = l.stack[:len(l.stack)-1]
	return r, true
}

func (l *summaryLoader) run() {
	for {
		select {
		case <-l.quit:
			return
		case <-l.wake:
		}
		for {
			r, ok := l.next()
			if !ok {
				break
			}
			select {
			case <-l.quit:
				return
			default:
			}
			s, err := l.sess.Summary(r.id)
			// The request stays pending until the row has its summary:
			// a row redrawn meanwhile must not ask (and decrypt) again.
			l.do(func() {
				l.mu.Lock()
				delete(l.pending, r.id)
				l.mu.Unlock()
				l.deliver(r.id, r.idx, s, err)
			})
		}
	}
}

func (l *summaryLoader) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.quit:
	default:
		close(l.quit)
	}
}

// mistypedRegID reports text shaped like a registration ID whose check
// character does not match.
func mistypedRegID(text string) bool {
	_, err := registry.ParseRegID(text)
	return errors.Is(err, registry.ErrRegIDCheck)
}
