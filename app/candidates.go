package app

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/match"
	"github.com/fieldreg/fieldreg/registry"
)

// candidateDelay is how long typing must pause before the duplicate check.
const candidateDelay = 400 * time.Millisecond

// candidateLimit is how many possible earlier registrations the panel lists.
const candidateLimit = 5

// strongScore is the score from which a candidate is called a strong match.
const strongScore = 0.9

// linkDecision is an officer's decision that the person being registered is,
// or is not, the person of an earlier registration. It is saved as a link
// once the new registration is saved; nothing is ever merged.
type linkDecision struct {
	cand device.Candidate
	same bool
}

func (d linkDecision) text(u *UI) string {
	args := i18n.Args{"Name": d.cand.FullName(), "ID": d.cand.ID}
	if d.same {
		return u.Tf("link.decided_same", args)
	}
	return u.Tf("link.decided_different", args)
}

// candidatePanel is "Possible earlier registrations" beside the register
// form: once names and a date of birth are typed it asks the device,
// off the UI goroutine, for earlier registrations that may be the same
// person, and lists them best first with the fields that agree and differ.
// The officer opens one and decides; the panel shows the decision.
type candidatePanel struct {
	u    *UI
	flow *registerFlow
	form *personForm

	root   *fyne.Container // hidden while there is nothing to show
	frame  *fyne.Container // the form and the panel, laid out by sideLayout
	header *fyne.Container
	list   *fyne.Container
	title  *widget.Label

	found   []device.Candidate
	timer   *time.Timer
	gen     int
	last    string // the probe last searched for
	exclude []string
}

func newCandidatePanel(u *UI, flow *registerFlow, form *personForm, exclude ...string) *candidatePanel {
	c := &candidatePanel{u: u, flow: flow, form: form, exclude: exclude}
	c.title = widget.NewLabelWithStyle(u.T("candidates.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.title.Importance = widget.WarningImportance
	c.title.Wrapping = fyne.TextWrapWord
	c.header = container.NewVBox(c.title, para(u.T("candidates.help")), widget.NewSeparator())
	c.list = container.NewVBox()
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.Size(theme.SizeNameInputRadius)
	c.root = container.NewStack(bg, container.NewPadded(container.NewBorder(c.header, nil, nil, nil, u.scroll(c.list))))
	c.root.Hide()
	form.changed = c.soon
	return c
}

// natural is the height the panel needs to show everything without scrolling.
func (c *candidatePanel) natural() float32 {
	return c.header.MinSize().Height + c.list.MinSize().Height + 3*theme.Padding()
}

// soon checks once typing pauses.
func (c *candidatePanel) soon() {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.gen++
	gen := c.gen
	c.timer = time.AfterFunc(candidateDelay, func() {
		c.u.do(func() {
			if gen == c.gen {
				c.check()
			}
		})
	})
}

// stop cancels a pending check (the form is gone).
func (c *candidatePanel) stop() {
	if c.timer != nil {
		c.timer.Stop()
	}
	c.gen++
}

// probe is the person typed so far, or nil if there is not enough to search.
func (c *candidatePanel) probe() (*registry.Person, string) {
	p, _ := c.form.read(c.u.dev.Now())
	if (strings.TrimSpace(p.FamilyName) == "" && strings.TrimSpace(p.GivenNames) == "") || p.BirthDate.Year == 0 {
		return nil, ""
	}
	key := strings.Join([]string{p.FamilyName, p.GivenNames, p.BirthDate.String(), p.Sex,
		strings.Join(p.Nationalities, ","), p.Document.Number}, "\x00")
	return p, key
}

// check runs the duplicate check now, off the UI goroutine.
func (c *candidatePanel) check() {
	sess := c.u.sess
	if sess == nil {
		return
	}
	p, key := c.probe()
	if p == nil {
		c.last = ""
		c.show(nil)
		return
	}
	if key == c.last {
		return
	}
	c.last = key
	gen := c.gen
	var found []device.Candidate
	var err error
	c.u.background(func() { found, err = sess.Candidates(p, candidateLimit, c.exclude...) }, func() {
		if gen != c.gen || c.u.sess != sess {
			return
		}
		if err != nil {
			// The check is a help, not a step: the officer can go on.
			fyne.LogError("the duplicate check failed", nil)
			c.last = ""
			return
		}
		c.show(found)
	})
}

// show lists found, with the decisions taken so far.
func (c *candidatePanel) show(found []device.Candidate) {
	c.found = found
	c.refresh()
}

// refresh rebuilds the list from the found candidates and the decisions.
func (c *candidatePanel) refresh() {
	c.list.RemoveAll()
	decided := map[string]linkDecision{}
	for _, d := range c.flow.formDecisions {
		decided[d.cand.ID] = d
	}
	shown := map[string]bool{}
	for _, cand := range c.found {
		shown[cand.ID] = true
		c.list.Add(c.row(cand, decided))
	}
	for _, d := range c.flow.formDecisions {
		if !shown[d.cand.ID] {
			c.list.Add(c.row(d.cand, decided))
		}
	}
	n := len(c.list.Objects)
	if len(c.found) > 0 {
		c.title.SetText(c.u.Tn("candidates.found", len(c.found), nil))
	} else {
		c.title.SetText(c.u.T("candidates.decisions"))
	}
	if n == 0 {
		c.root.Hide()
	} else {
		c.root.Show()
	}
	c.root.Refresh()
	if c.frame != nil {
		c.frame.Refresh()
	}
}

// strength is a candidate's score in plain words and as a percentage.
func (u *UI) strength(score float64) string {
	args := i18n.Args{"Percent": int(score*100 + 0.5)}
	if score >= strongScore {
		return u.Tf("candidates.strong", args)
	}
	return u.Tf("candidates.possible", args)
}

// reasonLabels are the fields that agree (✓) and differ (✗), with what
// was found, in the officer's language.
func (u *UI) reasonLabels(reasons []match.Reason) fyne.CanvasObject {
	box := container.New(&flowLayout{})
	for _, r := range reasons {
		mark, imp := "✓ ", widget.SuccessImportance
		if !r.Agree {
			mark, imp = "✗ ", widget.DangerImportance
		}
		l := widget.NewLabel(mark + reasonText(u.loc, r))
		l.Importance = imp
		l.Wrapping = fyne.TextWrapWord
		box.Add(l)
	}
	return box
}

// summaryLine says who a summary is and when and where they were registered.
func (u *UI) summaryLine(s device.Summary) string {
	var parts []string
	if !s.BirthDate.IsZero() {
		parts = append(parts, u.Tf("summary.born", i18n.Args{"Date": s.BirthDate.String()}))
	}
	if s.Sex != "" {
		parts = append(parts, u.label(s.Sex, sexLabels))
	}
	if len(s.Nationalities) > 0 {
		parts = append(parts, strings.Join(s.Nationalities, " "))
	}
	reg := u.Tf("summary.registered", i18n.Args{"When": when(s.Created.Time())})
	if s.Place != "" {
		reg = u.Tf("summary.registered_at", i18n.Args{"When": when(s.Created.Time()), "Place": s.Place})
	}
	parts = append(parts, reg)
	return strings.Join(parts, " · ")
}

func (c *candidatePanel) row(cand device.Candidate, decided map[string]linkDecision) fyne.CanvasObject {
	u := c.u
	name := widget.NewLabelWithStyle(cand.FullName(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Wrapping = fyne.TextWrapWord
	score := widget.NewLabelWithStyle(u.strength(cand.Score), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if cand.Score >= strongScore {
		score.Importance = widget.WarningImportance
	}
	text := container.NewVBox(name, score, para(cand.ID+" · "+u.summaryLine(cand.Summary)), u.reasonLabels(cand.Reasons))
	openText := u.T("candidates.open")
	if d, ok := decided[cand.ID]; ok {
		m := newMessage(widget.SuccessImportance)
		m.Set(d.text(u))
		text.Add(m.Object())
		openText = u.T("candidates.open_again")
	}
	cand2 := cand
	// Not dense(): a theme override reloads its fonts on every refresh,
	// and these rows are rebuilt as the officer types.
	return container.NewVBox(text,
		toolbar(u.button(openText, theme.VisibilityIcon(), func() { c.flow.openCandidate(cand2) })),
		widget.NewSeparator())
}

// candidateView is a read-only view of a possible earlier registration
// beside the person being registered, where the officer decides. Opening
// it is audit-logged (Session.Get).
type candidateView struct {
	u      *UI
	flow   *registerFlow
	cand   device.Candidate
	now    *registry.Person
	back   func()
	decide func(same bool)
	root   *fyne.Container
}

func (v *candidateView) build() fyne.CanvasObject {
	u := v.u
	progress := widget.NewProgressBarInfinite()
	v.root = container.NewStack(container.NewPadded(container.NewVBox(heading(u.T("candidates.opening")), progress)))
	sess := u.sess
	var rv *device.RecordView
	var err error
	u.background(func() { rv, err = sess.Get(v.cand.ID) }, func() {
		if u.sess != sess {
			return
		}
		if err != nil {
			fyne.LogError("opening a candidate failed", nil)
			v.root.Objects = []fyne.CanvasObject{container.NewPadded(container.NewVBox(
				heading(u.T("record.cannot_open")), para(u.plainError(err)),
				toolbar(u.button(u.T("register.back_to_form"), theme.NavigateBackIcon(), v.back))))}
			v.root.Refresh()
			return
		}
		v.show(rv)
	})
	return v.root
}

func (v *candidateView) show(rv *device.RecordView) {
	u := v.u
	header := container.NewVBox(
		heading(u.T("candidates.same_question")),
		widget.NewLabelWithStyle(u.strength(v.cand.Score), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		u.reasonLabels(v.cand.Reasons),
	)
	earlier := widget.NewCard(u.T("candidates.earlier"), rv.ID+" · "+u.Tf("summary.registered", i18n.Args{"When": when(rv.Created().Time())}),
		dense(v.u.personDetails(&rv.Person)))
	now := widget.NewCard(u.T("candidates.now"), u.T("candidates.not_saved"), dense(v.u.personDetails(v.now)))
	same := u.primary(u.T("candidates.same"), theme.ConfirmIcon(), func() { v.decide(true) })
	different := u.button(u.T("candidates.different"), theme.CancelIcon(), func() { v.decide(false) })
	back := u.button(u.T("register.back_to_form"), theme.NavigateBackIcon(), v.back)
	footer := container.NewVBox(
		para(u.T("candidates.compare_help")),
		toolbar(same, different, back))
	v.root.Objects = []fyne.CanvasObject{container.NewBorder(container.NewPadded(header), container.NewPadded(footer), nil, nil,
		u.newColumns([]fyne.CanvasObject{earlier}, []fyne.CanvasObject{now}))}
	v.root.Refresh()
}

// sideLayout places a panel beside the main content on a wide window and
// below it, at most half the height, on a narrow one. A hidden panel gives
// the main content all the room.
type sideLayout struct {
	width   float32        // the panel's width beside the content
	wideMin float32        // the window width from which the panel goes beside
	natural func() float32 // the height the panel needs below the content
}

func (l *sideLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	main, panel := objs[0], objs[1]
	if !panel.Visible() {
		main.Move(fyne.NewPos(0, 0))
		main.Resize(size)
		return
	}
	pad := theme.Padding()
	if size.Width >= l.wideMin {
		w := size.Width - l.width - pad
		main.Move(fyne.NewPos(0, 0))
		main.Resize(fyne.NewSize(w, size.Height))
		panel.Move(fyne.NewPos(w+pad, 0))
		panel.Resize(fyne.NewSize(l.width, size.Height))
		return
	}
	h := fyne.Min(l.natural(), size.Height/2)
	main.Move(fyne.NewPos(0, 0))
	main.Resize(fyne.NewSize(size.Width, size.Height-h-pad))
	panel.Move(fyne.NewPos(0, size.Height-h))
	panel.Resize(fyne.NewSize(size.Width, h))
}

func (l *sideLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return objs[0].MinSize()
}
