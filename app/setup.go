package app

import (
	"errors"
	"os"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/assets"
	"github.com/fieldreg/fieldreg/device"
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
	s.country = u.newCodePicker(assets.Countries(), false, "Type the country name or code, e.g. Bosnia or BIH")
	s.station = u.newEntry("e.g. BIH-VELIKA-KLADUSA")
	s.devName = u.newEntry("a name to tell this tablet or laptop apart")
	if h, err := os.Hostname(); err == nil {
		s.devName.SetText(h)
	}
	s.officer = u.newEntry("your name as colleagues know it")
	s.pass = u.newPassphraseInput()
	s.status = newMessage(widget.DangerImportance)
	s.create = u.primary("Create this device", theme.ConfirmIcon(), s.submit)
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

	intro := container.NewVBox(
		heading("Set up this device"),
		para("Start a standalone deployment: this device holds its own country authority. "+
			"Use it for a single border post, or to try the app. Everything you register is encrypted on this device."),
		para("Or join the national deployment with an enrolment file and code from HQ."),
		toolbar(u.button("Join with an enrolment file…", theme.LoginIcon(), u.showEnrol)),
	)
	left := []fyne.CanvasObject{
		section("Where this device works",
			labelled("Country", s.country.Object(), s.errs["country"]),
			labelled("Station or crossing code", s.station, s.errs["station"]),
			labelled("Device name", s.devName, s.errs["device"]),
		),
	}
	right := []fyne.CanvasObject{
		section("First officer (supervisor of this device)",
			labelled("Officer name", s.officer, s.errs["officer"]),
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
	if s.country.Value() == "" {
		s.errs["country"].Set("Choose the country this post belongs to.")
		ok = false
	} else if strings.HasPrefix(s.country.Value(), "XX") {
		s.errs["country"].Set("Choose a country, not a nationality code.")
		ok = false
	}
	if strings.TrimSpace(s.station.Text) == "" {
		s.errs["station"].Set("Enter the code of the station or crossing point.")
		ok = false
	}
	if strings.TrimSpace(s.officer.Text) == "" {
		s.errs["officer"].Set("Enter the name of the first officer.")
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
			s.status.Set(plainError(err))
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
	pass, confirm *entry
	meter         *strengthMeter
	advice        *widget.Label
	err           message
	box           fyne.CanvasObject
}

var strengthWords = []string{"Very weak", "Weak", "Fair", "Good", "Strong"}

func (u *UI) newPassphraseInput() *passphraseInput {
	p := &passphraseInput{pass: u.newPassword("at least 10 characters"), confirm: u.newPassword("type it again")}
	p.meter = newStrengthMeter()
	p.advice = para("Use several unrelated words, or mix letters, digits and symbols. Do not write it on the device.")
	p.err = newMessage(widget.DangerImportance)
	p.pass.OnChanged = func(string) { p.update() }
	p.pass.OnSubmitted = func(string) { u.win.Canvas().Focus(p.confirm) }
	p.box = container.NewVBox(
		fieldLabel("Passphrase"), p.pass, p.meter.box, p.advice,
		fieldLabel("Passphrase again"), p.confirm, p.err.Object(),
	)
	return p
}

// strengthMeter shows a passphrase's strength as five segments, lit and
// coloured by strength (red, amber, green), with the word beside them. An
// empty passphrase lights nothing.
type strengthMeter struct {
	segs  []*canvas.Rectangle
	label *widget.Label
	box   *fyne.Container
}

func newStrengthMeter() *strengthMeter {
	m := &strengthMeter{label: widget.NewLabel("Strength")}
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
		m.label.SetText("Strength")
	} else {
		m.label.SetText("Strength: " + strengthWords[score])
	}
}

// Object is the input's widget tree.
func (p *passphraseInput) Object() fyne.CanvasObject { return p.box }

func (p *passphraseInput) update() {
	text := p.pass.Text
	score := device.PassphraseStrength(text)
	p.meter.set(score, text == "")
	switch {
	case text == "":
		p.advice.SetText("Use several unrelated words, or mix letters, digits and symbols. Do not write it on the device.")
	case utf8.RuneCountInString(text) < device.MinPassphrase:
		p.advice.SetText("Too short: use at least 10 characters.")
	case score < 2:
		p.advice.SetText("Too easy to guess: add more words, or mix in digits and symbols.")
	case score == 2:
		p.advice.SetText("Acceptable. A longer passphrase is stronger.")
	default:
		p.advice.SetText("Strong passphrase.")
	}
}

// Value checks the passphrase and its confirmation; on failure it shows why.
func (p *passphraseInput) Value() ([]byte, bool) {
	p.err.Set("")
	if p.pass.Text != p.confirm.Text {
		p.err.Set("The two passphrases are not the same.")
		return nil, false
	}
	b := []byte(p.pass.Text)
	if err := device.CheckPassphrase(b); err != nil {
		p.err.Set(plainError(err))
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
	r.cont = u.primary("Continue to unlock", theme.NavigateNextIcon(), func() {
		r.key = ""
		o, err := u.dev.OfficerByName(officerName)
		if err != nil {
			u.showUnlock("")
			return
		}
		u.showUnlockFor(o.ID, "")
	})
	r.cont.Disable()
	r.stored = u.check("I have stored the recovery key safely, away from this device", func(v bool) {
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
	paperNote := widget.NewLabel("To write it on paper, copy it in these groups; spaces and line breaks do not matter when it is typed back.")
	paperNote.Wrapping = fyne.TextWrapWord
	warn := widget.NewLabel("This key can unlock this device if every officer's passphrase is lost. " +
		"Anyone who has it can read everything registered here. It is shown only this once.\n\n" +
		"Save it to a USB stick or write it on paper, and keep it locked away from the device, " +
		"for example in the station safe. Do not keep it on this device.")
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.WarningImportance
	save := u.button("Save to file…", theme.DocumentSaveIcon(), r.save)
	content := container.NewVBox(
		heading("Store the recovery key"),
		warn,
		widget.NewCard("Recovery key", "", container.NewVBox(keyText, widget.NewSeparator(), paperNote, paper)),
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
			//lint:ignore ST1005 the officer reads this sentence in a dialog
			dialog.ShowError(errors.New("The key could not be saved there. Choose another place, or write it down."), r.u.win)
			return
		}
		r.savedMsg.Set("Saved. Now move that file off this device and keep it safe.")
	})
}
