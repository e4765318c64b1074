package app

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
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
		heading(u.T("nav.conflicts")),
		para(u.T("conflicts.help")),
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
			s.status.Set(s.u.plainError(err))
			return
		}
		s.show(recs, total)
	})
}

func (s *conflictsScreen) show(recs []conflictRecord, total int) {
	s.choices = nil
	s.list.RemoveAll()
	s.status.SetImportance(widget.MediumImportance)
	u := s.u
	switch {
	case total == 0:
		s.status.Set(u.T("conflicts.none"))
	case total > len(recs):
		s.status.Set(u.Tn("conflicts.some_shown", total, i18n.Args{"Shown": u.loc.Number(len(recs))}))
	default:
		s.status.Set(u.Tn("conflicts.count", total, nil))
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
	u := s.u
	open := u.button(u.T("conflicts.open_record"), theme.DocumentIcon(), func() { s.openRecord(r.ID) })
	box.Add(container.NewBorder(nil, nil, nil, open, dense(para(u.rowLine(r.Summary)))))
	for _, c := range r.Conflicts {
		box.Add(widget.NewSeparator())
		box.Add(dense(fieldLabel(u.Tn("conflicts.field_values", len(c.Values), i18n.Args{"Field": upperFirst(u.label(c.Field, fieldLabels))}))))
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
	text := s.u.valueText(field, raw)
	value := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	value.Wrapping = fyne.TextWrapWord
	who := widget.NewLabel(s.u.sourceText(src, known))
	who.Wrapping = fyne.TextWrapWord
	who.SizeName = sizeNameRowLine
	keep := s.u.button(s.u.T("conflicts.keep"), theme.ConfirmIcon(), func() {
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
	u := s.u
	field := i18n.Args{"Field": u.label(c.Field, fieldLabels)}
	input := u.newEntry(u.Tf("conflicts.type_right_placeholder", field))
	input.SetText(current)
	msg := newMessage(widget.DangerImportance)
	save := u.primary(u.T("conflicts.keep_typed"), theme.ConfirmIcon(), nil)
	cancel := u.button(u.T("common.cancel"), theme.CancelIcon(), nil)
	editor := container.NewVBox(fieldLabel(u.Tf("conflicts.type_right", field)), input, msg.Object(), toolbar(save, cancel))
	editor.Hide()
	edit := u.button(u.T("conflicts.edit_keep"), theme.DocumentCreateIcon(), nil)
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
			msg.Set(u.Tf("conflicts.type_or_keep", field))
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
			s.note.Set(s.u.Tf("common.nothing_changed_error", i18n.Args{"Error": s.u.plainError(err)}))
			return
		}
		s.note.SetImportance(widget.SuccessImportance)
		s.note.Set(s.u.Tf("conflicts.kept", i18n.Args{"Value": text, "Field": s.u.label(field, fieldLabels), "ID": id}))
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
	d.backLabel = s.u.T("conflicts.back")
	s.u.sh.show(navConflicts, d.root)
}

// sourceText says who wrote a value and when.
func (u *UI) sourceText(src device.ConflictSource, known bool) string {
	if !known {
		return u.T("conflicts.other_device")
	}
	var parts []string
	who := u.T("conflicts.an_officer")
	if src.Officer != "" {
		who = src.Officer
	}
	args := i18n.Args{"Who": who, "Device": src.Device, "Station": src.Station}
	switch {
	case src.Device != "" && src.Station != "":
		parts = append(parts, u.Tf("conflicts.who_device_station", args))
	case src.Device != "":
		parts = append(parts, u.Tf("conflicts.who_device", args))
	default:
		parts = append(parts, who)
	}
	if !src.At.IsZero() {
		parts = append(parts, when(src.At))
	}
	if src.Current {
		parts = append(parts, u.T("conflicts.current"))
	}
	return strings.Join(parts, " · ")
}

// valueText renders a field's JSON value in plain words.
func (u *UI) valueText(field string, raw json.RawMessage) string {
	switch field {
	case "birth_date":
		var d registry.Date
		if err := json.Unmarshal(raw, &d); err == nil {
			return u.dateText(d)
		}
	case "sex":
		var v string
		if err := json.Unmarshal(raw, &v); err == nil {
			if v == "" {
				return u.T("conflicts.not_given")
			}
			return u.label(v, sexLabels)
		}
	case "document":
		var d registry.Document
		if err := json.Unmarshal(raw, &d); err == nil {
			return u.documentText(d)
		}
	default:
		var v string
		if err := json.Unmarshal(raw, &v); err == nil {
			if strings.TrimSpace(v) == "" {
				return u.T("common.empty")
			}
			return v
		}
		var list []string
		if err := json.Unmarshal(raw, &list); err == nil {
			if len(list) == 0 {
				return u.T("common.empty")
			}
			return strings.Join(list, ", ")
		}
	}
	return string(raw)
}

// documentText is "Passport SYR N0123456, expires 2030-01-31".
func (u *UI) documentText(d registry.Document) string {
	if d.IsZero() {
		return u.T("document.none")
	}
	var parts []string
	if d.Type != "" {
		parts = append(parts, u.label(d.Type, documentLabels))
	}
	if d.IssuingCountry != "" {
		parts = append(parts, d.IssuingCountry)
	}
	if d.Number != "" {
		parts = append(parts, d.Number)
	}
	s := strings.Join(parts, " ")
	if d.Expiry != "" {
		s = u.Tf("document.expires", i18n.Args{"Document": s, "Date": d.Expiry})
	}
	return s
}

// upperFirst capitalises the first letter of s (in any script).
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// lowerFirst puts the first letter of s in lower case (in any script), for
// a label inside a sentence.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
