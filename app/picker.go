package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/assets"
)

// maxMatches is how many matches a picker offers below its entry.
const maxMatches = 6

// codePicker is a type-to-filter picker over a code table (countries or
// languages): the officer types part of a name or code, the matches appear
// below as big buttons, Enter takes the first. Chosen codes show as chips
// with a remove button. With multi false it holds at most one code.
type codePicker struct {
	u        *UI
	table    *assets.Table
	multi    bool
	selected []string
	// OnChanged is called after the selection changes.
	OnChanged func()

	entry   *entry
	matches *fyne.Container
	chips   *fyne.Container
	box     *fyne.Container
}

func (u *UI) newCodePicker(table *assets.Table, multi bool, placeholder string) *codePicker {
	p := &codePicker{u: u, table: table, multi: multi}
	p.entry = u.newEntry(placeholder)
	p.entry.OnChanged = func(string) { p.filter() }
	p.entry.OnSubmitted = func(string) { p.pickFirst() }
	p.matches = container.NewVBox()
	p.chips = container.New(layout.NewRowWrapLayout())
	p.box = container.NewVBox(p.chips, p.entry, p.matches)
	p.chips.Hide()
	return p
}

// Object is the picker's widget tree.
func (p *codePicker) Object() fyne.CanvasObject { return p.box }

// Selected returns the chosen codes in the order chosen.
func (p *codePicker) Selected() []string { return append([]string(nil), p.selected...) }

// Value returns the chosen code of a single picker, or "".
func (p *codePicker) Value() string {
	if len(p.selected) == 0 {
		return ""
	}
	return p.selected[0]
}

// Set replaces the selection (unknown codes are kept: they came from a record).
func (p *codePicker) Set(codes ...string) {
	p.selected = nil
	for _, c := range codes {
		if c != "" {
			p.selected = append(p.selected, c)
		}
	}
	if !p.multi && len(p.selected) > 1 {
		p.selected = p.selected[:1]
	}
	p.showChips()
}

// filter shows the entries matching what was typed.
func (p *codePicker) filter() {
	p.matches.RemoveAll()
	q := p.entry.Text
	if q == "" {
		return
	}
	found := p.table.Filter(q)
	for i, c := range found {
		if i == maxMatches {
			break
		}
		code := c.Code
		b := p.u.button(c.Label(), theme.ContentAddIcon(), func() { p.pick(code) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		p.matches.Add(b)
	}
	if len(found) == 0 {
		p.matches.Add(widget.NewLabel(p.u.T("picker.no_match")))
	}
}

func (p *codePicker) pickFirst() {
	if found := p.table.Filter(p.entry.Text); p.entry.Text != "" && len(found) > 0 {
		p.pick(found[0].Code)
	}
}

func (p *codePicker) pick(code string) {
	if p.multi {
		for _, c := range p.selected {
			if c == code {
				p.clearEntry()
				return
			}
		}
		p.selected = append(p.selected, code)
	} else {
		p.selected = []string{code}
	}
	p.clearEntry()
	p.showChips()
	if p.OnChanged != nil {
		p.OnChanged()
	}
}

func (p *codePicker) remove(code string) {
	out := p.selected[:0]
	for _, c := range p.selected {
		if c != code {
			out = append(out, c)
		}
	}
	p.selected = out
	p.showChips()
	if p.OnChanged != nil {
		p.OnChanged()
	}
}

func (p *codePicker) clearEntry() {
	p.entry.SetText("")
	p.matches.RemoveAll()
}

func (p *codePicker) showChips() {
	p.chips.RemoveAll()
	for _, c := range p.selected {
		code := c
		text := code
		if n := p.table.Name(code); n != "" {
			text = code + " – " + n
		}
		chip := p.u.button(text, theme.CancelIcon(), func() { p.remove(code) })
		chip.IconPlacement = widget.ButtonIconTrailingText
		chip.Importance = widget.MediumImportance
		p.chips.Add(chip)
	}
	if len(p.selected) == 0 {
		p.chips.Hide()
	} else {
		p.chips.Show()
	}
	if !p.multi && len(p.selected) == 1 {
		p.entry.SetPlaceHolder(p.u.T("picker.type_to_change"))
	}
	p.chips.Refresh()
}
