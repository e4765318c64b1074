package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/registry"
)

// reviewScreen shows the people about to be registered, for a last check by
// the officer (and the person, through the interpreter), then saves them
// together in one transaction.
type reviewScreen struct {
	u            *UI
	people       []*registry.Person
	links        [][]linkDecision // the officer's decisions on earlier registrations, per person
	joinTo       string           // saved record whose family they join, or ""
	onEdit       func(i int)
	onSaved      func(ids []string, notes string)
	onGroupError func(i int, err error)

	save     *widget.Button
	back     *widget.Button
	edits    []*widget.Button
	progress *widget.ProgressBarInfinite
	status   message
}

func (r *reviewScreen) build() fyne.CanvasObject {
	u := r.u
	now := u.dev.Now()
	var cards []fyne.CanvasObject
	for i, p := range r.people {
		i := i
		title := p.FullName()
		if len(r.people) > 1 || r.joinTo != "" {
			// Numbered as on the form: a family joined later counts its
			// saved member first.
			n := i + 1
			if r.joinTo != "" {
				n++
			}
			title = fmt.Sprintf("%d. %s", n, p.FullName())
		}
		edit := u.button(u.T("review.edit"), theme.DocumentCreateIcon(), func() { r.onEdit(i) })
		r.edits = append(r.edits, edit)
		body := container.NewVBox()
		if w := u.warningText(registry.Warnings(p, now)); w != "" {
			m := newMessage(widget.WarningImportance)
			m.Set(w)
			body.Add(m.Object())
		}
		if i < len(r.links) {
			for _, d := range r.links[i] {
				m := newMessage(widget.SuccessImportance)
				m.Set(d.text(u))
				body.Add(m.Object())
			}
		}
		body.Add(dense(u.personDetails(p)))
		body.Add(toolbar(edit))
		cards = append(cards, widget.NewCard(title, u.label(p.Relationship, relationshipLabels), body))
	}
	what := u.T("review.check")
	saveText := u.T("review.save")
	if n := len(r.people); n > 1 {
		what = u.Tn("review.check_n", n, nil)
		saveText = u.Tn("review.save_n", n, nil)
	}
	r.save = u.primary(saveText, theme.DocumentSaveIcon(), r.doSave)
	r.back = u.button(u.T("register.back_to_form"), theme.NavigateBackIcon(), func() { r.onEdit(len(r.people) - 1) })
	r.progress = widget.NewProgressBarInfinite()
	r.progress.Hide()
	r.status = newMessage(widget.DangerImportance)
	header := container.NewVBox(heading(what),
		para(u.T("review.help")))
	footer := container.NewVBox(r.status.Object(), r.progress, toolbar(r.save, r.back))
	var left, right []fyne.CanvasObject
	for i, c := range cards {
		if i%2 == 1 {
			right = append(right, c)
		} else {
			left = append(left, c)
		}
	}
	var body fyne.CanvasObject
	if len(cards) == 1 {
		body = u.scroll(centred(900, cards[0]))
	} else {
		body = u.newColumns(left, right)
	}
	return container.NewBorder(container.NewPadded(header), container.NewPadded(footer), nil, nil, body)
}

func (r *reviewScreen) busy(b bool) {
	for _, w := range append([]*widget.Button{r.save, r.back}, r.edits...) {
		if b {
			w.Disable()
		} else {
			w.Enable()
		}
	}
	if b {
		r.progress.Show()
	} else {
		r.progress.Hide()
	}
}

func (r *reviewScreen) doSave() {
	sess := r.u.sess
	if sess == nil {
		return
	}
	// The device normalises and groups what it is given: hand it copies.
	people := make([]*registry.Person, len(r.people))
	for i, p := range r.people {
		c := *p
		people[i] = &c
	}
	joinTo := r.joinTo
	links := r.links
	r.busy(true)
	r.status.Set("")
	var ids []string
	var err error
	var notes []string
	r.u.background(func() {
		if joinTo != "" {
			ids, err = sess.AddToGroup(joinTo, people)
		} else {
			ids, err = sess.RegisterGroup(people)
		}
		if err != nil {
			return
		}
		// The officer's decisions become links once the new records exist.
		for i, ds := range links {
			for _, d := range ds {
				if i >= len(ids) {
					continue
				}
				if lerr := sess.Link(ids[i], d.cand.ID, d.same, ""); lerr != nil {
					notes = append(notes, r.u.Tf("review.link_failed", i18n.Args{"ID": d.cand.ID, "Error": r.u.plainError(lerr)}))
				}
			}
		}
	}, func() {
		if r.u.sess != sess {
			return // locked meanwhile; the save itself completed or failed atomically
		}
		r.busy(false)
		var ge *device.GroupError
		switch {
		case err == nil:
			r.onSaved(ids, strings.Join(notes, "\n"))
		case errors.As(err, &ge):
			r.onGroupError(ge.Index, ge.Err)
		default:
			fyne.LogError("saving a registration failed", nil)
			r.status.Set(r.u.Tf("common.nothing_saved_error", i18n.Args{"Error": r.u.plainError(err)}))
		}
	})
}

// personDetails shows a person's data in the sections of the form, as one
// grid so that every value lines up.
func (u *UI) personDetails(p *registry.Person) fyne.CanvasObject {
	dash := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "—"
		}
		return s
	}
	g := &detailGrid{grid: container.New(layout.NewFormLayout())}
	g.section(u.T("form.identity"))
	g.row(u.T("form.family_name"), dash(p.FamilyName))
	g.row(u.T("form.given_names"), dash(p.GivenNames))
	g.row(u.T("form.sex"), dash(u.label(p.Sex, sexLabels)))
	g.row(u.T("form.birth_date"), u.dateText(p.BirthDate))
	g.row(u.T("form.place_of_birth"), dash(p.PlaceOfBirth))
	g.row(u.T("details.nationality"), dash(u.countryNames(p.Nationalities)))
	if p.Relationship != "" {
		g.row(u.T("details.relationship"), u.label(p.Relationship, relationshipLabels))
	}
	if p.OriginalScriptName != "" {
		// Shaped and ordered by textimg where Fyne cannot (Arabic
		// script); the language on its own row: beside right-to-left
		// text the parentheses would be reordered.
		g.add(u.T("details.original_script"), shapedText(p.OriginalScriptName, p.OriginalScriptLang))
		if p.OriginalScriptLang != "" {
			g.row(u.T("details.script_language"), u.langNames([]string{p.OriginalScriptLang}))
		}
	}
	if len(p.Aliases) > 0 {
		g.row(u.T("details.other_names"), strings.Join(p.Aliases, "; "))
	}
	g.section(u.T("form.document"))
	if p.Document.IsZero() {
		g.row(u.T("form.document"), u.T("details.none_shown"))
	} else {
		g.row(u.T("form.doc_type"), dash(u.label(p.Document.Type, documentLabels)))
		g.row(u.T("form.doc_number"), dash(p.Document.Number))
		g.row(u.T("form.doc_country"), dash(u.countryNames(nonEmpty(p.Document.IssuingCountry))))
		g.row(u.T("details.expiry"), dash(p.Document.Expiry))
	}
	at := "—"
	if !p.Encounter.At.IsZero() {
		at = p.Encounter.At.Local().Format(encounterLayout)
	}
	g.section(u.T("form.encounter"))
	g.row(u.T("form.encounter_kind"), dash(u.label(p.Encounter.Kind, encounterLabels)))
	g.row(u.T("form.encounter_place"), dash(p.Encounter.Place))
	g.row(u.T("form.encounter_at"), at)
	g.row(u.T("form.category"), dash(u.label(p.Category, categoryLabels)))
	g.section(u.T("form.needs"))
	g.row(u.T("form.vulnerabilities"), dash(strings.Join(u.labelsOf(p.Vulnerabilities, vulnerabilityLabels), ", ")))
	g.row(u.T("details.languages"), dash(u.langNames(p.Languages)))
	g.row(u.T("details.interpreter"), u.yesNo(p.Interpreter))
	g.row(u.T("details.notice"), u.noticeGiven(p))
	if len(p.Photo) > 0 || p.Notes != "" {
		g.section(u.T("details.photo_notes"))
	}
	if len(p.Photo) > 0 {
		g.add(u.T("form.photo"), container.NewHBox(u.thumbnail(p.Photo, 120, 150)))
	}
	if p.Notes != "" {
		g.row(u.T("form.notes"), p.Notes)
	}
	return g.grid
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// detailGrid is a two-column list of captions and values with section titles.
type detailGrid struct{ grid *fyne.Container }

func (g *detailGrid) section(title string) {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true, Italic: true})
	t.Importance = widget.HighImportance
	g.grid.Add(t)
	g.grid.Add(widget.NewLabel(""))
}

func (g *detailGrid) row(caption, value string) {
	v := widget.NewLabel(value)
	v.Wrapping = fyne.TextWrapWord
	g.add(caption, v)
}

func (g *detailGrid) add(caption string, value fyne.CanvasObject) {
	g.grid.Add(widget.NewLabelWithStyle(caption, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	g.grid.Add(value)
}

// rows is a titled list of caption: value pairs.
func rows(title string, kv [][2]string) fyne.CanvasObject {
	g := &detailGrid{grid: container.New(layout.NewFormLayout())}
	g.section(title)
	for _, r := range kv {
		g.row(r[0], r[1])
	}
	return g.grid
}

// dateText says how much of a date of birth is known.
func (u *UI) dateText(d registry.Date) string {
	args := i18n.Args{"Year": d.Year, "Date": d.String()}
	switch d.Precision() {
	case "unknown":
		return u.T("dob.unknown")
	case "estimated":
		return u.Tf("date.estimated", args)
	case "year":
		return u.Tf("date.year", args)
	case "month":
		return u.Tf("date.month", args)
	}
	return d.String()
}

// when formats a time for the officer, in local time.
func when(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }
