package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/internal/i18n"
)

// T is the message id in the language on screen.
func (u *UI) T(id string) string { return u.loc.T(id) }

// Tf is the message id with its placeholders filled from args.
func (u *UI) Tf(id string, args i18n.Args) string { return u.loc.Tf(id, args) }

// Tn is the plural form of message id for count ({{.Count}}), with the
// other placeholders from args (nil for none).
func (u *UI) Tn(id string, count int, args i18n.Args) string { return u.loc.Tn(id, count, args) }

// tAll is the messages ids, in order.
func (u *UI) tAll(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = u.T(id)
	}
	return out
}

// startLanguage is the language before anyone unlocks: the one given on the
// command line for this run, else the device's default (a supervisor
// setting), else English.
func (u *UI) startLanguage() string {
	if u.langOverride != "" {
		return u.langOverride
	}
	if u.dev != nil {
		return u.dev.DefaultLanguage()
	}
	return i18n.Default
}

// officerLanguage is the language an officer works in: the command line's
// for this run, else their own choice, else the device's default.
func (u *UI) officerLanguage(officerID string) string {
	if u.langOverride != "" {
		return u.langOverride
	}
	if u.dev == nil {
		return i18n.Default
	}
	if tag := u.dev.OfficerLanguage(officerID); tag != "" {
		return tag
	}
	return u.dev.DefaultLanguage()
}

// useLanguage makes tag the language of the window's text from now on; an
// unknown tag (from an older catalogue, say) keeps the current language.
// It reports whether the language changed. The caller rebuilds the screen.
func (u *UI) useLanguage(tag string) bool {
	l, err := i18n.New(tag)
	if err != nil {
		fyne.LogError("language not available", err)
		return false
	}
	if u.loc != nil && u.loc.Tag() == l.Tag() {
		return false
	}
	u.loc = l
	useFyneLanguage(l)
	if u.win != nil {
		u.win.SetTitle(u.T("app.title"))
	}
	return true
}

// languageNames are the pickers' options: each language in itself, marked
// when no native speaker has reviewed it yet.
func (u *UI) languageNames() []string {
	var out []string
	for _, l := range i18n.Languages() {
		out = append(out, u.languageName(l))
	}
	return out
}

func (u *UI) languageName(l i18n.Language) string {
	if l.Reviewed {
		return l.Name
	}
	return u.Tf("lang.unreviewed", i18n.Args{"Name": l.Name})
}

// languageOf is the tag of a picker option (a name, marked or not), or "".
func (u *UI) languageOf(name string) string {
	for _, l := range i18n.Languages() {
		if l.Name == name || u.languageName(l) == name {
			return l.Tag
		}
	}
	return ""
}

// languagePicker is a drop-down of the officers' languages, each in itself,
// showing the current one; choosing another calls changed with its tag.
// It is as wide as its longest name, so no name is cut off.
func (u *UI) languagePicker(changed func(tag string)) *widget.Select {
	var names []string
	for _, l := range i18n.Languages() {
		names = append(names, l.Name)
	}
	sel := u.selectBox(names, nil)
	sel.SetSelected(u.loc.Language().Name)
	sel.OnChanged = func(v string) {
		u.activity()
		if tag := u.languageOf(v); tag != "" && tag != u.loc.Tag() {
			changed(tag)
		}
	}
	return sel
}

// fitted gives a drop-down the width of its longest option.
func fitted(sel *widget.Select) fyne.CanvasObject {
	var w float32
	for _, o := range sel.Options {
		w = fyne.Max(w, fyne.MeasureText(o, theme.TextSize(), fyne.TextStyle{}).Width)
	}
	// The text's inner padding on both sides and the drop-down icon.
	w += 4*theme.InnerPadding() + theme.IconInlineSize()
	return container.NewStack(minWidth(w), sel)
}

// switchLanguage changes the language of the officer of the session to tag,
// stores it as theirs, and rebuilds the screens in it at once. A
// registration in progress would be lost with its form, so the officer
// confirms that first; cancelling leaves everything as it was.
func (s *shell) switchLanguage(tag string) {
	u := s.u
	if s.reg != nil && s.reg.inProgress() {
		u.confirm(u.T("lang.discard_title"),
			u.T("lang.discard_body"),
			func(ok bool) {
				if ok {
					u.changeLanguage(tag)
				} else if s.lang != nil {
					s.lang.SetSelected(u.loc.Language().Name)
				}
			})
		return
	}
	u.changeLanguage(tag)
}

// changeLanguage stores tag as the language of the session's officer and
// rebuilds the shell in it, on the section that was showing.
func (u *UI) changeLanguage(tag string) {
	sess := u.sess
	if sess == nil {
		return
	}
	var err error
	u.background(func() { err = sess.SetLanguage(tag) }, func() {
		if u.sess != sess {
			return
		}
		if err != nil {
			u.showError(u.plainError(err))
			return
		}
		// An explicit choice ends the language given on the command line.
		u.langOverride = ""
		if u.useLanguage(tag) {
			u.rebuildShell()
		}
	})
}

// rebuildShell builds the shell again (in the language now on screen) and
// opens the section that was showing.
func (u *UI) rebuildShell() {
	if u.sh == nil {
		return
	}
	current := u.sh.current
	u.sh.close()
	u.elsewhere = nil
	u.sh = newShell(u)
	u.setContent("shell", u.sh.root)
	u.sh.open(current)
}

// confirm asks a yes-or-no question, with the buttons in the app's words
// for the officer's language.
func (u *UI) confirm(title, msg string, done func(bool)) {
	d := dialog.NewConfirm(title, msg, done, u.win)
	d.SetConfirmText(u.T("common.yes"))
	d.SetDismissText(u.T("common.no"))
	d.Show()
}

// inform shows a message with an OK button in the officer's language.
func (u *UI) inform(title, msg string) {
	d := dialog.NewInformation(title, msg, u.win)
	d.SetDismissText(u.T("common.ok"))
	d.Show()
}

// showError shows msg (already in the officer's language) as an error.
func (u *UI) showError(msg string) { u.inform(u.T("common.error"), msg) }
