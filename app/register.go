package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/registry"
)

// registerFlow registers one person, or a family or group: each member is
// typed in their own form, prefilled with what the family shares (family
// name, nationality, encounter, category, languages), then all are reviewed
// together and saved in one transaction.
type registerFlow struct {
	u       *UI
	members []*registry.Person // members typed so far, in order
	editing int                // index of the member in the form; len(members) for a new one
	form    *personForm
	// joinTo is a saved record whose family new members join ("Add family
	// member" after saving); empty for a new registration.
	joinTo     string
	joinToName string

	// decisions are the officer's decisions on possible earlier
	// registrations, one list per member (in step with members);
	// formDecisions are those of the member in the form.
	decisions     [][]linkDecision
	formDecisions []linkDecision
	panel         *candidatePanel
	screen        fyne.CanvasObject // the form screen, to come back to
	// receipts is the receipt screen after a save.
	receipts *receiptScreen
}

func newRegisterFlow(u *UI) *registerFlow { return &registerFlow{u: u} }

// inGroup reports whether the flow registers more than one person.
func (r *registerFlow) inGroup() bool { return len(r.members) > 0 || r.joinTo != "" }

// start opens a form for a new member, prefilled from shared (nil: empty).
func (r *registerFlow) start(shared *registry.Person) {
	r.editing = len(r.members)
	p := &registry.Person{}
	if shared != nil {
		p = sharedData(shared)
	} else {
		p.Encounter = registry.Encounter{Place: r.u.dev.Info().Station, At: r.u.dev.Now()}
	}
	r.showForm(p)
}

// sharedData is what a new family member starts with: the data the family
// shares, so nobody retypes it.
func sharedData(from *registry.Person) *registry.Person {
	p := &registry.Person{
		FamilyName:        from.FamilyName,
		Nationalities:     append([]string(nil), from.Nationalities...),
		Encounter:         from.Encounter,
		Category:          from.Category,
		Languages:         append([]string(nil), from.Languages...),
		Interpreter:       from.Interpreter,
		InformationNotice: from.InformationNotice,
		Relationship:      "child",
	}
	return p
}

func (r *registerFlow) showForm(p *registry.Person) {
	u := r.u
	group := r.inGroup()
	f := u.newPersonForm(p, false, group)
	r.form = f
	r.formDecisions = nil
	if r.editing < len(r.decisions) {
		r.formDecisions = append([]linkDecision(nil), r.decisions[r.editing]...)
	}
	if r.panel != nil {
		r.panel.stop()
	}
	var exclude []string
	if r.joinTo != "" {
		exclude = []string{r.joinTo}
	}
	r.panel = newCandidatePanel(u, r, f, exclude...)
	left, right := f.sections()

	title := u.T("register.title")
	if group {
		title = u.Tf("register.group_title", i18n.Args{"N": r.editing + 1 + r.joinedOffset()})
	}
	header := container.NewVBox(heading(title))
	if r.joinTo != "" {
		header.Add(para(u.Tf("register.joins", i18n.Args{"Name": r.joinToName, "ID": r.joinTo})))
	}
	if len(r.members) > 0 {
		chips := container.NewHBox(widget.NewLabel(u.T("register.in_group")))
		for i, m := range r.members {
			i := i
			name := m.FullName()
			if i == r.editing {
				name = u.Tf("register.this_form", i18n.Args{"Name": name})
			}
			b := u.button(name, theme.DocumentCreateIcon(), func() { r.switchTo(i) })
			if i == r.editing {
				b.Disable()
			}
			chips.Add(b)
		}
		header.Add(container.NewHScroll(chips))
	}

	review := u.primary(u.T("register.review"), theme.NavigateNextIcon(), func() {
		if r.keep() {
			r.review()
		}
	})
	addMember := u.button(u.T("register.add_member"), theme.ContentAddIcon(), func() {
		if r.keep() {
			if len(r.members) == 1 && r.members[0].Relationship == "" && r.joinTo == "" {
				r.members[0].Relationship = "head"
			}
			r.start(r.members[0])
		}
	})
	actions := []fyne.CanvasObject{review, addMember}
	if group || r.editing > 0 {
		actions = append(actions, u.button(u.T("register.remove_person"), theme.DeleteIcon(), r.removeCurrent))
	}
	actions = append(actions, u.button(u.T("register.start_over"), theme.CancelIcon(), r.startOver))

	body := u.newColumns(left, right)
	r.panel.frame = container.New(&sideLayout{width: 420, wideMin: 1100, natural: r.panel.natural}, body, r.panel.root)
	// What is wrong shows above the buttons, where the officer pressed.
	footer := container.NewPadded(container.NewVBox(f.summary.Object(), toolbar(actions...)))
	screen := container.NewBorder(container.NewPadded(header), footer, nil, nil, r.panel.frame)
	r.screen = screen
	u.sh.show(navRegister, screen)
	u.focus(f.first)
	if len(r.formDecisions) > 0 {
		r.panel.refresh()
	}
	r.panel.check()
}

// openCandidate shows a possible earlier registration beside the person
// typed so far, for the officer to decide.
func (r *registerFlow) openCandidate(c device.Candidate) {
	u := r.u
	now, _ := r.form.read(u.dev.Now())
	back := func() { u.sh.show(navRegister, r.screen) }
	v := &candidateView{u: u, flow: r, cand: c, now: now, back: back}
	v.decide = func(same bool) {
		r.decide(c, same)
		back()
	}
	u.sh.show(navRegister, v.build())
}

// decide records the officer's decision on candidate c for the member in
// the form; it is saved as a link with the registration.
func (r *registerFlow) decide(c device.Candidate, same bool) {
	kept := r.formDecisions[:0]
	for _, d := range r.formDecisions {
		if d.cand.ID != c.ID {
			kept = append(kept, d)
		}
	}
	r.formDecisions = append(kept, linkDecision{cand: c, same: same})
	r.panel.refresh()
}

// joinedOffset counts the saved member a joining flow adds to.
func (r *registerFlow) joinedOffset() int {
	if r.joinTo != "" {
		return 1
	}
	return 0
}

// keep validates the form and stores its person in the group. On failure
// the form shows what is wrong and keep returns false.
func (r *registerFlow) keep() bool {
	p, ok := r.form.validate()
	if !ok {
		return false
	}
	if r.inGroup() && p.Relationship == "" && r.editing == 0 && r.joinTo == "" {
		p.Relationship = "head"
	}
	decisions := append([]linkDecision(nil), r.formDecisions...)
	if r.editing < len(r.members) {
		r.members[r.editing] = p
		r.decisions[r.editing] = decisions
	} else {
		r.members = append(r.members, p)
		r.decisions = append(r.decisions, decisions)
	}
	return true
}

// switchTo keeps the current form (if it is valid) and edits member i.
func (r *registerFlow) switchTo(i int) {
	if !r.keep() {
		return
	}
	r.editing = i
	r.showForm(r.members[i])
}

func (r *registerFlow) removeCurrent() {
	r.u.confirm(r.u.T("register.remove_title"), r.u.T("register.remove_body"), func(ok bool) {
		if !ok {
			return
		}
		if r.editing < len(r.members) {
			r.members = append(r.members[:r.editing], r.members[r.editing+1:]...)
			r.decisions = append(r.decisions[:r.editing], r.decisions[r.editing+1:]...)
		}
		if len(r.members) == 0 {
			r.reset()
			return
		}
		r.editing = len(r.members) - 1
		r.showForm(r.members[r.editing])
	})
}

func (r *registerFlow) startOver() {
	r.u.confirm(r.u.T("register.start_over_title"), r.u.T("register.start_over_body"), func(ok bool) {
		if ok {
			r.reset()
		}
	})
}

// joinFamily begins registering a new member of the family or group of
// the saved record id (head is its person: the form starts with what a
// family shares).
func (r *registerFlow) joinFamily(id string, head *registry.Person) {
	r.members = nil
	r.decisions = nil
	r.joinTo, r.joinToName = id, head.FullName()
	r.start(head)
}

// inProgress reports whether the flow holds data typed and not yet saved:
// members kept in the group, or names typed in the form on screen.
func (r *registerFlow) inProgress() bool {
	if len(r.members) > 0 {
		return true
	}
	f := r.form
	if f == nil || r.screen == nil || r.u.sh.views[navRegister] != r.screen {
		return false
	}
	// A family member's form starts with the family name: only what the
	// officer typed counts.
	typed := strings.TrimSpace(f.given.Text) != "" || strings.TrimSpace(f.dob.Text) != "" || strings.TrimSpace(f.docNum.Text) != ""
	if r.joinTo == "" {
		typed = typed || strings.TrimSpace(f.family.Text) != ""
	}
	return typed
}

// reset begins a new registration with an empty form.
func (r *registerFlow) reset() {
	r.members = nil
	r.decisions = nil
	r.joinTo, r.joinToName = "", ""
	r.start(nil)
}

// review shows every member for a last check before saving.
func (r *registerFlow) review() {
	r.panel.stop()
	rv := &reviewScreen{u: r.u, people: r.members, links: r.decisions, joinTo: r.joinTo,
		onEdit: func(i int) { r.editing = i; r.showForm(r.members[i]) },
		onSaved: func(ids []string, notes string) {
			saved := r.members
			r.members = nil
			r.decisions = nil
			r.showSaved(saved, ids, notes)
		},
		onGroupError: func(i int, err error) {
			r.editing = i
			r.showForm(r.members[i])
			r.form.validate()
			r.form.note(r.u.plainError(err))
		},
	}
	r.u.sh.show(navRegister, rv.build())
}

// showSaved shows the registration IDs and each person's receipt.
func (r *registerFlow) showSaved(people []*registry.Person, ids []string, notes string) {
	u := r.u
	title := u.T("register.saved")
	if len(ids) > 1 {
		title = u.Tn("register.saved_n", len(ids), nil)
	}
	head := people[0]
	headID := ids[0]
	next := u.primary(u.T("register.next"), theme.ContentAddIcon(), func() { r.reset() })
	addMember := u.button(u.T("register.add_member"), theme.ContentAddIcon(), func() { r.joinFamily(headID, head) })
	var who []receiptFor
	for i, id := range ids {
		who = append(who, receiptFor{id: id, name: people[i].FullName(), lang: people[i].NoticeLang})
	}
	intro := u.T("register.saved_intro")
	r.receipts = newReceiptScreen(u, navRegister, title, intro, who, notes, next, addMember)
	if u.bgSync().enrolled() {
		// Registered elsewhere? Asked at once for each person; offline,
		// the questions wait for the next sync.
		views := make([]*elsewhereView, len(ids))
		for i, id := range ids {
			views[i] = newElsewhereView(u, id)
			if len(ids) > 1 {
				// In a family, the member with a hit is marked on their
				// button, so it is not missed among the receipts.
				rs := r.receipts
				views[i].onShown = func(hit bool) { rs.markHit(i, hit) }
			}
			views[i].Ask()
		}
		u.watchElsewhere(views...)
		// Set before the first receipt renders (it is issued in the
		// background and rendered on this goroutine afterwards).
		r.receipts.extra = func(i int) fyne.CanvasObject { return views[i].Object() }
	}
	// Where do they sleep tonight: the centres that fit them together.
	ref := newReferralView(u, ids)
	rs := r.receipts
	ref.referred = func(centre string) { rs.setCentre(centre) }
	if ask := rs.extra; ask != nil {
		rs.extra = func(i int) fyne.CanvasObject { return container.NewVBox(ask(i), ref.Object()) }
	} else {
		rs.extra = func(int) fyne.CanvasObject { return ref.Object() }
	}
	u.sh.show(navRegister, r.receipts.root)
	u.focus(nil)
}
