package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
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
	s.name = u.newEntry(u.T("officers.name_placeholder"))
	s.name.OnSubmitted = func(string) { u.win.Canvas().FocusNext() }
	s.pass = u.newPassphraseInput()
	s.pass.confirm.OnSubmitted = func(string) { s.addOfficer() }
	s.supervisor = u.check(u.T("officers.supervisor"), nil)
	s.add = u.primary(u.T("officers.add"), theme.ContentAddIcon(), s.addOfficer)
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Hide()
	s.addErr = newMessage(widget.DangerImportance)
	s.refresh()
	left := []fyne.CanvasObject{widget.NewCard(u.T("officers.list"), "", container.NewVBox(s.msg.Object(), s.list))}
	right := []fyne.CanvasObject{widget.NewCard(u.T("officers.add_title"), "", container.NewVBox(
		para(u.T("officers.add_help")), fieldLabel(u.T("officers.name")), s.name, s.pass.Object(), s.supervisor, s.addErr.Object(), s.progress, toolbar(s.add)))}
	s.root = container.NewBorder(container.NewPadded(heading(u.T("nav.officers"))), nil, nil, nil, u.newColumns(left, right))
	return s
}

func (s *officersScreen) refresh() {
	s.list.RemoveAll()
	officers, err := s.u.sess.Officers()
	if err != nil {
		s.list.Add(para(s.u.plainError(err)))
		return
	}
	u := s.u
	me := s.u.sess.Officer().ID
	for _, o := range officers {
		o := o
		var tags []string
		if o.Supervisor {
			tags = append(tags, u.T("officers.tag_supervisor"))
		}
		if o.Locked {
			tags = append(tags, u.T("officers.tag_locked"))
		}
		if o.ID == me {
			tags = append(tags, u.T("officers.tag_you"))
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
			warn := widget.NewLabel(u.T("officers.altered"))
			warn.Wrapping = fyne.TextWrapWord
			warn.Importance = widget.DangerImportance
			rm := s.u.button(u.T("officers.remove"), theme.DeleteIcon(), func() { s.remove(o) })
			rm.Importance = widget.DangerImportance
			s.list.Add(container.NewVBox(title, warn, toolbar(rm), widget.NewSeparator()))
			continue
		}
		actions := []fyne.CanvasObject{s.u.button(u.T("officers.reset"), theme.ViewRefreshIcon(), func() { s.reset(o) })}
		if o.Locked {
			actions = append(actions, s.u.primary(u.T("unlock.unlock"), theme.LoginIcon(), func() { s.unlock(o) }))
		}
		if o.ID != me {
			rm := s.u.button(u.T("officers.remove"), theme.DeleteIcon(), func() { s.remove(o) })
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
		s.addErr.Set(s.u.T("officers.enter_name"))
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
			s.addErr.Set(s.u.plainError(err))
			return
		}
		s.name.SetText("")
		s.pass.pass.SetText("")
		s.pass.confirm.SetText("")
		s.supervisor.SetChecked(false)
		s.msg.Set(s.u.Tf("officers.added", i18n.Args{"Name": name}))
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
			s.u.inform(s.u.T("officers.not_unlocked"), s.u.plainError(err))
			return
		}
		s.msg.Set(s.u.Tf("officers.unlocked", i18n.Args{"Name": o.Name}))
		s.refresh()
	})
}

func (s *officersScreen) remove(o device.Officer) {
	s.u.confirm(s.u.Tf("officers.remove_title", i18n.Args{"Name": o.Name}),
		s.u.T("officers.remove_body"),
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
					s.u.inform(s.u.T("officers.not_removed"), s.u.plainError(err))
					return
				}
				s.msg.Set(s.u.Tf("officers.removed", i18n.Args{"Name": o.Name}))
				s.refresh()
			})
		})
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
				errMsg.Set(u.plainError(err))
				return
			}
			s.msg.Set(u.Tf("officers.pass_changed", i18n.Args{"Name": o.Name}))
			s.refresh()
			back()
		})
	}
	save = u.primary(u.T("officers.set_pass"), theme.ConfirmIcon(), do)
	pass.confirm.OnSubmitted = func(string) { do() }
	content := container.NewVBox(
		heading(u.Tf("officers.new_pass_for", i18n.Args{"Name": o.Name})),
		para(u.T("officers.new_pass_help")),
		pass.Object(), errMsg.Object(), progress,
		toolbar(save, u.button(u.T("common.cancel"), theme.CancelIcon(), back)),
	)
	u.sh.show(navOfficers, u.scroll(centred(700, container.NewPadded(content))))
	u.focus(pass.pass)
}
