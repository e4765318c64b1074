package app

import (
	"errors"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
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
	s.fileBtn = u.button(u.T("enrol.open_file"), theme.FolderOpenIcon(), s.openFile)
	s.fileMsg = newMessage(widget.MediumImportance)
	s.fileMsg.Set(u.T("enrol.no_file"))
	s.code = u.newEntry(u.T("enrol.code_placeholder"))
	s.code.TextStyle = fyne.TextStyle{Monospace: true}
	s.code.OnChanged = func(string) { s.showCode() }
	s.code.OnSubmitted = func(string) { u.win.Canvas().FocusNext() }
	s.codeHint = widget.NewLabel(u.T("enrol.code_hint"))
	s.codeHint.Wrapping = fyne.TextWrapWord
	s.codeMsg = newMessage(widget.DangerImportance)
	s.officer = u.newEntry(u.T("setup.officer_placeholder"))
	s.officer.OnSubmitted = func(string) { u.win.Canvas().FocusNext() }
	s.offMsg = newMessage(widget.DangerImportance)
	s.pass = u.newPassphraseInput()
	s.pass.confirm.OnSubmitted = func(string) { s.submit() }
	s.status = newMessage(widget.DangerImportance)
	s.join = u.primary(u.T("enrol.join"), theme.ConfirmIcon(), s.submit)
	s.back = u.button(u.T("common.back"), theme.NavigateBackIcon(), func() {
		if !s.busy {
			u.showSetup()
		}
	})
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Hide()

	intro := container.NewVBox(
		heading(u.T("enrol.title")),
		para(u.T("enrol.intro")),
	)
	left := []fyne.CanvasObject{
		section(u.T("enrol.step_file"), toolbar(s.fileBtn), s.fileMsg.Object()),
		section(u.T("enrol.step_code"),
			labelled(u.T("enrol.code"), s.code, s.codeMsg), s.codeHint),
	}
	right := []fyne.CanvasObject{
		section(u.T("enrol.step_officer"),
			labelled(u.T("setup.officer_name"), s.officer, s.offMsg),
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
				s.fileMsg.Set(s.u.T("file.unreadable"))
			case len(b) > enrol.MaxFileSize || !looksLikeEnrolment(b):
				s.file = nil
				s.fileMsg.SetImportance(widget.DangerImportance)
				s.fileMsg.Set(s.u.Tf("enrol.not_enrolment", i18n.Args{"Name": name}))
			default:
				s.file, s.fileName = b, name
				s.fileMsg.SetImportance(widget.SuccessImportance)
				s.fileMsg.Set(s.u.Tf("file.chosen", i18n.Args{"Name": name}))
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
	u := s.u
	switch {
	case n == 0:
		s.codeHint.SetText(u.T("enrol.code_hint"))
	case n < enrol.CodeLen:
		s.codeHint.SetText(u.Tf("enrol.read_as_partial", i18n.Args{"Code": sb.String(), "N": n, "Len": enrol.CodeLen}))
	default:
		s.codeHint.SetText(u.Tn("enrol.read_as", n, i18n.Args{"Code": sb.String()}))
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
		s.fileMsg.Set(s.u.T("enrol.choose_first"))
		ok = false
	}
	code, err := enrol.NormalizeCode(s.code.Text)
	if err != nil {
		if strings.TrimSpace(s.code.Text) == "" {
			s.codeMsg.Set(s.u.T("enrol.type_code"))
		} else {
			s.codeMsg.Set(s.u.T("enrol.bad_code"))
		}
		ok = false
	}
	officer := strings.TrimSpace(s.officer.Text)
	if officer == "" {
		s.offMsg.Set(s.u.T("setup.enter_officer"))
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
		note := i18n.Args{"Country": info.Country, "Device": info.Name, "Station": info.Station}
		const joined = "enrol.joined"
		o, oerr := dev.OfficerByName(officer)
		if oerr != nil {
			s.u.showUnlockFor("", joined, note)
			return
		}
		s.u.showUnlockFor(o.ID, joined, note)
	})
}

// showError says in plain words why joining failed.
func (s *enrolScreen) showError(err error) {
	u := s.u
	switch {
	case errors.Is(err, enrol.ErrWrongCode):
		s.codeMsg.Set(u.T("enrol.wrong_code"))
		s.status.Set(u.T("enrol.wrong_code_status"))
		s.u.focus(s.code)
	case errors.Is(err, device.ErrInitialised):
		s.status.Set(u.T("setup.already"))
	case strings.Contains(err.Error(), "enrolment file"):
		s.status.Set(u.Tf("enrol.bad_file", i18n.Args{"Error": strings.TrimSuffix(u.plainError(err), ".")}))
	default:
		s.status.Set(u.Tf("setup.failed", i18n.Args{"Error": u.plainError(err)}))
	}
}
