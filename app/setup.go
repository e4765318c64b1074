package app

import (
	"os"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
)

// setupScreen is the first run: start a standalone deployment (this device
// holds its own country authority) and create the first officer, who is the
// device's supervisor.
type setupScreen struct {
	u        *UI
	country  *codePicker
	station  *entry
	devName  *entry
	officer  *entry
	pass     *passphraseInput
	errs     map[string]message
	status   message
	create   *widget.Button
	progress *widget.ProgressBarInfinite
}

func (u *UI) showSetup() {
	s := &setupScreen{u: u, errs: map[string]message{}}
	for _, k := range []string{"country", "station", "device", "officer"} {
		s.errs[k] = newMessage(widget.DangerImportance)
	}
	s.country = u.newCodePicker(u.loc.Countries(), false, u.T("setup.country_placeholder"))
	s.station = u.newEntry(u.T("setup.station_placeholder"))
	s.devName = u.newEntry(u.T("setup.device_placeholder"))
	if h, err := os.Hostname(); err == nil {
		s.devName.SetText(h)
	}
	s.officer = u.newEntry(u.T("setup.officer_placeholder"))
	s.pass = u.newPassphraseInput()
	s.status = newMessage(widget.DangerImportance)
	s.create = u.primary(u.T("setup.create"), theme.ConfirmIcon(), s.submit)
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Hide()
	for _, e := range []*entry{s.station, s.devName, s.officer} {
		e.OnSubmitted = func(string) { u.win.Canvas().FocusNext() }
	}
	s.pass.confirm.OnSubmitted = func(string) { s.submit() }
	// An error goes as soon as its field is changed; Create checks again.
	s.country.OnChanged = func() { s.errs["country"].Set("") }
	for k, e := range map[string]*entry{"station": s.station, "device": s.devName, "officer": s.officer} {
		e.OnChanged = func(string) { s.errs[k].Set("") }
	}

	// The language of the set-up, kept as the first officer's once the
	// device exists.
	lang := u.languagePicker(func(tag string) {
		if u.useLanguage(tag) {
			u.setupLang = tag
			u.showSetup()
		}
	})
	intro := container.NewVBox(
		container.NewBorder(nil, nil, nil, fitted(lang), heading(u.T("setup.title"))),
		para(u.T("setup.intro")),
		para(u.T("setup.or_join")),
		toolbar(u.button(u.T("setup.join"), theme.LoginIcon(), u.showEnrol)),
	)
	left := []fyne.CanvasObject{
		section(u.T("setup.where"),
			labelled(u.T("setup.country"), s.country.Object(), s.errs["country"]),
			labelled(u.T("setup.station"), s.station, s.errs["station"]),
			labelled(u.T("setup.device"), s.devName, s.errs["device"]),
		),
	}
	right := []fyne.CanvasObject{
		section(u.T("setup.first_officer"),
			labelled(u.T("setup.officer_name"), s.officer, s.errs["officer"]),
			s.pass.Object(),
		),
		s.status.Object(),
		s.progress,
		toolbar(s.create),
	}
	body := u.newColumns(left, right)
	u.setContent("setup", container.NewBorder(container.NewPadded(intro), nil, nil, nil, body))
	u.focus(s.country.entry)
}

func (s *setupScreen) submit() {
	for _, m := range s.errs {
		m.Set("")
	}
	s.status.Set("")
	ok := true
	u := s.u
	if s.country.Value() == "" {
		s.errs["country"].Set(u.T("setup.choose_country"))
		ok = false
	} else if strings.HasPrefix(s.country.Value(), "XX") {
		s.errs["country"].Set(u.T("setup.not_nationality"))
		ok = false
	}
	if strings.TrimSpace(s.station.Text) == "" {
		s.errs["station"].Set(u.T("setup.enter_station"))
		ok = false
	}
	if strings.TrimSpace(s.officer.Text) == "" {
		s.errs["officer"].Set(u.T("setup.enter_officer"))
		ok = false
	}
	pass, passOK := s.pass.Value()
	if !passOK || !ok {
		return
	}
	cfg := device.StandaloneConfig{Country: s.country.Value(), Station: strings.TrimSpace(s.station.Text),
		DeviceName: strings.TrimSpace(s.devName.Text), Officer: strings.TrimSpace(s.officer.Text), Passphrase: pass}
	officerName := cfg.Officer
	s.create.Disable()
	s.progress.Show()
	s.status.Set("")
	var dev *device.Device
	var recovery string
	var err error
	s.u.background(func() {
		dev, recovery, err = device.InitStandalone(s.u.dir, cfg, s.u.opts)
		wipe(pass)
	}, func() {
		s.progress.Hide()
		s.create.Enable()
		if err != nil {
			fyne.LogError("device set-up failed", nil)
			s.status.Set(s.u.plainError(err))
			return
		}
		s.u.dev = dev
		s.u.showRecoveryKey(recovery, officerName)
	})
}

// wipe overwrites a passphrase copy once it is no longer needed.
func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// passphraseInput is a new passphrase with its confirmation, a live strength
// meter and plain advice.
type passphraseInput struct {
	u             *UI
	pass, confirm *entry
	meter         *strengthMeter
	advice        *widget.Label
	err           message
	box           fyne.CanvasObject
}

// strengthWords are the message IDs of the strength scores 0 to 4.
var strengthWords = []string{"strength.very_weak", "strength.weak", "strength.fair", "strength.good", "strength.strong"}

func (u *UI) newPassphraseInput() *passphraseInput {
	p := &passphraseInput{u: u, pass: u.newPassword(u.T("pass.placeholder")), confirm: u.newPassword(u.T("pass.again_placeholder"))}
	p.meter = newStrengthMeter(u)
	p.advice = para(u.T("pass.advice"))
	p.err = newMessage(widget.DangerImportance)
	p.pass.OnChanged = func(string) { p.update() }
	p.pass.OnSubmitted = func(string) { u.win.Canvas().Focus(p.confirm) }
	p.box = container.NewVBox(
		fieldLabel(u.T("unlock.passphrase")), p.pass, p.meter.box, p.advice,
		fieldLabel(u.T("pass.again")), p.confirm, p.err.Object(),
	)
	return p
}

// strengthMeter shows a passphrase's strength as five segments, lit and
// coloured by strength (red, amber, green), with the word beside them. An
// empty passphrase lights nothing.
type strengthMeter struct {
	u     *UI
	segs  []*canvas.Rectangle
	label *widget.Label
	box   *fyne.Container
}

func newStrengthMeter(u *UI) *strengthMeter {
	m := &strengthMeter{u: u, label: widget.NewLabel(u.T("pass.strength"))}
	bars := container.NewGridWithColumns(len(strengthWords))
	for range strengthWords {
		r := canvas.NewRectangle(theme.Color(theme.ColorNameInputBorder))
		r.SetMinSize(fyne.NewSize(24, 8))
		r.CornerRadius = 2
		m.segs = append(m.segs, r)
		bars.Add(r)
	}
	m.box = container.NewBorder(nil, nil, nil, m.label, container.NewVBox(layout.NewSpacer(), bars, layout.NewSpacer()))
	return m
}

// set shows score (0 very weak to 4 strong).
func (m *strengthMeter) set(score int, empty bool) {
	lit, col := 0, theme.Color(theme.ColorNameError)
	if !empty {
		lit = score + 1
		switch {
		case score >= 3:
			col = theme.Color(theme.ColorNameSuccess)
		case score == 2:
			col = theme.Color(theme.ColorNameWarning)
		}
	}
	for i, r := range m.segs {
		if i < lit {
			r.FillColor = col
		} else {
			r.FillColor = theme.Color(theme.ColorNameInputBorder)
		}
		r.Refresh()
	}
	if empty {
		m.label.SetText(m.u.T("pass.strength"))
	} else {
		m.label.SetText(m.u.Tf("pass.strength_is", i18n.Args{"Word": m.u.T(strengthWords[score])}))
	}
}

// Object is the input's widget tree.
func (p *passphraseInput) Object() fyne.CanvasObject { return p.box }

func (p *passphraseInput) update() {
	text := p.pass.Text
	score := device.PassphraseStrength(text)
	p.meter.set(score, text == "")
	u := p.u
	switch {
	case text == "":
		p.advice.SetText(u.T("pass.advice"))
	case utf8.RuneCountInString(text) < device.MinPassphrase:
		p.advice.SetText(u.Tf("pass.too_short", i18n.Args{"N": device.MinPassphrase}))
	case score < 2:
		p.advice.SetText(u.T("pass.too_easy"))
	case score == 2:
		p.advice.SetText(u.T("pass.acceptable"))
	default:
		p.advice.SetText(u.T("pass.strong"))
	}
}

// Value checks the passphrase and its confirmation; on failure it shows why.
func (p *passphraseInput) Value() ([]byte, bool) {
	p.err.Set("")
	if p.pass.Text != p.confirm.Text {
		p.err.Set(p.u.T("pass.mismatch"))
		return nil, false
	}
	b := []byte(p.pass.Text)
	if err := device.CheckPassphrase(b); err != nil {
		p.err.Set(p.u.plainError(err))
		return nil, false
	}
	return b, true
}

// paperKey writes a recovery key in groups of five characters after its
// fixed prefix, to be copied by hand.
func paperKey(key string) string {
	const prefix = "AGE-SECRET-KEY-1"
	body, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return key
	}
	var groups []string
	for len(body) > 5 {
		groups = append(groups, body[:5])
		body = body[5:]
	}
	groups = append(groups, body)
	return prefix + " " + strings.Join(groups, " ")
}

// recoveryScreen shows the authority's recovery key once, right after set-up.
type recoveryScreen struct {
	u        *UI
	key      string
	stored   *widget.Check
	cont     *widget.Button
	savedMsg message
}

func (u *UI) showRecoveryKey(key, officerName string) {
	r := &recoveryScreen{u: u, key: key}
	r.savedMsg = newMessage(widget.SuccessImportance)
	r.cont = u.primary(u.T("recovery.continue"), theme.NavigateNextIcon(), func() {
		r.key = ""
		o, err := u.dev.OfficerByName(officerName)
		if err != nil {
			u.showUnlock("")
			return
		}
		u.showUnlockFor(o.ID, "", nil)
	})
	r.cont.Disable()
	r.stored = u.check(u.T("recovery.stored"), func(v bool) {
		if v {
			r.cont.Enable()
		} else {
			r.cont.Disable()
		}
	})
	keyText := widget.NewLabel(key)
	keyText.TextStyle = fyne.TextStyle{Monospace: true}
	keyText.Wrapping = fyne.TextWrapBreak
	keyText.Selectable = true
	// For paper: the same key in groups of five (spaces, line breaks and
	// letter case do not matter when it is typed back for a recovery).
	paper := widget.NewLabel(paperKey(key))
	paper.TextStyle = fyne.TextStyle{Monospace: true}
	paper.Wrapping = fyne.TextWrapWord
	paperNote := widget.NewLabel(u.T("recovery.paper"))
	paperNote.Wrapping = fyne.TextWrapWord
	warn := widget.NewLabel(u.T("recovery.warning"))
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.WarningImportance
	save := u.button(u.T("recovery.save"), theme.DocumentSaveIcon(), r.save)
	content := container.NewVBox(
		heading(u.T("recovery.title")),
		warn,
		widget.NewCard(u.T("recovery.key"), "", container.NewVBox(keyText, widget.NewSeparator(), paperNote, paper)),
		toolbar(save), r.savedMsg.Object(),
		widget.NewSeparator(),
		r.stored,
		toolbar(r.cont),
	)
	u.setContent("recovery", u.scroll(centred(900, container.NewPadded(content))))
}

func (r *recoveryScreen) save() {
	r.u.saveFile("fieldreg-recovery-key.txt", func(w fyne.URIWriteCloser) {
		_, err := w.Write([]byte(r.key + "\n"))
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			r.u.showError(r.u.T("recovery.save_failed"))
			return
		}
		r.savedMsg.Set(r.u.T("recovery.saved"))
	})
}
