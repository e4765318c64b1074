package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Sections of the main navigation.
const (
	navRegister   = "register"
	navRecords    = "records"
	navVerify     = "verify"
	navDuplicates = "duplicates"
	navOfficers   = "officers"
	navSettings   = "settings"
)

// shell is the frame of an unlocked session: a top bar with the station,
// the officer and the Lock button, the main navigation, and the current
// screen of the chosen section. Every screen holding personal data hangs
// from the shell, so dropping it on lock drops them all.
type shell struct {
	u       *UI
	root    *fyne.Container
	content *fyne.Container
	nav     map[string]*widget.Button
	views   map[string]fyne.CanvasObject // current screen of each section
	current string

	reg     *registerFlow
	records *recordsScreen
	verify  *verifyScreen
	dups    *duplicatesScreen
	centre  *centreScreen

	syncScr   *syncScreen
	conflicts *conflictsScreen
	banner    *deadlineBanner
	// lang is the officer's language picker in the top bar.
	lang *widget.Select
}

func newShell(u *UI) *shell {
	s := &shell{u: u, nav: map[string]*widget.Button{}, views: map[string]fyne.CanvasObject{}}
	info := u.dev.Info()
	officer := u.sess.Officer()

	brand := widget.NewLabelWithStyle(u.T("app.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	where := widget.NewLabel(fmt.Sprintf("%s · %s", info.Station, info.Name))
	where.Truncation = fyne.TextTruncateEllipsis
	who := widget.NewLabelWithStyle(officer.Name, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	lock := u.button(u.T("shell.lock"), theme.LogoutIcon(), func() { u.lock("") })
	s.lang = u.languagePicker(s.switchLanguage)
	top := container.NewBorder(nil, nil, brand, container.NewHBox(fitted(s.lang), widget.NewIcon(theme.AccountIcon()), who, lock), where)

	navRow := container.New(newRowsLayout())
	add := func(id, label string, icon fyne.Resource) {
		b := u.button(label, icon, func() { s.open(id) })
		s.nav[id] = b
		navRow.Add(b)
	}
	add(navRegister, u.T("nav.register"), theme.ContentAddIcon())
	add(navRecords, u.T("nav.records"), theme.SearchIcon())
	add(navVerify, u.T("nav.verify"), theme.ConfirmIcon())
	add(navCentre, u.T("nav.centre"), theme.HomeIcon())
	// A standalone device has no hub: nothing to sync, and no other device
	// whose edits could conflict with its own.
	if !info.Standalone {
		add(navSync, u.T("nav.sync"), theme.ViewRefreshIcon())
	}
	if officer.Supervisor {
		if !info.Standalone {
			add(navConflicts, u.T("nav.conflicts"), theme.WarningIcon())
		}
		add(navCapacity, u.T("nav.capacity"), theme.ListIcon())
		add(navDuplicates, u.T("nav.duplicates"), theme.ContentCopyIcon())
		add(navStats, u.T("nav.stats"), theme.GridIcon())
		add(navOfficers, u.T("nav.officers"), theme.AccountIcon())
		add(navSettings, u.T("nav.settings"), theme.SettingsIcon())
	}
	s.banner = u.newDeadlineBanner(func() { s.open(navSync) })
	bar := container.NewVBox(top, navRow, s.banner.Object(), widget.NewSeparator())
	s.content = container.NewStack()
	s.root = container.NewBorder(container.NewPadded(bar), nil, nil, nil, s.content)
	return s
}

// open switches to a section. Opening the section already shown goes back
// to its first screen (the records list, say).
func (s *shell) open(id string) {
	s.u.activity()
	again := id == s.current
	s.current = id
	for nid, b := range s.nav {
		if nid == id {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	switch id {
	case navRegister:
		if s.reg == nil {
			s.reg = newRegisterFlow(s.u)
			s.reg.start(nil)
			return
		}
	case navRecords:
		if s.records == nil {
			s.records = newRecordsScreen(s.u)
			s.views[id] = s.records.root
		} else if again {
			s.views[id] = s.records.root
		}
		if s.views[id] == s.records.root {
			s.records.search()
		}
	case navVerify:
		if s.verify == nil || again || s.views[id] == nil {
			s.verify = newVerifyScreen(s.u)
			s.views[id] = s.verify.root
		}
		s.setContent(s.views[id])
		if s.views[id] == s.verify.root {
			s.u.focus(s.verify.input)
		}
		return
	case navDuplicates:
		if s.dups == nil {
			s.dups = newDuplicatesScreen(s.u)
			s.views[id] = s.dups.root
		} else if again {
			s.views[id] = s.dups.root
		}
	case navSync:
		if s.views[id] == nil {
			s.syncScr = newSyncScreen(s.u)
			s.views[id] = s.syncScr.root
		} else if again && s.syncScr != nil {
			s.views[id] = s.syncScr.root
			s.syncScr.reload()
		}
	case navConflicts:
		if s.views[id] == nil || again {
			s.conflicts = newConflictsScreen(s.u)
			s.views[id] = s.conflicts.root
		}
	case navCentre:
		if s.centre == nil || again {
			s.centre = newCentreScreen(s.u)
		} else {
			s.centre.reload()
		}
		s.views[id] = s.centre.root
	case navCapacity:
		s.views[id] = newCapacityScreen(s.u).root
	case navStats:
		if s.views[id] == nil || again {
			s.views[id] = newStatsScreen(s.u).root
		}
	case navOfficers:
		s.views[id] = newOfficersScreen(s.u).root
	case navSettings:
		s.views[id] = newSettingsScreen(s.u).root
	}
	s.setContent(s.views[id])
}

// show makes obj the current screen of section id, switching to it.
func (s *shell) show(id string, obj fyne.CanvasObject) {
	s.views[id] = obj
	if s.current != id {
		s.open(id)
		return
	}
	s.setContent(obj)
}

func (s *shell) setContent(obj fyne.CanvasObject) {
	if obj == nil {
		return
	}
	s.content.Objects = []fyne.CanvasObject{obj}
	s.content.Refresh()
}

// close stops background work of the screens.
func (s *shell) close() {
	if s.records != nil {
		s.records.close()
	}
	if s.reg != nil && s.reg.panel != nil {
		s.reg.panel.stop()
	}
	if s.syncScr != nil {
		s.syncScr.close()
	}
	s.syncScr, s.conflicts, s.banner = nil, nil, nil
	s.views = nil
	s.reg = nil
	s.records = nil
	s.verify = nil
	s.dups = nil
	s.centre = nil
	s.content.RemoveAll()
}

// showFatal is a dead end with an explanation, for data that cannot be opened.
func (u *UI) showFatal(what string, err error) {
	u.setContent("fatal", container.NewPadded(container.NewVBox(
		heading(what),
		para(u.plainError(err)),
		para(u.T("fatal.advice")),
	)))
}
