package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
)

// officersScreen lets a supervisor add, remove and unlock officers and reset
// their passphrases.
type officersScreen struct {
	u    *UI
	root fyne.CanvasObject
	list *fyne.Container
	msg  message

	name       *entry
	pass       *passphraseInput
	supervisor *widget.Check
	add        *widget.Button
	progress   *widget.ProgressBarInfinite
	addErr     message
}

func newOfficersScreen(u *UI) *officersScreen {
	s := &officersScreen{u: u}
	s.list = container.NewVBox()
	s.msg = newMessage(widget.SuccessImportance)
	s.name = u.newEntry("name as colleagues know it")
	s.name.OnSubmitted = func(string) { u.win.Canvas().FocusNext() }
	s.pass = u.newPassphraseInput()
	s.pass.confirm.OnSubmitted = func(string) { s.addOfficer() }
	s.supervisor = u.check("Supervisor (can manage officers and settings)", nil)
	s.add = u.primary("Add officer", theme.ContentAddIcon(), s.addOfficer)
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Hide()
	s.addErr = newMessage(widget.DangerImportance)
	s.refresh()
	left := []fyne.CanvasObject{widget.NewCard("Officers of this device", "", container.NewVBox(s.msg.Object(), s.list))}
	right := []fyne.CanvasObject{widget.NewCard("Add an officer", "", container.NewVBox(
		para("They choose their passphrase here, with you."), fieldLabel("Name"), s.name, s.pass.Object(), s.supervisor, s.addErr.Object(), s.progress, toolbar(s.add)))}
	s.root = container.NewBorder(container.NewPadded(heading("Officers")), nil, nil, nil, u.newColumns(left, right))
	return s
}

func (s *officersScreen) refresh() {
	s.list.RemoveAll()
	officers, err := s.u.sess.Officers()
	if err != nil {
		s.list.Add(para(plainError(err)))
		return
	}
	me := s.u.sess.Officer().ID
	for _, o := range officers {
		o := o
		var tags []string
		if o.Supervisor {
			tags = append(tags, "supervisor")
		}
		if o.Locked {
			tags = append(tags, "locked")
		}
		if o.ID == me {
			tags = append(tags, "you")
		}
		if o.Altered {
			tags = append(tags, "altered")
		}
		name := o.Name
		if len(tags) > 0 {
			name += "  (" + strings.Join(tags, ", ") + ")"
		}
		title := widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		if o.Locked {
			title.Importance = widget.WarningImportance
		}
		if o.Altered {
			// Changed in the database, not through fieldreg: it grants
			// nothing, and only removing it (then adding the officer
			// again) puts things right.
			title.Importance = widget.DangerImportance
			warn := widget.NewLabel("This entry was changed outside fieldreg (its name, role or passphrase data do not verify). It cannot unlock the device and grants nothing. Remove it and add the officer again.")
			warn.Wrapping = fyne.TextWrapWord
			warn.Importance = widget.DangerImportance
			rm := s.u.button("Remove", theme.DeleteIcon(), func() { s.remove(o) })
			rm.Importance = widget.DangerImportance
			s.list.Add(container.NewVBox(title, warn, toolbar(rm), widget.NewSeparator()))
			continue
		}
		actions := []fyne.CanvasObject{s.u.button("Reset passphrase", theme.ViewRefreshIcon(), func() { s.reset(o) })}
		if o.Locked {
			actions = append(actions, s.u.primary("Unlock", theme.LoginIcon(), func() { s.unlock(o) }))
		}
		if o.ID != me {
			rm := s.u.button("Remove", theme.DeleteIcon(), func() { s.remove(o) })
			rm.Importance = widget.DangerImportance
			actions = append(actions, rm)
		}
		s.list.Add(container.NewVBox(title, toolbar(actions...), widget.NewSeparator()))
	}
}

func (s *officersScreen) addOfficer() {
	s.addErr.Set("")
	name := strings.TrimSpace(s.name.Text)
	if name == "" {
		s.addErr.Set("Enter the officer's name.")
		return
	}
	pass, ok := s.pass.Value()
	if !ok {
		return
	}
	sup := s.supervisor.Checked
	sess := s.u.sess
	s.add.Disable()
	s.progress.Show()
	var err error
	s.u.background(func() {
		_, err = sess.AddOfficer(name, pass, sup)
		wipe(pass)
	}, func() {
		if s.u.sess != sess {
			return
		}
		s.add.Enable()
		s.progress.Hide()
		if err != nil {
			s.addErr.Set(plainError(err))
			return
		}
		s.name.SetText("")
		s.pass.pass.SetText("")
		s.pass.confirm.SetText("")
		s.supervisor.SetChecked(false)
		s.msg.Set(fmt.Sprintf("%s was added. They can unlock the device now.", name))
		s.refresh()
	})
}

func (s *officersScreen) unlock(o device.Officer) {
	sess := s.u.sess
	if sess == nil {
		return
	}
	var err error
	s.u.background(func() { err = sess.UnlockOfficer(o.ID) }, func() {
		if s.u.sess != sess {
			return
		}
		if err != nil {
			s.msg.Set("")
			dialog.ShowInformation("Not unlocked", plainError(err), s.u.win)
			return
		}
		s.msg.Set(o.Name + " is unlocked and can try their passphrase again.")
		s.refresh()
	})
}

func (s *officersScreen) remove(o device.Officer) {
	dialog.ShowConfirm("Remove "+o.Name+"?",
		"They will no longer be able to unlock this device. What they registered stays, with their name in the history.",
		func(ok bool) {
			sess := s.u.sess
			if !ok || sess == nil {
				return
			}
			var err error
			s.u.background(func() { err = sess.RemoveOfficer(o.ID) }, func() {
				if s.u.sess != sess {
					return
				}
				if err != nil {
					dialog.ShowInformation("Not removed", plainError(err), s.u.win)
					return
				}
				s.msg.Set(o.Name + " was removed.")
				s.refresh()
			})
		}, s.u.win)
}

// reset shows a form for a new passphrase for o.
func (s *officersScreen) reset(o device.Officer) {
	u := s.u
	pass := u.newPassphraseInput()
	progress := widget.NewProgressBarInfinite()
	progress.Hide()
	errMsg := newMessage(widget.DangerImportance)
	back := func() { u.sh.show(navOfficers, s.root) }
	var save *widget.Button
	do := func() {
		p, ok := pass.Value()
		if !ok {
			return
		}
		sess := u.sess
		save.Disable()
		progress.Show()
		var err error
		u.background(func() {
			err = sess.ResetPassphrase(o.ID, p)
			wipe(p)
		}, func() {
			if u.sess != sess {
				return
			}
			save.Enable()
			progress.Hide()
			if err != nil {
				errMsg.Set(plainError(err))
				return
			}
			s.msg.Set("The passphrase of " + o.Name + " was changed. Tell them in person, not by message.")
			s.refresh()
			back()
		})
	}
	save = u.primary("Set new passphrase", theme.ConfirmIcon(), do)
	pass.confirm.OnSubmitted = func(string) { do() }
	content := container.NewVBox(
		heading("New passphrase for "+o.Name),
		para("The officer types the new passphrase. This also unlocks them if they were locked."),
		pass.Object(), errMsg.Object(), progress,
		toolbar(save, u.button("Cancel", theme.CancelIcon(), back)),
	)
	u.sh.show(navOfficers, u.scroll(centred(700, container.NewPadded(content))))
	u.focus(pass.pass)
}
