package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// entry is a widget.Entry that reports officer input to the auto-lock timer.
type entry struct {
	widget.Entry
	onInput func()
}

func (u *UI) newEntry(placeholder string) *entry {
	e := &entry{onInput: u.activity}
	e.PlaceHolder = placeholder
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

func (u *UI) newPassword(placeholder string) *entry {
	e := u.newEntry(placeholder)
	e.Password = true
	return e
}

func (u *UI) newMultiLine(placeholder string, rows int) *entry {
	e := &entry{onInput: u.activity}
	e.PlaceHolder = placeholder
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(rows)
	e.ExtendBaseWidget(e)
	return e
}

func (e *entry) input() {
	if e.onInput != nil {
		e.onInput()
	}
}

// TypedRune records activity before the entry handles the rune.
func (e *entry) TypedRune(r rune) { e.input(); e.Entry.TypedRune(r) }

// TypedKey records activity before the entry handles the key.
func (e *entry) TypedKey(k *fyne.KeyEvent) { e.input(); e.Entry.TypedKey(k) }

// TypedShortcut records activity before the entry handles the shortcut.
func (e *entry) TypedShortcut(s fyne.Shortcut) { e.input(); e.Entry.TypedShortcut(s) }

// Tapped records activity before the entry handles the tap.
func (e *entry) Tapped(ev *fyne.PointEvent) { e.input(); e.Entry.Tapped(ev) }

// button is a button whose tap also counts as activity.
func (u *UI) button(label string, icon fyne.Resource, tapped func()) *widget.Button {
	return widget.NewButtonWithIcon(label, icon, func() {
		u.activity()
		tapped()
	})
}

// primary is the main action of a screen.
func (u *UI) primary(label string, icon fyne.Resource, tapped func()) *widget.Button {
	b := u.button(label, icon, tapped)
	b.Importance = widget.HighImportance
	return b
}

func (u *UI) check(label string, changed func(bool)) *widget.Check {
	return widget.NewCheck(label, func(v bool) {
		u.activity()
		if changed != nil {
			changed(v)
		}
	})
}

func (u *UI) selectBox(options []string, changed func(string)) *widget.Select {
	return widget.NewSelect(options, func(v string) {
		u.activity()
		if changed != nil {
			changed(v)
		}
	})
}

func (u *UI) radio(options []string, changed func(string)) *widget.RadioGroup {
	return widget.NewRadioGroup(options, func(v string) {
		u.activity()
		if changed != nil {
			changed(v)
		}
	})
}

// scroll is a vertical scroll area whose scrolling counts as activity.
func (u *UI) scroll(content fyne.CanvasObject) *container.Scroll {
	s := container.NewVScroll(content)
	s.OnScrolled = func(fyne.Position) { u.activity() }
	return s
}

// heading is a screen title.
func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = sizeNameTitle
	l.Wrapping = fyne.TextWrapWord
	return l
}

// para is a wrapping paragraph of plain text.
func para(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// fieldLabel is the caption above an input.
func fieldLabel(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// message is a wrapping label for inline errors (danger), warnings and
// success notes; it hides itself while empty. The zero message shows nothing.
type message struct{ label *widget.Label }

func newMessage(imp widget.Importance) message {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	l.Hide()
	return message{l}
}

// Set shows text, or hides the message when text is empty.
func (m message) Set(text string) {
	if m.label == nil {
		return
	}
	m.label.SetText(text)
	if text == "" {
		m.label.Hide()
	} else {
		m.label.Show()
	}
}

// SetImportance changes the colour of the message.
func (m message) SetImportance(imp widget.Importance) {
	if m.label != nil {
		m.label.Importance = imp
		m.label.Refresh()
	}
}

// Text is what the message shows.
func (m message) Text() string {
	if m.label == nil {
		return ""
	}
	return m.label.Text
}

// Object is the message's widget (an empty spacer for the zero message).
func (m message) Object() fyne.CanvasObject {
	if m.label == nil {
		return layout.NewSpacer()
	}
	return m.label
}

// section is a titled group of fields.
func section(title string, objs ...fyne.CanvasObject) fyne.CanvasObject {
	card := widget.NewCard(title, "", container.NewVBox(objs...))
	return card
}

// labelled is a caption above an input, with its inline error below.
func labelled(caption string, input fyne.CanvasObject, err message) fyne.CanvasObject {
	if err.label == nil {
		return container.NewVBox(fieldLabel(caption), input)
	}
	return container.NewVBox(fieldLabel(caption), input, err.label)
}

// pair puts two inputs side by side.
func pair(a, b fyne.CanvasObject) fyne.CanvasObject {
	return container.NewGridWithColumns(2, a, b)
}

// mono is large monospaced text, for registration IDs, aligned with labels.
func mono(text string, size float32) fyne.CanvasObject {
	t := canvas.NewText(text, theme.Color(theme.ColorNameForeground))
	t.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
	t.TextSize = size
	pad := theme.Size(theme.SizeNameInnerPadding)
	return container.New(layout.NewCustomPaddedLayout(0, 0, pad, 0), t)
}

// toolbar lays out buttons in a row that wraps on narrow windows.
func toolbar(objs ...fyne.CanvasObject) fyne.CanvasObject {
	return container.New(layout.NewRowWrapLayout(), objs...)
}

// centred limits content to a readable width and centres it.
func centred(maxWidth float32, content fyne.CanvasObject) fyne.CanvasObject {
	return container.New(&maxWidthLayout{max: maxWidth}, content)
}

type maxWidthLayout struct{ max float32 }

func (l *maxWidthLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := size.Width
	if w > l.max {
		w = l.max
	}
	for _, o := range objs {
		o.Resize(fyne.NewSize(w, size.Height))
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
	}
}

func (l *maxWidthLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var min fyne.Size
	for _, o := range objs {
		min = min.Max(o.MinSize())
	}
	return min
}

// columns is a scrolling area that shows its sections in two columns when
// the window is wide (a landscape tablet or a laptop) and in one column when
// it is narrow (a portrait tablet). It decides from its own width before
// laying out the scrolled content, so the content's height is always right.
type columns struct {
	widget.BaseWidget
	breakpoint  float32
	left, right []fyne.CanvasObject
	scroll      *container.Scroll
	wide        int // -1 not yet laid out, 0 one column, 1 two columns
}

func (u *UI) newColumns(left, right []fyne.CanvasObject) *columns {
	c := &columns{breakpoint: 1000, left: left, right: right, wide: -1}
	c.scroll = u.scroll(container.NewVBox())
	c.ExtendBaseWidget(c)
	return c
}

// narrowWidth is the width the widest section needs.
func (c *columns) narrowWidth() float32 {
	var w float32
	for _, o := range append(append([]fyne.CanvasObject(nil), c.left...), c.right...) {
		if o.Visible() {
			w = fyne.Max(w, o.MinSize().Width)
		}
	}
	return w
}

func (c *columns) arrange(width float32) {
	wide := 0
	need := 2*c.narrowWidth() + theme.Padding() + theme.Size(theme.SizeNameScrollBar)
	if width >= fyne.Max(c.breakpoint, need) && len(c.right) > 0 {
		wide = 1
	}
	if wide == c.wide {
		return
	}
	c.wide = wide
	if wide == 1 {
		c.scroll.Content = container.NewGridWithColumns(2, container.NewVBox(c.left...), container.NewVBox(c.right...))
	} else {
		c.scroll.Content = container.NewVBox(append(append([]fyne.CanvasObject(nil), c.left...), c.right...)...)
	}
	c.scroll.Refresh()
}

// CreateRenderer is part of fyne.Widget.
func (c *columns) CreateRenderer() fyne.WidgetRenderer { return &columnsRenderer{c} }

type columnsRenderer struct{ c *columns }

func (r *columnsRenderer) Layout(size fyne.Size) {
	r.c.arrange(size.Width)
	r.c.scroll.Resize(size)
}

// MinSize is that of one column, so the window can always narrow to it.
func (r *columnsRenderer) MinSize() fyne.Size {
	return fyne.NewSize(r.c.narrowWidth()+theme.Size(theme.SizeNameScrollBar), r.c.scroll.MinSize().Height)
}
func (r *columnsRenderer) Refresh()                     { r.c.scroll.Refresh() }
func (r *columnsRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.c.scroll} }
func (r *columnsRenderer) Destroy()                     {}

// amber is the colour of warnings that do not block saving.
var amber = color.NRGBA{R: 0xb2, G: 0x6a, B: 0x00, A: 0xff}

// minHeight is an invisible spacer that gives a container a minimum height.
func minHeight(h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(0, h))
	return r
}

// minWidth is an invisible spacer that gives a container a minimum width.
func minWidth(w float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, 0))
	return r
}

// flowLayout lays objects out as words in a paragraph: side by side while
// they fit, on the next line when not, and one wider than the whole width
// (a long phrase in German or Greek) on a line of its own, wrapped within
// it (give such labels fyne.TextWrapWord). Unlike Fyne's row-wrap layout it
// never asks for more width than its narrowest line needs, so a side panel
// does not clip it.
type flowLayout struct {
	min fyne.Size // as of the last layout: the height depends on the width
}

// naturalWidth is how wide o would be on one line: a wrapping label
// reports a small minimum, so its text is measured.
func naturalWidth(o fyne.CanvasObject) float32 {
	if l, ok := o.(*widget.Label); ok && l.Wrapping != fyne.TextWrapOff {
		return fyne.MeasureText(l.Text, theme.TextSize(), l.TextStyle).Width + 2*theme.InnerPadding()
	}
	return o.MinSize().Width
}

func (f *flowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	var x, y, rowH, minW float32
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		w := min(naturalWidth(o), size.Width)
		if x > 0 && x+w > size.Width {
			x, y, rowH = 0, y+rowH+pad, 0
		}
		o.Resize(fyne.NewSize(w, o.MinSize().Height)) // a wrapping label measures its height at its width
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos(x, y))
		x += w + pad
		rowH = max(rowH, h)
		minW = max(minW, o.MinSize().Width)
	}
	f.min = fyne.NewSize(minW, y+rowH)
}

func (f *flowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if !f.min.IsZero() {
		return f.min
	}
	var s fyne.Size
	for _, o := range objs {
		if o.Visible() {
			m := o.MinSize()
			s = fyne.NewSize(max(s.Width, m.Width), s.Height+m.Height)
		}
	}
	return s
}

// rowsLayout is Fyne's row-wrap layout with one change: before its first
// layout it asks for one row, not one row per object. Fyne's layout only
// knows how many rows it needs once it knows its width; until then it asks
// for a column of all its objects, and a parent laid out once (a fresh
// screen, the test driver) keeps that height: ten navigation buttons took
// half of the window and left the records list no room. A layout at no
// width (a container not placed yet) is not a first layout.
type rowsLayout struct {
	wrap fyne.Layout
	laid bool
}

func newRowsLayout() *rowsLayout { return &rowsLayout{wrap: layout.NewRowWrapLayout()} }

func (l *rowsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if size.Width <= 0 {
		return // not placed yet: a layout at no width would ask for a column
	}
	l.laid = true
	l.wrap.Layout(objs, size)
}

func (l *rowsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := l.wrap.MinSize(objs)
	if l.laid {
		return m
	}
	var h float32
	for _, o := range objs {
		if o.Visible() {
			h = max(h, o.MinSize().Height)
		}
	}
	return fyne.NewSize(m.Width, h)
}
