package app

import (
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
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
}

func (u *UI) showUnlock(reason string) { u.showUnlockFor("", reason) }

// showUnlockFor shows the unlock screen with officerID chosen (if any) and
// reason as a note (why the app locked).
func (u *UI) showUnlockFor(officerID, reason string) {
	s := &unlockScreen{u: u, buttons: map[string]*widget.Button{}}
	u.unlock = s
	officers, err := u.dev.Officers()
	if err != nil {
		u.showFatal("The officers of this device cannot be read.", err)
		return
	}
	s.officers = officers
	list := container.NewVBox()
	for _, o := range officers {
		o := o
		text := o.Name
		if o.Supervisor {
			text += "  (supervisor)"
		}
		if o.Locked {
			text += "  (locked)"
		}
		b := u.button(text, theme.AccountIcon(), func() { s.choose(o.ID) })
		b.Alignment = widget.ButtonAlignLeading
		s.buttons[o.ID] = b
		list.Add(b)
	}
	s.pass = u.newPassword("passphrase")
	s.pass.OnSubmitted = func(string) { s.submit() }
	s.unlockBtn = u.primary("Unlock", theme.LoginIcon(), s.submit)
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Hide()
	s.msg = newMessage(widget.DangerImportance)
	s.note = newMessage(widget.MediumImportance)
	s.note.Set(reason)

	info := u.dev.Info()
	title := heading("Unlock fieldreg")
	where := para(fmt.Sprintf("Station %s · device %s", info.Station, info.Name))
	content := container.NewVBox(
		title, where, s.note.Object(),
		widget.NewCard("Who are you?", "", list),
		widget.NewCard("Passphrase", "", container.NewVBox(s.pass, s.msg.Object(), s.progress, toolbar(s.unlockBtn))),
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

func (s *unlockScreen) choose(id string) {
	o, ok := s.officer(id)
	if !ok || s.busy {
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
		s.wait(o.RetryAfter, "Too many attempts.")
	}
	s.u.focus(s.pass)
}

func (s *unlockScreen) locked() {
	s.pass.Disable()
	s.unlockBtn.Disable()
	s.msg.Set("This officer is locked after too many wrong passphrases. Ask a supervisor to unlock it.")
}

func (s *unlockScreen) submit() {
	if s.busy || s.selected == "" || !s.waitUntil.IsZero() || s.pass.Disabled() {
		return
	}
	if s.pass.Text == "" {
		s.msg.Set("Type your passphrase.")
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
			s.u.startSession(sess)
			return
		}
		s.pass.SetText("")
		s.unlockBtn.Enable()
		var ue *device.UnlockError
		switch {
		case errors.Is(err, device.ErrOfficerLocked):
			s.locked()
			if b := s.buttons[id]; b != nil && !isLockedLabel(b.Text) {
				b.SetText(b.Text + "  (locked)")
			}
		case errors.As(err, &ue):
			s.remaining = ue.Remaining
			what := "Wrong passphrase."
			if errors.Is(ue.Err, device.ErrTooSoon) {
				what = "Too many attempts."
			}
			s.wait(ue.RetryAfter, what)
		default:
			fyne.LogError("unlock failed", nil)
			s.msg.Set(plainError(err))
		}
		s.u.focus(s.pass)
	})
}

func isLockedLabel(t string) bool {
	return len(t) >= 8 && t[len(t)-8:] == "(locked)"
}

// wait disables unlocking for d and counts down the seconds.
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
	attempts := ""
	if s.remaining > 0 {
		attempts = fmt.Sprintf(" %d attempts left before this officer is locked.", s.remaining)
		if s.remaining == 1 {
			attempts = " 1 attempt left before this officer is locked."
		}
	}
	if left <= 0 {
		s.waitUntil = time.Time{}
		s.unlockBtn.Enable()
		s.msg.Set(what + " You can try again now." + attempts)
		return
	}
	secs := int((left + time.Second - 1) / time.Second)
	s.msg.Set(fmt.Sprintf("%s Try again in %d s.%s", what, secs, attempts))
	next := left - time.Duration(secs-1)*time.Second
	time.AfterFunc(next, func() { s.u.do(func() { s.tick(what) }) })
}
