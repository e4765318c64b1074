package app

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
)

// detailScreen shows one record: every field, the family or group, links,
// conflicts and the history of versions (who, when, why, which fields).
type detailScreen struct {
	u    *UI
	id   string
	back func()
	// backLabel says where back goes ("Back to records" when empty).
	backLabel string
	root      *fyne.Container
	view      *device.RecordView
}

func newDetailScreen(u *UI, id string, back func()) *detailScreen {
	d := &detailScreen{u: u, id: id, back: back}
	progress := widget.NewProgressBarInfinite()
	d.root = container.NewStack(container.NewPadded(container.NewVBox(heading("Opening the record…"), progress)))
	sess := u.sess
	var rv *device.RecordView
	var err error
	u.background(func() { rv, err = sess.Get(id) }, func() {
		if u.sess != sess {
			return
		}
		if err != nil {
			fyne.LogError("opening a record failed", nil)
			d.root.Objects = []fyne.CanvasObject{container.NewPadded(container.NewVBox(
				heading("This record cannot be opened"), para(plainError(err)),
				toolbar(u.button("Back to records", theme.NavigateBackIcon(), back))))}
			d.root.Refresh()
			return
		}
		d.view = rv
		d.show()
	})
	return d
}

func (d *detailScreen) show() {
	u, rv := d.u, d.view
	p := &rv.Person
	title := heading(p.FullName())
	id := mono(rv.ID, 30)
	back := u.button(d.backText(), theme.NavigateBackIcon(), d.back)
	amend := u.primary("Amend", theme.DocumentCreateIcon(), func() { d.amend() })
	reissue := u.button("Receipt", theme.DocumentPrintIcon(), d.receipt)
	family := u.button("Add family member", theme.ContentAddIcon(), d.addMember)
	header := container.NewVBox(title, id, toolbar(amend, reissue, family, back))

	left := []fyne.CanvasObject{widget.NewCard("Person", "", dense(d.u.personDetails(p)))}
	var right []fyne.CanvasObject
	if len(rv.Group) > 0 {
		members := container.NewVBox()
		for _, m := range rv.Group {
			m := m
			text := m.FullName()
			if m.Relationship != "" {
				text += "  (" + label(m.Relationship, relationshipLabels) + ")"
			}
			b := u.button(text, theme.AccountIcon(), func() {
				next := newDetailScreen(u, m.ID, d.back)
				next.backLabel = d.backLabel
				u.sh.show(navRecords, next.root)
			})
			b.Alignment = widget.ButtonAlignLeading
			members.Add(b)
		}
		right = append(right, widget.NewCard("Family or group", plural(len(rv.Group), "other member", "other members"), members))
	}
	if len(rv.Links) > 0 {
		links := container.NewVBox()
		for _, l := range rv.Links {
			what := "Decided: a different person from "
			if l.Same {
				what = "Decided: the same person as "
			}
			text := what + l.Other
			if l.Note != "" {
				text += " (" + l.Note + ")"
			}
			links.Add(para(text))
		}
		right = append(right, widget.NewCard("Links to other records", "", links))
	}
	if len(rv.Conflicts) > 0 {
		var fields []string
		for _, c := range rv.Conflicts {
			fields = append(fields, label(c.Field, fieldLabels))
		}
		m := newMessage(widget.WarningImportance)
		m.Set("Two officers changed these fields at the same time on different devices: " + strings.Join(fields, ", ") +
			". The record shows the later change; a supervisor should check which is right.")
		right = append(right, widget.NewCard("Conflicts", "", m.Object()))
	}
	if u.bgSync().enrolled() {
		v := newElsewhereView(u, rv.ID)
		v.Load()
		u.watchElsewhere(v)
		right = append(right, widget.NewCard("Registered elsewhere?", "In another country of the region", v.Object()))
	}
	right = append(right, widget.NewCard("History", plural(len(rv.Versions), "version", "versions")+"; nothing is ever overwritten", dense(d.history())))
	body := u.newColumns(left, right)
	d.root.Objects = []fyne.CanvasObject{container.NewBorder(container.NewPadded(header), nil, nil, nil, body)}
	d.root.Refresh()
}

// addMember registers a new member of this record's family or group (a
// relative who arrives later): the Register screen opens with the family's
// shared data. A registration in progress there is discarded only if the
// officer agrees.
func (d *detailScreen) addMember() {
	u := d.u
	if u.sh.reg == nil {
		u.sh.reg = newRegisterFlow(u)
	}
	r := u.sh.reg
	id, head := d.view.ID, d.view.Person
	begin := func() { r.joinFamily(id, &head) }
	if r.inProgress() {
		dialog.ShowConfirm("Discard the registration in progress?",
			"The Register screen holds a registration that is not saved yet. Adding a family member to this record discards it.",
			func(ok bool) {
				if ok {
					begin()
				}
			}, u.win)
		return
	}
	begin()
}

// backText names where the Back button goes.
func (d *detailScreen) backText() string {
	if d.backLabel != "" {
		return d.backLabel
	}
	return "Back to records"
}

// receipt reissues the person's receipt (a new receipt, audit-logged).
func (d *detailScreen) receipt() {
	u, rv := d.u, d.view
	back := u.button("Back to the record", theme.NavigateBackIcon(), func() { u.sh.show(navRecords, d.root) })
	r := newReceiptScreen(u, navRecords, "Receipt for "+rv.Person.FullName(),
		"A new receipt is issued; earlier receipts of this registration stay valid.",
		[]receiptFor{{id: rv.ID, name: rv.Person.FullName()}}, "", back)
	u.sh.show(navRecords, r.root)
}

// history lists the versions, newest first.
func (d *detailScreen) history() fyne.CanvasObject {
	rv := d.view
	box := container.NewVBox()
	for i := len(rv.Versions) - 1; i >= 0; i-- {
		v := rv.Versions[i]
		officer := rv.By[v.Event]
		what := map[string]string{registry.OpRegister: "Registered", registry.OpAmend: "Amended", registry.OpLink: "Linked"}[v.Op]
		if what == "" {
			what = v.Op
		}
		lines := []string{fmt.Sprintf("%s on %s by %s", what, when(v.HLC.Time()), officer)}
		if v.Reason != "" {
			lines = append(lines, "Reason: "+v.Reason)
		}
		if v.Op == registry.OpAmend && len(v.Fields) > 0 {
			fields := make([]string, len(v.Fields))
			for j, f := range v.Fields {
				fields[j] = label(f, fieldLabels)
			}
			sort.Strings(fields)
			lines = append(lines, "Changed: "+strings.Join(fields, ", "))
		}
		t := widget.NewLabelWithStyle(fmt.Sprintf("Version %d", i+1), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		box.Add(container.NewVBox(t, para(strings.Join(lines, "\n")), widget.NewSeparator()))
	}
	return box
}

// amend opens the form prefilled with the record; saving makes a new version.
func (d *detailScreen) amend() {
	a := &amendScreen{u: d.u, detail: d}
	a.showForm(nil)
}

// amendScreen changes a record: the form prefilled, a required reason, a
// review of the changed fields, then a new version.
type amendScreen struct {
	u      *UI
	detail *detailScreen
	form   *personForm
	person *registry.Person
	reason string
}

func (a *amendScreen) showForm(edited *registry.Person) {
	u, rv := a.u, a.detail.view
	p := &rv.Person
	if edited != nil {
		p = edited
	}
	f := u.newPersonForm(p, true, rv.Person.Group != "")
	f.base.Group = rv.Person.Group
	if a.reason != "" {
		f.reason.SetText(a.reason)
	}
	a.form = f
	left, right := f.sections()
	header := container.NewVBox(heading("Amend "+rv.Person.FullName()), mono(rv.ID, 24),
		para("Change what is wrong and say why. The earlier version stays in the history."))
	review := u.primary("Review changes", theme.NavigateNextIcon(), a.review)
	cancel := u.button("Cancel", theme.CancelIcon(), func() { u.sh.show(navRecords, a.detail.root) })
	footer := container.NewPadded(container.NewVBox(f.summary.Object(), toolbar(review, cancel)))
	screen := container.NewBorder(container.NewPadded(header), footer, nil, nil, u.newColumns(left, right))
	u.sh.show(navRecords, screen)
	u.focus(f.first)
}

func (a *amendScreen) review() {
	p, ok := a.form.validate()
	if !ok {
		return
	}
	rv := a.detail.view
	diff := registry.Diff(&rv.Person, p)
	if len(diff) == 0 {
		a.form.note("Nothing was changed. Change a field, or press Cancel.")
		return
	}
	a.person = p
	a.reason = strings.TrimSpace(a.form.reason.Text)
	var changed []string
	for k := range diff {
		changed = append(changed, label(k, fieldLabels))
	}
	sort.Strings(changed)
	u := a.u
	status := newMessage(widget.DangerImportance)
	progress := widget.NewProgressBarInfinite()
	progress.Hide()
	var save, back *widget.Button
	back = u.button("Back to the form", theme.NavigateBackIcon(), func() { a.showForm(a.person) })
	save = u.primary("Save new version", theme.DocumentSaveIcon(), func() {
		sess := u.sess
		if sess == nil {
			return
		}
		save.Disable()
		back.Disable()
		progress.Show()
		id, person, reason := rv.ID, *a.person, a.reason
		var err error
		u.background(func() { err = sess.Amend(id, &person, reason) }, func() {
			if u.sess != sess {
				return
			}
			progress.Hide()
			save.Enable()
			back.Enable()
			var fe registry.FieldErrors
			switch {
			case err == nil:
				next := newDetailScreen(u, id, a.detail.back)
				next.backLabel = a.detail.backLabel
				u.sh.show(navRecords, next.root)
			case errors.Is(err, device.ErrNoChange):
				status.Set("Nothing was changed, so no new version was saved.")
			case errors.As(err, &fe):
				a.showForm(a.person)
				a.form.showErrors(fe)
			default:
				fyne.LogError("amending a record failed", nil)
				status.Set("Nothing was saved. " + plainError(err))
			}
		})
	})
	summary := container.NewVBox(
		rows("The change", [][2]string{{"Reason", a.reason}, {"Fields changed", strings.Join(changed, ", ")}}),
		widget.NewSeparator(),
	)
	summary.Add(dense(a.u.personDetails(p)))
	header := container.NewVBox(heading("Check the new version of "+p.FullName()), mono(rv.ID, 24))
	footer := container.NewVBox(status.Object(), progress, toolbar(save, back))
	u.sh.show(navRecords, container.NewBorder(container.NewPadded(header), container.NewPadded(footer), nil, nil,
		u.scroll(centred(900, widget.NewCard("", "", summary)))))
}
