package app

import (
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
)

// unlockScreen lets an officer pick their name and type their passphrase.
// Argon2id takes about half a second, so the unlock runs off the UI goroutine.
type unlockScreen struct {
	u         *UI
	officers  []device.Officer
	selected  string
	buttons   map[string]*widget.Button
	pass      *entry
	unlockBtn *widget.Button
	progress  *widget.ProgressBarInfinite
	msg       message
	note      message
	waitUntil time.Time
	remaining int
	busy      bool
	// reason is the message ID of the note (why the app locked), kept
	// to show it again when the language changes.
	reason     string
	reasonArgs i18n.Args
	// chosenLang is a language the officer picked on this screen, stored
	// as theirs once they unlock; "" keeps their stored one.
	chosenLang string
}

func (u *UI) showUnlock(reason string) { u.showUnlockFor("", reason, nil) }

// showUnlockFor shows the unlock screen with officerID chosen (if any),
// in that officer's language, and the message reason (an ID, or "") as a
// note (why the app locked).
func (u *UI) showUnlockFor(officerID, reason string, args i18n.Args) {
	if lang := u.setupLang; lang != "" {
		// The first officer keeps the language the device was set up in.
		u.setupLang = ""
		u.useLanguage(lang)
		u.buildUnlock(officerID, reason, args, lang)
		return
	}
	if officerID != "" {
		u.useLanguage(u.officerLanguage(officerID))
	} else {
		u.useLanguage(u.startLanguage())
	}
	u.buildUnlock(officerID, reason, args, "")
}

// buildUnlock builds the unlock screen in the language on screen; lang is
// a language already picked on it (to keep across the rebuild).
func (u *UI) buildUnlock(officerID, reason string, args i18n.Args, lang string) {
	s := &unlockScreen{u: u, buttons: map[string]*widget.Button{}, reason: reason, reasonArgs: args, chosenLang: lang}
	u.unlock = s
	officers, err := u.dev.Officers()
	if err != nil {
		u.showFatal(u.T("unlock.officers_unreadable"), err)
		return
	}
	s.officers = officers
	list := container.NewVBox()
	for _, o := range officers {
		o := o
		text := o.Name
		if o.Supervisor {
			text += u.T("unlock.supervisor_mark")
		}
		if o.Locked {
			text += u.T("unlock.locked_mark")
		}
		b := u.button(text, theme.AccountIcon(), func() { s.choose(o.ID) })
		b.Alignment = widget.ButtonAlignLeading
		s.buttons[o.ID] = b
		list.Add(b)
	}
	s.pass = u.newPassword(u.T("unlock.passphrase_placeholder"))
	s.pass.OnSubmitted = func(string) { s.submit() }
	s.unlockBtn = u.primary(u.T("unlock.unlock"), theme.LoginIcon(), s.submit)
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Hide()
	s.msg = newMessage(widget.DangerImportance)
	s.note = newMessage(widget.MediumImportance)
	if reason != "" {
		s.note.Set(u.Tf(reason, args))
	}

	info := u.dev.Info()
	title := heading(u.T("unlock.title"))
	where := para(u.Tf("unlock.where", i18n.Args{"Station": info.Station, "Device": info.Name}))
	picker := u.languagePicker(s.pickLanguage)
	content := container.NewVBox(
		container.NewBorder(nil, nil, nil, fitted(picker), title), where, s.note.Object(),
		widget.NewCard(u.T("unlock.who"), "", list),
		widget.NewCard(u.T("unlock.passphrase"), "", container.NewVBox(s.pass, s.msg.Object(), s.progress, toolbar(s.unlockBtn))),
	)
	u.setContent("unlock", u.scroll(centred(640, container.NewPadded(content))))

	switch {
	case officerID != "":
		s.choose(officerID)
	case len(officers) == 1:
		s.choose(officers[0].ID)
	default:
		s.pass.Disable()
		s.unlockBtn.Disable()
	}
}

func (s *unlockScreen) officer(id string) (device.Officer, bool) {
	for _, o := range s.officers {
		if o.ID == id {
			return o, true
		}
	}
	return device.Officer{}, false
}

// pickLanguage shows the unlock screen again in tag, keeping the officer
// chosen; tag becomes the officer's language when they unlock.
func (s *unlockScreen) pickLanguage(tag string) {
	if s.busy || !s.u.useLanguage(tag) {
		return
	}
	s.u.buildUnlock(s.selected, s.reason, s.reasonArgs, tag)
}

func (s *unlockScreen) choose(id string) {
	o, ok := s.officer(id)
	if !ok || s.busy {
		return
	}
	// Tapping one's name brings one's own language, unless one was
	// picked on this screen.
	if s.chosenLang == "" && id != s.selected && s.u.useLanguage(s.u.officerLanguage(id)) {
		s.u.buildUnlock(id, s.reason, s.reasonArgs, "")
		return
	}
	s.selected = id
	for oid, b := range s.buttons {
		if oid == id {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	s.msg.Set("")
	s.waitUntil = time.Time{}
	s.pass.SetText("")
	if o.Locked {
		s.locked()
		return
	}
	s.pass.Enable()
	s.unlockBtn.Enable()
	if o.RetryAfter > 0 {
		s.remaining = 0
		s.wait(o.RetryAfter, "unlock.too_many")
	}
	s.u.focus(s.pass)
}

func (s *unlockScreen) locked() {
	s.pass.Disable()
	s.unlockBtn.Disable()
	s.msg.Set(s.u.T("unlock.officer_locked"))
}

func (s *unlockScreen) submit() {
	if s.busy || s.selected == "" || !s.waitUntil.IsZero() || s.pass.Disabled() {
		return
	}
	if s.pass.Text == "" {
		s.msg.Set(s.u.T("unlock.type_passphrase"))
		return
	}
	pass := []byte(s.pass.Text)
	id := s.selected
	s.busy = true
	s.unlockBtn.Disable()
	s.progress.Show()
	s.msg.Set("")
	var sess *device.Session
	var err error
	s.u.background(func() {
		sess, err = s.u.dev.Unlock(id, pass)
		wipe(pass)
	}, func() {
		s.busy = false
		s.progress.Hide()
		if s.u.unlock != s {
			if sess != nil {
				sess.Lock()
			}
			return
		}
		if err == nil {
			s.pass.SetText("")
			s.u.unlock = nil
			if s.chosenLang != "" {
				// Stored before the session starts, which reads it.
				if err := sess.SetLanguage(s.chosenLang); err != nil {
					fyne.LogError("storing the officer's language failed", err)
				}
			}
			s.u.startSession(sess)
			return
		}
		s.pass.SetText("")
		s.unlockBtn.Enable()
		var ue *device.UnlockError
		switch {
		case errors.Is(err, device.ErrOfficerLocked):
			s.locked()
			if b := s.buttons[id]; b != nil && !strings.HasSuffix(b.Text, s.u.T("unlock.locked_mark")) {
				b.SetText(b.Text + s.u.T("unlock.locked_mark"))
			}
		case errors.As(err, &ue):
			s.remaining = ue.Remaining
			what := "unlock.wrong_passphrase"
			if errors.Is(ue.Err, device.ErrTooSoon) {
				what = "unlock.too_many"
			}
			s.wait(ue.RetryAfter, what)
		default:
			fyne.LogError("unlock failed", nil)
			s.msg.Set(s.u.plainError(err))
		}
		s.u.focus(s.pass)
	})
}

// wait disables unlocking for d and counts down the seconds; what is the
// message ID of why.
func (s *unlockScreen) wait(d time.Duration, what string) {
	s.waitUntil = time.Now().Add(d)
	s.unlockBtn.Disable()
	s.tick(what)
}

func (s *unlockScreen) tick(what string) {
	if s.u.unlock != s || s.waitUntil.IsZero() {
		return
	}
	left := time.Until(s.waitUntil)
	u := s.u
	lines := []string{u.T(what)}
	if left <= 0 {
		s.waitUntil = time.Time{}
		s.unlockBtn.Enable()
		lines = append(lines, u.T("unlock.try_now"))
	} else {
		secs := int((left + time.Second - 1) / time.Second)
		lines = append(lines, u.Tn("unlock.try_in", secs, nil))
	}
	if s.remaining > 0 {
		lines = append(lines, u.Tn("unlock.attempts_left", s.remaining, nil))
	}
	s.msg.Set(strings.Join(lines, " "))
	if left <= 0 {
		return
	}
	secs := int((left + time.Second - 1) / time.Second)
	next := left - time.Duration(secs-1)*time.Second
	time.AfterFunc(next, func() { s.u.do(func() { s.tick(what) }) })
}
