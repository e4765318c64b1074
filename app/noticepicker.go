package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/notice"
)

// noticePicker chooses the language of the information notice. Each
// language is shown with its name in the officer's language and its own
// name, so the person can point at theirs. The own name is a run of
// its own: Fyne lays a line out left to right, and an Arabic-script name
// beside Cyrillic in one label comes out in the wrong order, so names in
// scripts Fyne does not shape are drawn by textimg (shapedText).
type noticePicker struct {
	u           *UI
	placeholder string
	selected    string // ISO 639-3, or ""
	// OnChanged is called after the officer picks a language.
	OnChanged func(lang string)

	face *fyne.Container // what the form shows: the choice, or the placeholder
	tap  *widget.Button  // under the face: opens the list
	box  fyne.CanvasObject
	// open is the list while it is shown, and its rows by language.
	open *dialog.CustomDialog
	rows map[string]*widget.Button
}

func (u *UI) newNoticePicker(placeholder string) *noticePicker {
	p := &noticePicker{u: u, placeholder: placeholder}
	p.face = container.NewHBox()
	p.tap = widget.NewButton("", p.show)
	p.box = container.NewStack(p.tap, container.NewBorder(nil, nil, nil,
		widget.NewIcon(theme.MenuDropDownIcon()), p.face))
	p.refresh()
	return p
}

// Object is the picker's widget tree.
func (p *noticePicker) Object() fyne.CanvasObject { return p.box }

// Value returns the chosen language (ISO 639-3), or "".
func (p *noticePicker) Value() string { return p.selected }

// Set shows lang as the choice ("" for none) without calling OnChanged; a
// language the notice is not written in (from an older record) shows by
// its name alone, or its code.
func (p *noticePicker) Set(lang string) {
	p.selected = lang
	p.refresh()
}

// refresh redraws the face.
func (p *noticePicker) refresh() {
	if p.selected == "" {
		l := widget.NewLabel(p.placeholder)
		l.Importance = widget.LowImportance
		p.face.Objects = []fyne.CanvasObject{l}
	} else {
		p.face.Objects = p.u.noticeLanguageRow(p.selected)
	}
	p.face.Refresh()
}

// show opens the list of the notice's languages over the window.
func (p *noticePicker) show() {
	p.u.activity()
	list := container.NewVBox()
	p.rows = map[string]*widget.Button{}
	for _, l := range notice.Languages() {
		b := widget.NewButton("", func() { p.pick(l) })
		if l == p.selected {
			b.Importance = widget.HighImportance
		}
		p.rows[l] = b
		list.Add(container.NewStack(b, container.NewHBox(p.u.noticeLanguageRow(l)...)))
	}
	p.open = dialog.NewCustom(p.placeholder, p.u.T("common.cancel"), container.NewVScroll(list), p.u.win)
	p.open.SetOnClosed(func() { p.open, p.rows = nil, nil })
	// As tall as the list and the dialog's title and button, scrolling
	// only when the window is lower than that.
	size := p.u.win.Canvas().Size()
	chrome := 3*theme.TextHeadingSize() + theme.TextSize() + 4*theme.InnerPadding() + 8*theme.Padding()
	p.open.Resize(fyne.NewSize(min(size.Width, 560), min(size.Height*0.9, list.MinSize().Height+chrome)))
	p.open.Show()
}

// pick takes lang and closes the list.
func (p *noticePicker) pick(lang string) {
	p.u.activity()
	if p.open != nil {
		p.open.Hide()
	}
	changed := lang != p.selected
	p.Set(lang)
	if changed && p.OnChanged != nil {
		p.OnChanged(lang)
	}
}

// noticeLanguageRow is a notice language as the picker shows it: its name
// in the officer's language, then its own name ("арапски —", "العربية"), the
// second left out where the two are the same (English to an English
// officer).
func (u *UI) noticeLanguageRow(lang string) []fyne.CanvasObject {
	local := u.noticeLanguageName(lang)
	own := notice.Name(lang)
	if own == "" || own == local {
		return []fyne.CanvasObject{widget.NewLabel(local)}
	}
	out := []fyne.CanvasObject{widget.NewLabel(local + " —")}
	if !needsShaping(own) {
		return append(out, widget.NewLabelWithStyle(own, fyne.TextAlignLeading, fyne.TextStyle{Italic: true}))
	}
	return append(out, container.NewCenter(shapedText(own, lang)))
}

// noticeLanguageName is a notice language's name in the officer's language
// (CLDR), or its code when it has none.
func (u *UI) noticeLanguageName(lang string) string {
	if n := u.loc.Languages().Name(lang); n != "" {
		return n
	}
	return lang
}
