package app

import (
	"bytes"
	"errors"
	"image"
	_ "image/jpeg" // photos may be JPEG
	_ "image/png"  // or PNG
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/image/draw"

	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/notice"
	"github.com/fieldreg/fieldreg/registry"
)

// Date of birth precisions offered by the form (message IDs of their
// labels).
const (
	dobFull     = "dob.full"
	dobMonth    = "dob.month"
	dobYear     = "dob.year"
	dobEstimate = "dob.estimate"
	dobUnknown  = "dob.unknown"
)

var dobPrecisions = []string{dobFull, dobMonth, dobYear, dobEstimate, dobUnknown}

// dobKind is the precision (one of dobPrecisions) the officer chose, or "".
func (f *personForm) dobKind() string {
	for _, id := range dobPrecisions {
		if f.u.T(id) == f.dobPrec.Selected {
			return id
		}
	}
	return ""
}

// setDobKind chooses the precision id.
func (f *personForm) setDobKind(id string) { f.dobPrec.SetSelected(f.u.T(id)) }

// encounterLayout is how the encounter date-time is typed (local time).
const encounterLayout = "2006-01-02 15:04"

// personForm is every field of registry.Person, grouped in sections, with
// inline errors. It is used to register (alone or as a family member) and to
// amend a record.
type personForm struct {
	u     *UI
	base  registry.Person // fields the form does not show (group) come from here
	amend bool
	group bool // part of a family or group: show the relationship

	family, given, origName *entry
	origLang                *codePicker
	aliases                 *entry
	sex                     *widget.RadioGroup
	dobPrec                 *widget.Select
	dob                     *entry
	pob                     *entry
	nats                    *codePicker
	relationship            *widget.Select
	docType                 *widget.Select
	docNum                  *entry
	docCountry              *codePicker
	docExpiry               *entry
	encKind                 *widget.Select
	encPlace, encAt         *entry
	category                *widget.RadioGroup
	vulns                   []*widget.Check
	langs                   *codePicker
	interpreter, notice     *widget.Check
	noticeLang              *noticePicker
	// noticeGiven is the notice language and version the record holds:
	// an amendment that keeps the language keeps the version given then.
	noticeGiven [2]string
	photo       []byte
	photoBox    *fyne.Container
	photoRemove *widget.Button
	notes       *entry
	reason      *entry

	errs     map[string]message
	warnings message
	summary  message
	// noted: the summary holds a message of its own (note), which field
	// corrections leave alone until the next Review.
	noted bool
	// focusOrder is the first input, focused when the form opens.
	first fyne.Focusable
	// changed, when set, is called after the officer changes a field the
	// duplicate check uses (names, sex, date of birth, nationality,
	// document number).
	changed func()
}

// errorKeys are the FieldErrors keys the form shows next to a field.
var errorKeys = []string{"family_name", "given_names", "original_script_name", "original_script_lang", "aliases",
	"sex", "nationalities", "birth_date", "place_of_birth", "document", "category", "encounter",
	"vulnerabilities", "languages", "notice_lang", "relationship", "photo", "notes", "reason"}

func (u *UI) newPersonForm(p *registry.Person, amend, group bool) *personForm {
	f := &personForm{u: u, amend: amend, group: group, errs: map[string]message{}}
	for _, k := range errorKeys {
		f.errs[k] = newMessage(widget.DangerImportance)
	}
	f.warnings = newMessage(widget.WarningImportance)
	f.summary = newMessage(widget.DangerImportance)

	f.family = u.newEntry(u.T("form.family_placeholder"))
	f.given = u.newEntry(u.T("form.given_placeholder"))
	f.origName = u.newEntry(u.T("form.orig_name_placeholder"))
	f.origLang = u.newCodePicker(u.loc.Languages(), false, u.T("form.orig_lang_placeholder"))
	f.aliases = u.newMultiLine(u.T("form.aliases_placeholder"), 2)
	f.sex = u.radio(u.labelsOf(sexCodes, sexLabels), nil)
	f.sex.Horizontal = true
	f.dob = u.newEntry(u.T("form.date_placeholder"))
	f.dobPrec = u.selectBox(u.tAll(dobPrecisions), nil)
	f.pob = u.newEntry(u.T("form.pob_placeholder"))
	f.nats = u.newCodePicker(u.loc.Countries(), true, u.T("form.nats_placeholder"))
	f.relationship = u.selectBox(u.labelsOf(registry.Relationships, relationshipLabels), nil)
	f.relationship.PlaceHolder = u.T("form.relationship_placeholder")
	f.docType = u.selectBox(u.labelsOf(registry.DocumentTypes, documentLabels), nil)
	f.docType.PlaceHolder = u.T("document.none")
	f.docNum = u.newEntry(u.T("form.doc_number_placeholder"))
	f.docCountry = u.newCodePicker(u.loc.Countries(), false, u.T("form.doc_country_placeholder"))
	f.docExpiry = u.newEntry(u.T("form.date_placeholder"))
	f.encKind = u.selectBox(u.labelsOf(registry.EncounterKinds, encounterLabels), nil)
	f.encKind.PlaceHolder = u.T("form.encounter_kind_placeholder")
	f.encPlace = u.newEntry(u.T("form.encounter_place_placeholder"))
	f.encAt = u.newEntry(u.T("form.datetime_placeholder"))
	f.category = u.radio(u.labelsOf(registry.Categories, categoryLabels), nil)
	for _, v := range registry.Vulnerabilities {
		f.vulns = append(f.vulns, u.check(u.label(v, vulnerabilityLabels), nil))
	}
	f.langs = u.newCodePicker(u.loc.Languages(), true, u.T("form.langs_placeholder"))
	f.interpreter = u.check(u.T("form.interpreter"), nil)
	f.notice = u.check(u.T("form.notice"), nil)
	f.noticeLang = u.newNoticePicker(u.T("form.notice_lang_placeholder"))
	f.photoBox = container.NewHBox()
	f.photoRemove = u.button(u.T("form.remove_photo"), theme.DeleteIcon(), func() { f.setPhoto(nil) })
	f.notes = u.newMultiLine(u.T("form.notes_placeholder"), 3)
	f.reason = u.newEntry(u.T("form.reason_placeholder"))
	f.first = f.family
	if amend {
		f.first = f.reason
	}
	// Enter moves on to the next field, as Tab does; the Review button continues.
	for _, e := range []*entry{f.family, f.given, f.origName, f.dob, f.pob, f.docNum, f.docExpiry, f.encPlace, f.encAt, f.reason} {
		e.OnSubmitted = func(string) { u.win.Canvas().FocusNext() }
	}
	f.fill(p)
	notify := func() {
		f.recheck()
		if f.changed != nil {
			f.changed()
		}
	}
	for _, e := range []*entry{f.family, f.given, f.dob, f.docNum} {
		e.OnChanged = func(string) { notify() }
	}
	f.sex.OnChanged = func(string) { u.activity(); notify() }
	f.dobPrec.OnChanged = func(string) { u.activity(); f.dobChanged(f.dobKind()); notify() }
	f.nats.OnChanged = notify
	// Every other input clears its error once corrected.
	for _, e := range []*entry{f.origName, f.aliases, f.pob, f.docExpiry, f.encPlace, f.encAt, f.notes, f.reason} {
		e.OnChanged = func(string) { f.recheck() }
	}
	for _, s := range []*widget.Select{f.relationship, f.docType, f.encKind} {
		s.OnChanged = func(string) { u.activity(); f.recheck() }
	}
	f.category.OnChanged = func(string) { u.activity(); f.recheck() }
	for _, c := range f.vulns {
		c.OnChanged = func(bool) { u.activity(); f.recheck() }
	}
	f.origLang.OnChanged = f.recheck
	f.docCountry.OnChanged = f.recheck
	f.langs.OnChanged = func() {
		f.recheck()
		// The notice language is suggested from the languages the person
		// speaks, until the officer picks one.
		if f.noticeLang.Value() == "" {
			if l := suggestNoticeLang(f.langs.Selected()); l != "" {
				f.noticeLang.Set(l)
				f.recheck()
			}
		}
	}
	f.noticeLang.OnChanged = func(string) { f.recheck() }
	return f
}

// sections returns the form's sections for the left and right column.
func (f *personForm) sections() (left, right []fyne.CanvasObject) {
	vulnGrid := container.NewGridWithColumns(2)
	for _, c := range f.vulns {
		vulnGrid.Add(c)
	}
	u := f.u
	identity := []fyne.CanvasObject{
		labelled(u.T("form.family_name"), f.family, f.errs["family_name"]),
		labelled(u.T("form.given_names"), f.given, f.errs["given_names"]),
		labelled(u.T("form.sex"), f.sex, f.errs["sex"]),
		fieldLabel(u.T("form.birth_date")),
		pair(f.dobPrec, f.dob), f.errs["birth_date"].Object(),
		labelled(u.T("form.place_of_birth"), f.pob, f.errs["place_of_birth"]),
		labelled(u.T("form.nationality"), f.nats.Object(), f.errs["nationalities"]),
	}
	if f.group {
		identity = append(identity, labelled(u.T("form.relationship"), f.relationship, f.errs["relationship"]))
	}
	identity = append(identity,
		labelled(u.T("form.orig_name"), f.origName, f.errs["original_script_name"]),
		labelled(u.T("form.orig_lang"), f.origLang.Object(), f.errs["original_script_lang"]),
		labelled(u.T("form.aliases"), f.aliases, f.errs["aliases"]),
	)
	left = []fyne.CanvasObject{
		section(u.T("form.identity"), identity...),
		section(u.T("form.document"),
			labelled(u.T("form.doc_type"), f.docType, message{}),
			labelled(u.T("form.doc_number"), f.docNum, message{}),
			labelled(u.T("form.doc_country"), f.docCountry.Object(), message{}),
			labelled(u.T("form.doc_expiry"), f.docExpiry, f.errs["document"]),
		),
	}
	right = []fyne.CanvasObject{
		section(u.T("form.encounter"),
			labelled(u.T("form.encounter_kind"), f.encKind, message{}),
			labelled(u.T("form.encounter_place"), f.encPlace, message{}),
			labelled(u.T("form.encounter_at"), f.encAt, f.errs["encounter"]),
		),
		section(u.T("form.category"), f.category, f.errs["category"].Object()),
		section(u.T("form.needs"),
			fieldLabel(u.T("form.vulnerabilities")), vulnGrid, f.errs["vulnerabilities"].Object(),
			labelled(u.T("form.languages"), f.langs.Object(), f.errs["languages"]),
			f.interpreter,
			labelled(u.T("form.notice_lang"), container.NewBorder(nil, nil, nil,
				u.button(u.T("form.show_notice"), theme.DocumentIcon(), f.showNotice), f.noticeLang.Object()), f.errs["notice_lang"]),
			f.notice,
		),
		section(u.T("form.photo"),
			f.photoBox,
			toolbar(u.button(u.T("form.choose_photo"), theme.FileImageIcon(), f.choosePhoto), f.photoRemove),
			f.errs["photo"].Object(),
		),
		section(u.T("form.notes"), f.notes, f.errs["notes"].Object()),
	}
	if f.amend {
		left = append([]fyne.CanvasObject{section(u.T("form.reason"), f.reason, f.errs["reason"].Object())}, left...)
	}
	right = append(right, f.warnings.Object())
	return left, right
}

func (f *personForm) dobChanged(v string) {
	switch v {
	case dobFull:
		f.dob.SetPlaceHolder(f.u.T("form.date_placeholder"))
	case dobMonth:
		f.dob.SetPlaceHolder(f.u.T("form.month_placeholder"))
	case dobYear:
		f.dob.SetPlaceHolder(f.u.T("form.year_placeholder"))
	case dobEstimate:
		f.dob.SetPlaceHolder(f.u.T("form.age_placeholder"))
	case dobUnknown:
		f.dob.SetText("")
		f.dob.SetPlaceHolder("")
	}
	if v == dobUnknown {
		f.dob.Disable()
	} else {
		f.dob.Enable()
	}
}

// fill shows p in the form (nil: an empty form for a new person).
func (f *personForm) fill(p *registry.Person) {
	if p == nil {
		p = &registry.Person{}
	}
	f.base = *p
	f.family.SetText(p.FamilyName)
	f.given.SetText(p.GivenNames)
	f.origName.SetText(p.OriginalScriptName)
	f.origLang.Set(p.OriginalScriptLang)
	f.aliases.SetText(strings.Join(p.Aliases, "\n"))
	u := f.u
	if p.Sex != "" {
		f.sex.SetSelected(u.label(p.Sex, sexLabels))
	}
	switch p.BirthDate.Precision() {
	case "unknown":
		f.setDobKind(dobFull)
		if f.amend {
			f.setDobKind(dobUnknown)
		}
	case "estimated":
		f.setDobKind(dobEstimate)
		f.dob.SetText(strconv.Itoa(f.u.dev.Now().Year() - p.BirthDate.Year))
	case "year":
		f.setDobKind(dobYear)
		f.dob.SetText(p.BirthDate.String())
	case "month":
		f.setDobKind(dobMonth)
		f.dob.SetText(p.BirthDate.String())
	default:
		f.setDobKind(dobFull)
		f.dob.SetText(p.BirthDate.String())
	}
	f.pob.SetText(p.PlaceOfBirth)
	f.nats.Set(p.Nationalities...)
	if p.Relationship != "" {
		f.relationship.SetSelected(u.label(p.Relationship, relationshipLabels))
	}
	if p.Document.Type != "" {
		f.docType.SetSelected(u.label(p.Document.Type, documentLabels))
	}
	f.docNum.SetText(p.Document.Number)
	f.docCountry.Set(p.Document.IssuingCountry)
	f.docExpiry.SetText(p.Document.Expiry)
	if p.Encounter.Kind != "" {
		f.encKind.SetSelected(u.label(p.Encounter.Kind, encounterLabels))
	}
	f.encPlace.SetText(p.Encounter.Place)
	if !p.Encounter.At.IsZero() {
		f.encAt.SetText(p.Encounter.At.Local().Format(encounterLayout))
	}
	if p.Category != "" {
		f.category.SetSelected(u.label(p.Category, categoryLabels))
	}
	for i, v := range registry.Vulnerabilities {
		f.vulns[i].SetChecked(contains(p.Vulnerabilities, v))
	}
	f.langs.Set(p.Languages...)
	f.interpreter.SetChecked(p.Interpreter)
	f.notice.SetChecked(p.InformationNotice)
	f.noticeGiven = [2]string{p.NoticeLang, p.NoticeVersion}
	f.noticeLang.Set(p.NoticeLang)
	f.setPhoto(p.Photo)
	f.notes.SetText(p.Notes)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// read builds a Person from the form. Values that cannot even be parsed
// (a date of 2023-02-30) come back as FieldErrors; the rest is for
// registry.Validate.
func (f *personForm) read(now time.Time) (*registry.Person, registry.FieldErrors) {
	u := f.u
	fe := registry.FieldErrors{}
	p := f.base
	p.FamilyName = f.family.Text
	p.GivenNames = f.given.Text
	p.OriginalScriptName = f.origName.Text
	p.OriginalScriptLang = f.origLang.Value()
	p.Aliases = strings.Split(f.aliases.Text, "\n")
	p.Sex = u.codeOf(f.sex.Selected, sexCodes, sexLabels)
	if p.Sex == "" {
		// In the words of the buttons, not of the stored codes.
		labels := u.labelsOf(sexCodes, sexLabels)
		fe["sex"] = u.Tf("form.choose_sex", i18n.Args{"Some": strings.Join(labels[:len(labels)-1], ", "), "Last": labels[len(labels)-1]})
	}
	p.BirthDate = registry.Date{}
	dob := strings.TrimSpace(f.dob.Text)
	if dob != "" {
		var err error
		kind := f.dobKind()
		switch kind {
		case dobEstimate:
			age, aerr := strconv.Atoi(dob)
			if aerr != nil {
				fe["birth_date"] = u.T("form.age_number")
				break
			}
			if p.BirthDate, err = registry.EstimateFromAge(age, now); err != nil {
				fe["birth_date"] = u.T("form.age_range")
			}
		default:
			want := map[string]string{dobFull: "full", dobMonth: "month", dobYear: "year"}[kind]
			hint := map[string]string{dobFull: "form.date_placeholder", dobMonth: "form.month_placeholder", dobYear: "form.year_placeholder"}[kind]
			p.BirthDate, err = registry.ParseDate(dob)
			if err != nil || p.BirthDate.Estimated || (want != "" && p.BirthDate.Precision() != want) {
				fe["birth_date"] = u.Tf("form.date_as", i18n.Args{"Format": u.T(hint)})
				if errors.Is(err, registry.ErrBadDate) && strings.Contains(err.Error(), "does not exist") {
					fe["birth_date"] = u.T("form.date_not_exist")
				}
				p.BirthDate = registry.Date{}
			}
		}
	}
	p.PlaceOfBirth = f.pob.Text
	p.Nationalities = f.nats.Selected()
	p.Relationship = u.codeOf(f.relationship.Selected, registry.Relationships, relationshipLabels)
	p.Document = registry.Document{
		Type:           u.codeOf(f.docType.Selected, registry.DocumentTypes, documentLabels),
		Number:         f.docNum.Text,
		IssuingCountry: f.docCountry.Value(),
		Expiry:         strings.TrimSpace(f.docExpiry.Text),
	}
	p.Encounter = registry.Encounter{Kind: u.codeOf(f.encKind.Selected, registry.EncounterKinds, encounterLabels), Place: f.encPlace.Text}
	if at := strings.TrimSpace(f.encAt.Text); at != "" && !f.base.Encounter.At.IsZero() && at == f.base.Encounter.At.Local().Format(encounterLayout) {
		// Unchanged: keep the stored time to the second, so an amendment does
		// not rewrite the encounter the officer did not touch.
		p.Encounter.At = f.base.Encounter.At
	} else if at != "" {
		t, err := time.ParseInLocation(encounterLayout, at, time.Local)
		if err != nil {
			fe["encounter"] = u.T("form.datetime_as")
		} else {
			p.Encounter.At = t
		}
	}
	p.Category = u.codeOf(f.category.Selected, registry.Categories, categoryLabels)
	p.Vulnerabilities = nil
	for i, v := range registry.Vulnerabilities {
		if f.vulns[i].Checked {
			p.Vulnerabilities = append(p.Vulnerabilities, v)
		}
	}
	p.Languages = f.langs.Selected()
	p.Interpreter = f.interpreter.Checked
	p.InformationNotice = f.notice.Checked
	p.NoticeLang, p.NoticeVersion = "", ""
	if lang := f.noticeLang.Value(); p.InformationNotice && lang == "" {
		fe["notice_lang"] = u.T("form.notice_lang_missing")
	} else if p.InformationNotice {
		p.NoticeLang = lang
		if lang == f.noticeGiven[0] && f.noticeGiven[1] != "" {
			p.NoticeVersion = f.noticeGiven[1]
		} else if v, err := notice.Version(lang); err != nil {
			fe["notice_lang"] = u.noticeError(err)
		} else {
			p.NoticeVersion = v
		}
	}
	p.Photo = f.photo
	p.Notes = f.notes.Text
	registry.Normalize(&p)
	return &p, fe
}

// showNotice shows the notice in the chosen language, to hand the
// tablet to the person.
func (f *personForm) showNotice() {
	lang := f.noticeLang.Value()
	if lang == "" {
		f.errs["notice_lang"].Set(f.u.T("form.notice_lang_first"))
		return
	}
	f.errs["notice_lang"].Set("")
	f.u.showNotice(lang)
}

// validate reads and checks the form, showing every problem next to its
// field. It returns the person when there is none.
func (f *personForm) validate() (*registry.Person, bool) {
	now := f.u.dev.Now()
	p, fe := f.problems(now)
	f.showErrors(fe)
	f.warnings.Set(f.u.warningText(registry.Warnings(p, now)))
	if len(fe) > 0 {
		return nil, false
	}
	return p, true
}

// problems reads the form and returns the person and what is wrong, field
// by field.
func (f *personForm) problems(now time.Time) (*registry.Person, registry.FieldErrors) {
	p, fe := f.read(now)
	if err := registry.Validate(p, now); err != nil {
		var ve registry.FieldErrors
		if errors.As(err, &ve) {
			for k, v := range ve {
				if _, dup := fe[k]; !dup {
					fe[k] = v
				}
			}
		} else {
			fe["notes"] = err.Error()
		}
	}
	if f.amend && strings.TrimSpace(f.reason.Text) == "" {
		fe["reason"] = f.u.T("form.say_why")
	}
	return p, fe
}

// recheck, while errors are shown, clears those of fields the officer has
// corrected, so a fixed field stops showing red at once. New problems wait
// for the next Review: nothing turns red while the officer is typing.
func (f *personForm) recheck() {
	if f.summary.Text() == "" {
		return
	}
	_, fe := f.problems(f.u.dev.Now())
	left := 0
	for k, m := range f.errs {
		if m.Text() == "" {
			continue
		}
		if _, still := fe[k]; still {
			left++
		} else {
			m.Set("")
		}
	}
	var other []string
	for k, v := range fe {
		if _, shown := f.errs[k]; !shown {
			// A problem without a field of its own stays in the summary.
			left++
			other = append(other, f.u.problemText(k, v))
		}
	}
	if !f.noted {
		slices.Sort(other)
		f.setSummary(left, other)
	}
}

// note shows msg in the summary (a problem found when saving, say) until the
// next Review.
func (f *personForm) note(msg string) {
	f.summary.Set(msg)
	f.noted = true
}

func (f *personForm) setSummary(n int, other []string) {
	if n == 0 {
		f.summary.Set("")
		return
	}
	f.summary.Set(strings.TrimSpace(f.u.Tn("form.correct", n, i18n.Args{"Other": strings.Join(other, " ")})))
}

// showErrors puts each problem next to its field and a summary at the end.
func (f *personForm) showErrors(fe registry.FieldErrors) {
	f.noted = false
	for _, m := range f.errs {
		m.Set("")
	}
	var other []string
	for k, v := range fe {
		if m, ok := f.errs[k]; ok {
			m.Set(f.u.problemText(k, v))
		} else {
			other = append(other, f.u.problemText(k, v))
		}
	}
	f.setSummary(len(fe), other)
}

func (u *UI) warningText(ws []string) string {
	if len(ws) == 0 {
		return ""
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = u.Tf("form.note", i18n.Args{"Warning": u.warning(w)})
	}
	return strings.Join(parts, "\n")
}

// choosePhoto reads a JPEG or PNG photo of at most 2 MiB from a file.
func (f *personForm) choosePhoto() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		defer r.Close()
		data, err := io.ReadAll(io.LimitReader(r, registry.MaxPhotoBytes+1))
		f.errs["photo"].Set("")
		switch {
		case err != nil:
			f.errs["photo"].Set(f.u.T("form.photo_unreadable"))
		case len(data) > registry.MaxPhotoBytes:
			f.errs["photo"].Set(f.u.T("form.photo_too_large"))
		default:
			if _, format, err := image.DecodeConfig(bytes.NewReader(data)); err != nil || (format != "jpeg" && format != "png") {
				f.errs["photo"].Set(f.u.T("form.photo_not_photo"))
				return
			}
			f.setPhoto(data)
		}
	}, f.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG"}))
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

func (f *personForm) setPhoto(data []byte) {
	f.photo = data
	f.photoBox.RemoveAll()
	if len(data) == 0 {
		f.photoBox.Add(widget.NewLabel(f.u.T("form.no_photo")))
		f.photoRemove.Hide()
		return
	}
	f.photoBox.Add(f.u.thumbnail(data, 120, 150))
	f.photoRemove.Show()
}

// thumbnail shows a photo at the given size. The photo is decoded in memory
// (never through a file or a named resource cache) off the UI goroutine, and
// only a copy scaled to twice the shown size is kept: a 12-megapixel
// camera photo would otherwise hold 48 MB of pixels for a 120-pixel box.
func (u *UI) thumbnail(data []byte, w, h float32) fyne.CanvasObject {
	box := container.NewStack(widget.NewLabel(u.T("form.photo_loading")))
	go func() {
		img, err := scaledPhoto(data, int(2*w), int(2*h))
		u.do(func() {
			if err != nil {
				box.Objects = []fyne.CanvasObject{widget.NewLabel(u.T("form.photo_cannot_show"))}
			} else {
				c := canvas.NewImageFromImage(img)
				c.FillMode = canvas.ImageFillContain
				c.SetMinSize(fyne.NewSize(w, h))
				box.Objects = []fyne.CanvasObject{c}
			}
			box.Refresh()
		})
	}()
	return box
}

// scaledPhoto decodes a JPEG or PNG photo and, if it is larger than
// maxW x maxH, scales it down to fit, keeping its proportions. A camera
// photo is first reduced cheaply to twice the target size, then filtered:
// Catmull-Rom over the whole photo costs time in proportion to the
// reduction. A 12-megapixel JPEG takes 0.17 s and 22 MB this way, decoding
// included, against 0.7 s and 42 MB (BenchmarkScaledPhoto).
func scaledPhoto(data []byte, maxW, maxH int) (image.Image, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	fit := func(b image.Rectangle, w, h int) image.Rectangle {
		scale := min(float64(w)/float64(b.Dx()), float64(h)/float64(b.Dy()))
		return image.Rect(0, 0, max(1, int(float64(b.Dx())*scale)), max(1, int(float64(b.Dy())*scale)))
	}
	b := img.Bounds()
	if b.Dx() <= maxW && b.Dy() <= maxH {
		return img, nil
	}
	if b.Dx() > 4*maxW || b.Dy() > 4*maxH {
		mid := image.NewRGBA(fit(b, 2*maxW, 2*maxH))
		draw.ApproxBiLinear.Scale(mid, mid.Bounds(), img, b, draw.Src, nil)
		img, b = mid, mid.Bounds()
	}
	dst := image.NewRGBA(fit(b, maxW, maxH))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst, nil
}
