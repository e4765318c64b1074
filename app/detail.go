package app

import (
	"errors"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
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
	d.root = container.NewStack(container.NewPadded(container.NewVBox(heading(u.T("record.opening")), progress)))
	sess := u.sess
	var rv *device.RecordView
	var err error
	u.background(func() { rv, err = sess.Get(id) }, func() {
		if u.sess != sess {
			return
		}
		if msg := u.erasedText(err); msg != "" {
			d.root.Objects = []fyne.CanvasObject{container.NewPadded(container.NewVBox(
				heading(msg), toolbar(u.button(u.T("records.back"), theme.NavigateBackIcon(), back))))}
			d.root.Refresh()
			return
		}
		if err != nil {
			fyne.LogError("opening a record failed", nil)
			d.root.Objects = []fyne.CanvasObject{container.NewPadded(container.NewVBox(
				heading(u.T("record.cannot_open")), para(u.plainError(err)),
				toolbar(u.button(u.T("records.back"), theme.NavigateBackIcon(), back))))}
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
	amend := u.primary(u.T("record.amend"), theme.DocumentCreateIcon(), func() { d.amend() })
	reissue := u.button(u.T("record.receipt"), theme.DocumentPrintIcon(), d.receipt)
	family := u.button(u.T("register.add_member"), theme.ContentAddIcon(), d.addMember)
	header := container.NewVBox(title, id, toolbar(amend, reissue, family, back))

	left := []fyne.CanvasObject{widget.NewCard(u.T("record.person"), "", dense(d.u.personDetails(p)))}
	var right []fyne.CanvasObject
	if len(rv.Group) > 0 {
		members := container.NewVBox()
		for _, m := range rv.Group {
			m := m
			text := m.FullName()
			if m.Relationship != "" {
				text += "  (" + u.label(m.Relationship, relationshipLabels) + ")"
			}
			b := u.button(text, theme.AccountIcon(), func() {
				next := newDetailScreen(u, m.ID, d.back)
				next.backLabel = d.backLabel
				u.sh.show(navRecords, next.root)
			})
			b.Alignment = widget.ButtonAlignLeading
			members.Add(b)
		}
		right = append(right, widget.NewCard(u.T("record.family"), u.Tn("record.other_members", len(rv.Group), nil), members))
	}
	if len(rv.Links) > 0 {
		links := container.NewVBox()
		for _, l := range rv.Links {
			args := i18n.Args{"Name": l.Other, "ID": l.Note}
			var text string
			switch {
			case l.Same && l.Note != "":
				text = u.Tf("link.decided_same", args)
			case l.Same:
				text = u.Tf("link.same_as", args)
			case l.Note != "":
				text = u.Tf("link.decided_different", args)
			default:
				text = u.Tf("link.different_from", args)
			}
			links.Add(para(text))
		}
		right = append(right, widget.NewCard(u.T("record.links"), "", links))
	}
	if len(rv.Conflicts) > 0 {
		var fields []string
		for _, c := range rv.Conflicts {
			fields = append(fields, u.label(c.Field, fieldLabels))
		}
		m := newMessage(widget.WarningImportance)
		m.Set(u.Tf("record.conflicts", i18n.Args{"Fields": strings.Join(fields, ", ")}))
		right = append(right, widget.NewCard(u.T("nav.conflicts"), "", m.Object()))
	}
	if u.bgSync().enrolled() {
		v := newElsewhereView(u, rv.ID)
		v.Load()
		u.watchElsewhere(v)
		right = append(right, widget.NewCard(u.T("elsewhere.title"), u.T("elsewhere.subtitle"), v.Object()))
	}
	right = append(right, d.retentionCard())
	right = append(right, widget.NewCard(u.T("record.history"), u.Tn("record.versions", len(rv.Versions), nil), dense(d.history())))
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
		u.confirm(u.T("record.discard_title"),
			u.T("record.discard_body"),
			func(ok bool) {
				if ok {
					begin()
				}
			})
		return
	}
	begin()
}

// backText names where the Back button goes.
func (d *detailScreen) backText() string {
	if d.backLabel != "" {
		return d.backLabel
	}
	return d.u.T("records.back")
}

// receipt reissues the person's receipt (a new receipt, audit-logged).
func (d *detailScreen) receipt() {
	u, rv := d.u, d.view
	back := u.button(u.T("record.back"), theme.NavigateBackIcon(), func() { u.sh.show(navRecords, d.root) })
	r := newReceiptScreen(u, navRecords, u.Tf("record.receipt_for", i18n.Args{"Name": rv.Person.FullName()}),
		u.T("record.receipt_new"),
		[]receiptFor{{id: rv.ID, name: rv.Person.FullName(), lang: rv.Person.NoticeLang}}, "", back)
	u.sh.show(navRecords, r.root)
}

// history lists the versions, newest first.
// opLabels name the operations of a record's history.
var opLabels = map[string]string{registry.OpRegister: "record.op_register", registry.OpAmend: "record.op_amend", registry.OpLink: "record.op_link",
	registry.OpEraseBy: "record.op_erase_by",
	registry.OpRefer:   "record.op_refer", registry.OpCheckIn: "record.op_checkin", registry.OpAbsent: "record.op_absent",
	registry.OpCheckOut: "record.op_checkout", registry.OpTransfer: "record.op_transfer"}

func (d *detailScreen) history() fyne.CanvasObject {
	u, rv := d.u, d.view
	box := container.NewVBox()
	for i := len(rv.Versions) - 1; i >= 0; i-- {
		v := rv.Versions[i]
		officer := rv.By[v.Event]
		if officer == "" {
			officer = u.T("record.other_officer")
		}
		what := u.label(v.Op, opLabels)
		lines := []string{u.Tf("record.version_line", i18n.Args{"What": what, "When": when(v.HLC.Time()), "Officer": officer})}
		if v.Reason != "" {
			lines = append(lines, u.Tf("record.reason", i18n.Args{"Reason": v.Reason}))
		}
		if v.Op == registry.OpAmend && len(v.Fields) > 0 {
			fields := make([]string, len(v.Fields))
			for j, f := range v.Fields {
				fields[j] = u.label(f, fieldLabels)
			}
			sort.Strings(fields)
			lines = append(lines, u.Tf("record.changed", i18n.Args{"Fields": strings.Join(fields, ", ")}))
		}
		t := widget.NewLabelWithStyle(u.Tf("record.version", i18n.Args{"N": i + 1}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
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
	header := container.NewVBox(heading(u.Tf("amend.title", i18n.Args{"Name": rv.Person.FullName()})), mono(rv.ID, 24),
		para(u.T("amend.help")))
	review := u.primary(u.T("amend.review"), theme.NavigateNextIcon(), a.review)
	cancel := u.button(u.T("common.cancel"), theme.CancelIcon(), func() { u.sh.show(navRecords, a.detail.root) })
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
		a.form.note(a.u.T("amend.no_change"))
		return
	}
	u := a.u
	a.person = p
	a.reason = strings.TrimSpace(a.form.reason.Text)
	var changed []string
	for k := range diff {
		changed = append(changed, u.label(k, fieldLabels))
	}
	sort.Strings(changed)
	status := newMessage(widget.DangerImportance)
	progress := widget.NewProgressBarInfinite()
	progress.Hide()
	var save, back *widget.Button
	back = u.button(u.T("register.back_to_form"), theme.NavigateBackIcon(), func() { a.showForm(a.person) })
	save = u.primary(u.T("amend.save"), theme.DocumentSaveIcon(), func() {
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
				status.Set(u.T("amend.no_change_saved"))
			case errors.As(err, &fe):
				a.showForm(a.person)
				a.form.showErrors(fe)
			default:
				fyne.LogError("amending a record failed", nil)
				status.Set(u.Tf("common.nothing_saved_error", i18n.Args{"Error": u.plainError(err)}))
			}
		})
	})
	summary := container.NewVBox(
		rows(u.T("amend.the_change"), [][2]string{{u.T("amend.reason"), a.reason}, {u.T("amend.fields_changed"), strings.Join(changed, ", ")}}),
		widget.NewSeparator(),
	)
	summary.Add(dense(a.u.personDetails(p)))
	header := container.NewVBox(heading(u.Tf("amend.check", i18n.Args{"Name": p.FullName()})), mono(rv.ID, 24))
	footer := container.NewVBox(status.Object(), progress, toolbar(save, back))
	u.sh.show(navRecords, container.NewBorder(container.NewPadded(header), container.NewPadded(footer), nil, nil,
		u.scroll(centred(900, widget.NewCard("", "", summary)))))
}
