package app

import (
	"encoding/json"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
)

// conflictsShown bounds the records one conflicts screen lists.
const conflictsShown = 100

// textFields are the identity fields a supervisor may settle by typing a
// merged value ("Edit and keep").
var textFields = map[string]bool{"family_name": true, "given_names": true, "original_script_name": true}

// conflictsScreen is the supervisor's list of records where two officers
// changed the same identity field at the same time on different devices.
// For each field it shows the competing values, who wrote them and when;
// the supervisor keeps one, or for names types a merge. The change is a new
// version of the record (nothing is overwritten) that reaches every device
// at the next sync.
type conflictsScreen struct {
	u        *UI
	root     fyne.CanvasObject
	list     *fyne.Container
	status   message
	note     message
	progress *widget.ProgressBarInfinite
	busy     bool
	gen      int
	// choices are the "Keep this value" buttons on screen (tests use them).
	choices []conflictChoice
}

// conflictChoice is one "Keep this value" button.
type conflictChoice struct {
	record, field, text string
	button              *widget.Button
}

// conflictRecord is a record's conflicts with who wrote each value.
type conflictRecord struct {
	device.RecordConflicts
	sources map[registry.EventID]device.ConflictSource
}

func newConflictsScreen(u *UI) *conflictsScreen {
	s := &conflictsScreen{u: u}
	s.status = newMessage(widget.MediumImportance)
	s.note = newMessage(widget.SuccessImportance)
	s.progress = widget.NewProgressBarInfinite()
	s.list = container.NewVBox()
	top := container.NewVBox(
		heading("Conflicts"),
		para("Two officers changed the same name, date of birth, sex or document of a person at the same time on different devices. "+
			"Check the documents or ask the person, then keep the right value. Every version stays in the record's history."),
		s.progress, s.note.Object(), s.status.Object(),
	)
	s.root = container.NewBorder(container.NewPadded(top), nil, nil, nil, u.scroll(container.NewPadded(s.list)))
	s.load()
	return s
}

// load reads the conflicts off the UI goroutine.
func (s *conflictsScreen) load() {
	sess := s.u.sess
	if sess == nil {
		return
	}
	s.gen++
	gen := s.gen
	s.progress.Show()
	var recs []conflictRecord
	var total int
	var err error
	s.u.background(func() {
		var all []device.RecordConflicts
		all, err = sess.Conflicts()
		if err != nil {
			return
		}
		total = len(all)
		for i, rc := range all {
			if i == conflictsShown {
				break
			}
			src, e := sess.ConflictSources(rc.ID)
			if e != nil {
				src = nil // shown without who and when
			}
			recs = append(recs, conflictRecord{RecordConflicts: rc, sources: src})
		}
	}, func() {
		if gen != s.gen || s.u.sess != sess {
			return
		}
		s.progress.Hide()
		if err != nil {
			fyne.LogError("reading the conflicts failed", nil)
			s.status.SetImportance(widget.DangerImportance)
			s.status.Set(plainError(err))
			return
		}
		s.show(recs, total)
	})
}

func (s *conflictsScreen) show(recs []conflictRecord, total int) {
	s.choices = nil
	s.list.RemoveAll()
	s.status.SetImportance(widget.MediumImportance)
	switch {
	case total == 0:
		s.status.Set("No conflicts: nothing to resolve.")
	case total > len(recs):
		s.status.Set(fmt.Sprintf("%d records have conflicts; the first %d are shown.", total, len(recs)))
	default:
		s.status.Set(plural(total, "record has", "records have") + " conflicts.")
	}
	for _, r := range recs {
		s.list.Add(s.recordCard(r))
	}
	s.list.Refresh()
	s.setBusy(s.busy)
}

// recordCard shows one record's conflicting fields.
func (s *conflictsScreen) recordCard(r conflictRecord) fyne.CanvasObject {
	box := container.NewVBox()
	open := s.u.button("Open record", theme.DocumentIcon(), func() { s.openRecord(r.ID) })
	box.Add(container.NewBorder(nil, nil, nil, open, dense(para(rowLine(r.Summary)))))
	for _, c := range r.Conflicts {
		box.Add(widget.NewSeparator())
		box.Add(dense(fieldLabel(upperFirst(label(c.Field, fieldLabels)) + ": " + plural(len(c.Values), "value", "different values"))))
		for i, v := range c.Values {
			var src device.ConflictSource
			var known bool
			if i < len(c.Events) && r.sources != nil {
				src, known = r.sources[c.Events[i]]
			}
			box.Add(s.valueRow(r.ID, c.Field, v, src, known))
		}
		if textFields[c.Field] {
			box.Add(s.mergeRow(r.ID, c))
		}
	}
	name := r.Summary.FullName()
	if strings.TrimSpace(name) == "" || name == "," {
		name = r.ID
	}
	return widget.NewCard(name, "", box)
}

// valueRow is one competing value with its source and a Keep button.
func (s *conflictsScreen) valueRow(id, field string, raw json.RawMessage, src device.ConflictSource, known bool) fyne.CanvasObject {
	text := valueText(field, raw)
	value := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	value.Wrapping = fyne.TextWrapWord
	who := widget.NewLabel(sourceText(src, known))
	who.Wrapping = fyne.TextWrapWord
	who.SizeName = sizeNameRowLine
	keep := s.u.button("Keep this value", theme.ConfirmIcon(), func() {
		s.resolve(id, field, raw, text)
	})
	s.choices = append(s.choices, conflictChoice{record: id, field: field, text: text, button: keep})
	return container.NewBorder(nil, nil, nil, container.NewCenter(keep), dense(container.NewVBox(value, who)))
}

// mergeRow offers to type a merged value for a name.
func (s *conflictsScreen) mergeRow(id string, c registry.Conflict) fyne.CanvasObject {
	current := ""
	if len(c.Values) > 0 {
		_ = json.Unmarshal(c.Values[len(c.Values)-1], &current)
	}
	input := s.u.newEntry("type the right " + label(c.Field, fieldLabels))
	input.SetText(current)
	msg := newMessage(widget.DangerImportance)
	save := s.u.primary("Keep what I typed", theme.ConfirmIcon(), nil)
	cancel := s.u.button("Cancel", theme.CancelIcon(), nil)
	editor := container.NewVBox(fieldLabel("Type the right "+label(c.Field, fieldLabels)), input, msg.Object(), toolbar(save, cancel))
	editor.Hide()
	edit := s.u.button("Edit and keep…", theme.DocumentCreateIcon(), nil)
	edit.OnTapped = func() {
		s.u.activity()
		edit.Hide()
		editor.Show()
		s.u.focus(input)
	}
	cancel.OnTapped = func() {
		s.u.activity()
		editor.Hide()
		edit.Show()
		msg.Set("")
	}
	submit := func() {
		s.u.activity()
		v := strings.Join(strings.Fields(input.Text), " ")
		if v == "" && c.Field != "original_script_name" {
			msg.Set("Type the " + label(c.Field, fieldLabels) + ", or keep one of the values above.")
			return
		}
		msg.Set("")
		raw, _ := json.Marshal(v)
		s.resolve(id, c.Field, raw, v)
	}
	save.OnTapped = submit
	input.OnSubmitted = func(string) { submit() }
	return container.NewVBox(toolbar(edit), editor)
}

// resolve keeps value for field of record id, off the UI goroutine.
func (s *conflictsScreen) resolve(id, field string, value json.RawMessage, text string) {
	sess := s.u.sess
	if sess == nil || s.busy {
		return
	}
	s.setBusy(true)
	s.note.Set("")
	var err error
	s.u.background(func() { err = sess.ResolveConflict(id, field, value) }, func() {
		s.setBusy(false)
		if s.u.sess != sess {
			return
		}
		if err != nil {
			fyne.LogError("resolving a conflict failed", nil)
			s.note.SetImportance(widget.DangerImportance)
			s.note.Set("Nothing was changed. " + plainError(err))
			return
		}
		s.note.SetImportance(widget.SuccessImportance)
		s.note.Set(fmt.Sprintf("Kept “%s” as the %s of %s. Other devices receive it at their next sync.", text, label(field, fieldLabels), id))
		s.load()
	})
}

// setBusy disables the Keep buttons while a resolution is saved.
func (s *conflictsScreen) setBusy(b bool) {
	s.busy = b
	if b {
		s.progress.Show()
	} else {
		s.progress.Hide()
	}
	for _, c := range s.choices {
		if b {
			c.button.Disable()
		} else {
			c.button.Enable()
		}
	}
}

func (s *conflictsScreen) openRecord(id string) {
	if s.u.sh == nil {
		return
	}
	d := newDetailScreen(s.u, id, func() {
		if s.u.sh != nil {
			s.u.sh.show(navConflicts, s.root)
			s.load()
		}
	})
	d.backLabel = "Back to conflicts"
	s.u.sh.show(navConflicts, d.root)
}

// sourceText says who wrote a value and when.
func sourceText(src device.ConflictSource, known bool) string {
	if !known {
		return "Written on another device"
	}
	var parts []string
	who := "An officer"
	if src.Officer != "" {
		who = src.Officer
	}
	where := ""
	switch {
	case src.Device != "" && src.Station != "":
		where = fmt.Sprintf(" on device %s (%s)", src.Device, src.Station)
	case src.Device != "":
		where = " on device " + src.Device
	}
	parts = append(parts, who+where)
	if !src.At.IsZero() {
		parts = append(parts, when(src.At))
	}
	if src.Current {
		parts = append(parts, "shown in the record now")
	}
	return strings.Join(parts, " · ")
}

// valueText renders a field's JSON value in plain words.
func valueText(field string, raw json.RawMessage) string {
	switch field {
	case "birth_date":
		var d registry.Date
		if err := json.Unmarshal(raw, &d); err == nil {
			return dateText(d)
		}
	case "sex":
		var v string
		if err := json.Unmarshal(raw, &v); err == nil {
			if v == "" {
				return "Not given"
			}
			return label(v, sexLabels)
		}
	case "document":
		var d registry.Document
		if err := json.Unmarshal(raw, &d); err == nil {
			return documentText(d)
		}
	default:
		var v string
		if err := json.Unmarshal(raw, &v); err == nil {
			if strings.TrimSpace(v) == "" {
				return "(empty)"
			}
			return v
		}
		var list []string
		if err := json.Unmarshal(raw, &list); err == nil {
			if len(list) == 0 {
				return "(empty)"
			}
			return strings.Join(list, ", ")
		}
	}
	return string(raw)
}

// documentText is "Passport SYR N0123456, expires 2030-01-31".
func documentText(d registry.Document) string {
	if d.IsZero() {
		return "No document"
	}
	var parts []string
	if d.Type != "" {
		parts = append(parts, label(d.Type, documentLabels))
	}
	if d.IssuingCountry != "" {
		parts = append(parts, d.IssuingCountry)
	}
	if d.Number != "" {
		parts = append(parts, d.Number)
	}
	s := strings.Join(parts, " ")
	if d.Expiry != "" {
		s += ", expires " + d.Expiry
	}
	return s
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
