package app

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/sync/enrol"
)

// enrolScreen is the other first run: join a deployment with an enrolment
// file made at HQ (`reghub enrol`) and the one-time code that came with it
// by another way (read over the phone, say). The device gets its identity,
// keys and hub from the file; the first officer becomes its supervisor.
type enrolScreen struct {
	u        *UI
	file     []byte
	fileName string
	fileBtn  *widget.Button
	fileMsg  message
	code     *entry
	codeHint *widget.Label
	codeMsg  message
	officer  *entry
	offMsg   message
	pass     *passphraseInput
	status   message
	join     *widget.Button
	back     *widget.Button
	progress *widget.ProgressBarInfinite
	busy     bool
}

// showEnrol shows the "Join with an enrolment file" screen.
func (u *UI) showEnrol() { u.newEnrolScreen() }

func (u *UI) newEnrolScreen() *enrolScreen {
	s := &enrolScreen{u: u}
	s.fileBtn = u.button("Open enrolment file…", theme.FolderOpenIcon(), s.openFile)
	s.fileMsg = newMessage(widget.MediumImportance)
	s.fileMsg.Set("No file chosen yet.")
	s.code = u.newEntry("e.g. 7KQ4M-2XD9T")
	s.code.TextStyle = fyne.TextStyle{Monospace: true}
	s.code.OnChanged = func(string) { s.showCode() }
	s.code.OnSubmitted = func(string) { u.win.Canvas().FocusNext() }
	s.codeHint = widget.NewLabel("10 letters and digits. Capitals, spaces and hyphens do not matter.")
	s.codeHint.Wrapping = fyne.TextWrapWord
	s.codeMsg = newMessage(widget.DangerImportance)
	s.officer = u.newEntry("your name as colleagues know it")
	s.officer.OnSubmitted = func(string) { u.win.Canvas().FocusNext() }
	s.offMsg = newMessage(widget.DangerImportance)
	s.pass = u.newPassphraseInput()
	s.pass.confirm.OnSubmitted = func(string) { s.submit() }
	s.status = newMessage(widget.DangerImportance)
	s.join = u.primary("Join this deployment", theme.ConfirmIcon(), s.submit)
	s.back = u.button("Back", theme.NavigateBackIcon(), func() {
		if !s.busy {
			u.showSetup()
		}
	})
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Hide()

	intro := container.NewVBox(
		heading("Join with an enrolment file"),
		para("HQ gives you two things, separately: an enrolment file (on a USB stick, say) and a one-time code (read over the phone, say). "+
			"This device then joins the national deployment and sends its registrations to the hub."),
	)
	left := []fyne.CanvasObject{
		section("1. Enrolment file", toolbar(s.fileBtn), s.fileMsg.Object()),
		section("2. One-time code",
			labelled("Code", s.code, s.codeMsg), s.codeHint),
	}
	right := []fyne.CanvasObject{
		section("3. First officer (supervisor of this device)",
			labelled("Officer name", s.officer, s.offMsg),
			s.pass.Object(),
		),
		s.status.Object(),
		s.progress,
		toolbar(s.join, s.back),
	}
	body := u.newColumns(left, right)
	u.setContent("enrol", container.NewBorder(container.NewPadded(intro), nil, nil, nil, body))
	return s
}

// openFile reads the chosen enrolment file off the UI goroutine.
func (s *enrolScreen) openFile() {
	s.u.openFile(nil, func(r fyne.URIReadCloser) {
		name := r.URI().Name()
		var b []byte
		var err error
		s.u.background(func() {
			defer r.Close()
			b, err = io.ReadAll(io.LimitReader(r, enrol.MaxFileSize+1))
		}, func() {
			s.status.Set("")
			switch {
			case err != nil:
				s.file = nil
				s.fileMsg.SetImportance(widget.DangerImportance)
				s.fileMsg.Set("This file cannot be read. Choose it again, or copy it to the device first.")
			case len(b) > enrol.MaxFileSize || !looksLikeEnrolment(b):
				s.file = nil
				s.fileMsg.SetImportance(widget.DangerImportance)
				s.fileMsg.Set(name + " is not an enrolment file. Choose the file HQ sent for this device.")
			default:
				s.file, s.fileName = b, name
				s.fileMsg.SetImportance(widget.SuccessImportance)
				s.fileMsg.Set("Chosen: " + name)
				s.u.focus(s.code)
			}
		})
	})
}

// looksLikeEnrolment is a cheap check of the file's form before the code
// is asked for (the real check is enrol.Open).
func looksLikeEnrolment(b []byte) bool {
	t := strings.TrimSpace(string(b))
	return strings.HasPrefix(t, "{") && strings.Contains(t, `"format"`)
}

// showCode shows how the typed code is read, grouped as HQ printed it.
func (s *enrolScreen) showCode() {
	s.codeMsg.Set("")
	n := 0
	var sb strings.Builder
	for _, r := range strings.ToUpper(s.code.Text) {
		if r == ' ' || r == '-' {
			continue
		}
		if n == enrol.CodeLen/2 {
			sb.WriteByte('-')
		}
		sb.WriteRune(r)
		n++
	}
	switch {
	case n == 0:
		s.codeHint.SetText("10 letters and digits. Capitals, spaces and hyphens do not matter.")
	case n < enrol.CodeLen:
		s.codeHint.SetText(fmt.Sprintf("Read as %s (%d of %d characters).", sb.String(), n, enrol.CodeLen))
	default:
		s.codeHint.SetText(fmt.Sprintf("Read as %s (%d characters).", sb.String(), n))
	}
}

func (s *enrolScreen) submit() {
	if s.busy {
		return
	}
	s.status.Set("")
	s.codeMsg.Set("")
	s.offMsg.Set("")
	ok := true
	if s.file == nil {
		s.fileMsg.SetImportance(widget.DangerImportance)
		s.fileMsg.Set("Choose the enrolment file first.")
		ok = false
	}
	code, err := enrol.NormalizeCode(s.code.Text)
	if err != nil {
		if strings.TrimSpace(s.code.Text) == "" {
			s.codeMsg.Set("Type the one-time code that came with the file.")
		} else {
			s.codeMsg.Set(capitalise(err.Error()) + " Check the code.")
		}
		ok = false
	}
	officer := strings.TrimSpace(s.officer.Text)
	if officer == "" {
		s.offMsg.Set("Enter the name of the first officer.")
		ok = false
	}
	pass, passOK := s.pass.Value()
	if !passOK || !ok {
		wipe(pass)
		return
	}
	cfg := device.EnrolledConfig{File: s.file, Code: code, Officer: officer, Passphrase: pass}
	s.busy = true
	s.join.Disable()
	s.back.Disable()
	s.progress.Show()
	var dev *device.Device
	s.u.background(func() {
		dev, err = device.InitEnrolled(s.u.dir, cfg, s.u.opts)
		wipe(pass)
	}, func() {
		s.busy = false
		s.progress.Hide()
		s.join.Enable()
		s.back.Enable()
		if err != nil {
			fyne.LogError("joining with an enrolment file failed", nil)
			s.showError(err)
			return
		}
		s.file = nil
		s.u.dev = dev
		info := dev.Info()
		note := fmt.Sprintf("This device joined the deployment of %s as %s at %s. Unlock to start.", info.Country, info.Name, info.Station)
		o, oerr := dev.OfficerByName(officer)
		if oerr != nil {
			s.u.showUnlock(note)
			return
		}
		s.u.showUnlockFor(o.ID, note)
	})
}

// showError says in plain words why joining failed.
func (s *enrolScreen) showError(err error) {
	switch {
	case errors.Is(err, enrol.ErrWrongCode):
		s.codeMsg.Set("This code does not open this file. Check each character of the code, and that the file is the one sent with it.")
		s.status.Set("Nothing was set up: the code does not match the file.")
		s.u.focus(s.code)
	case errors.Is(err, device.ErrInitialised):
		s.status.Set("This device is already set up. Close the app and open it again to unlock it.")
	case strings.Contains(err.Error(), "enrolment file"):
		s.status.Set("Nothing was set up: " + strings.TrimSuffix(plainError(err), ".") + ". Ask HQ for a new enrolment file.")
	default:
		s.status.Set("Nothing was set up. " + plainError(err))
	}
}
