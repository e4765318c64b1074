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
		edit := u.button("Edit", theme.DocumentCreateIcon(), func() { r.onEdit(i) })
		r.edits = append(r.edits, edit)
		body := container.NewVBox()
		if w := warningText(registry.Warnings(p, now)); w != "" {
			m := newMessage(widget.WarningImportance)
			m.Set(w)
			body.Add(m.Object())
		}
		if i < len(r.links) {
			for _, d := range r.links[i] {
				m := newMessage(widget.SuccessImportance)
				m.Set(d.text())
				body.Add(m.Object())
			}
		}
		body.Add(dense(u.personDetails(p)))
		body.Add(toolbar(edit))
		cards = append(cards, widget.NewCard(title, label(p.Relationship, relationshipLabels), body))
	}
	what := "Check before saving"
	saveText := "Save"
	if n := len(r.people); n > 1 {
		what = fmt.Sprintf("Check before saving: %d people", n)
		saveText = fmt.Sprintf("Save %d people", n)
	}
	r.save = u.primary(saveText, theme.DocumentSaveIcon(), r.doSave)
	r.back = u.button("Back to the form", theme.NavigateBackIcon(), func() { r.onEdit(len(r.people) - 1) })
	r.progress = widget.NewProgressBarInfinite()
	r.progress.Hide()
	r.status = newMessage(widget.DangerImportance)
	header := container.NewVBox(heading(what),
		para("Read the details back to the person with the interpreter. Correct anything wrong before saving."))
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
					notes = append(notes, fmt.Sprintf("The decision about %s could not be recorded: %s Open the record and decide again.",
						d.cand.ID, plainError(lerr)))
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
			r.status.Set("Nothing was saved. " + plainError(err))
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
	g.section("Identity")
	g.row("Family name", dash(p.FamilyName))
	g.row("Given names", dash(p.GivenNames))
	g.row("Sex", dash(label(p.Sex, sexLabels)))
	g.row("Date of birth", dateText(p.BirthDate))
	g.row("Place of birth", dash(p.PlaceOfBirth))
	g.row("Nationality", dash(countryNames(p.Nationalities)))
	if p.Relationship != "" {
		g.row("Relationship", label(p.Relationship, relationshipLabels))
	}
	if p.OriginalScriptName != "" {
		// Shaped and ordered by textimg where Fyne cannot (Arabic
		// script); the language on its own row.
		g.add("Original script", shapedText(p.OriginalScriptName, p.OriginalScriptLang))
		if p.OriginalScriptLang != "" {
			g.row("Script language", languageNames([]string{p.OriginalScriptLang}))
		}
	}
	if len(p.Aliases) > 0 {
		g.row("Other names", strings.Join(p.Aliases, "; "))
	}
	g.section("Document")
	if p.Document.IsZero() {
		g.row("Document", "None shown")
	} else {
		g.row("Type", dash(label(p.Document.Type, documentLabels)))
		g.row("Number", dash(p.Document.Number))
		g.row("Issuing country", dash(countryNames(nonEmpty(p.Document.IssuingCountry))))
		g.row("Expiry", dash(p.Document.Expiry))
	}
	at := "—"
	if !p.Encounter.At.IsZero() {
		at = p.Encounter.At.Local().Format(encounterLayout)
	}
	g.section("Encounter")
	g.row("Kind", dash(label(p.Encounter.Kind, encounterLabels)))
	g.row("Place", dash(p.Encounter.Place))
	g.row("Date and time", at)
	g.row("Category", dash(label(p.Category, categoryLabels)))
	g.section("Needs and languages")
	g.row("Vulnerabilities", dash(strings.Join(labelsOf(p.Vulnerabilities, vulnerabilityLabels), ", ")))
	g.row("Languages", dash(languageNames(p.Languages)))
	g.row("Interpreter used", yesNo(p.Interpreter))
	g.row("Notice given", noticeGiven(p))
	if len(p.Photo) > 0 || p.Notes != "" {
		g.section("Photo and notes")
	}
	if len(p.Photo) > 0 {
		g.add("Photo", container.NewHBox(u.thumbnail(p.Photo, 120, 150)))
	}
	if p.Notes != "" {
		g.row("Notes", p.Notes)
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
func dateText(d registry.Date) string {
	switch d.Precision() {
	case "unknown":
		return "Not known"
	case "estimated":
		return fmt.Sprintf("about %d (estimated from age)", d.Year)
	case "year":
		return fmt.Sprintf("%d (only the year is known)", d.Year)
	case "month":
		return d.String() + " (day not known)"
	}
	return d.String()
}

// when formats a time for the officer, in local time.
func when(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }
