package app

import (
	"bytes"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/notice"
	"github.com/fieldreg/fieldreg/receipt"
)

// qrSide is about how wide the receipt's QR code shows on screen, in Fyne
// units; the real size is a whole number of units per module, so every
// module is drawn crisp.
const qrSide = 380

// receiptFor is a saved person a receipt is for; lang is the language of
// the notice they were given (ISO 639-3, may be empty): the receipt's
// lines are then also worded in it.
type receiptFor struct{ id, name, lang string }

// receiptScreen shows the receipts of one or more saved people (a family
// gets one each), one at a time: a large QR code, the lines printed beside
// it, and buttons to save it as PNG or PDF and, where the platform allows,
// to print it. Each receipt is issued (signed, audit-logged) when it is
// first shown.
type receiptScreen struct {
	u       *UI
	section string
	people  []receiptFor
	cur     int
	issued  map[int]*receipt.Receipt
	failed  map[int]error

	root   fyne.CanvasObject
	body   *fyne.Container
	chips  []*widget.Button
	status message
	// extra, if set, shows more about person i beside the receipt (the
	// answer to "registered elsewhere?" after a registration).
	extra func(i int) fyne.CanvasObject
}

// newReceiptScreen builds the screen for people in the shell's section;
// title and intro head it, notes (warnings, may be empty) follow them, and
// actions (what to do next) close it.
func newReceiptScreen(u *UI, section, title, intro string, people []receiptFor, notes string, actions ...fyne.CanvasObject) *receiptScreen {
	r := &receiptScreen{u: u, section: section, people: people, issued: map[int]*receipt.Receipt{}, failed: map[int]error{}}
	r.status = newMessage(widget.SuccessImportance)
	header := container.NewVBox(heading(title))
	if intro != "" {
		header.Add(para(intro))
	}
	if notes != "" {
		m := newMessage(widget.WarningImportance)
		m.Set(notes)
		header.Add(m.Object())
	}
	if len(people) > 1 {
		chips := container.New(layout.NewRowWrapLayout())
		for i, p := range people {
			i := i
			b := u.button(fmt.Sprintf("%d. %s", i+1, p.name), theme.AccountIcon(), func() { r.show(i) })
			r.chips = append(r.chips, b)
			chips.Add(b)
		}
		header.Add(chips)
	}
	r.body = container.NewStack()
	footer := container.NewVBox(widget.NewSeparator(), toolbar(actions...))
	r.root = container.NewBorder(container.NewPadded(header), container.NewPadded(footer), nil, nil, r.body)
	r.show(0)
	return r
}

// show shows the receipt of person i, issuing it first if needed.
func (r *receiptScreen) show(i int) {
	r.u.activity()
	r.cur = i
	for j, b := range r.chips {
		if j == i {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	r.status.Set("")
	if rc, ok := r.issued[i]; ok {
		r.render(rc)
		return
	}
	if err, ok := r.failed[i]; ok {
		r.renderError(err)
		return
	}
	r.setBody(container.NewPadded(container.NewVBox(para(r.u.T("receipt.preparing")), widget.NewProgressBarInfinite())))
	sess := r.u.sess
	id := r.people[i].id
	var rc *receipt.Receipt
	var err error
	r.u.background(func() { rc, err = sess.IssueReceipt(id) }, func() {
		if r.u.sess != sess {
			return
		}
		if err != nil {
			fyne.LogError("issuing a receipt failed", nil)
			r.failed[i] = err
		} else {
			r.issued[i] = rc
		}
		if r.cur == i {
			r.show(i)
		}
	})
}

// markHit marks person i's button when the regional joint database knows
// them from another country.
func (r *receiptScreen) markHit(i int, hit bool) {
	if i >= len(r.chips) {
		return
	}
	text := fmt.Sprintf("%d. %s", i+1, r.people[i].name)
	if hit {
		text += " · " + r.u.T("receipt.hit_elsewhere")
	}
	r.chips[i].SetText(text)
}

func (r *receiptScreen) setBody(obj fyne.CanvasObject) {
	r.body.Objects = []fyne.CanvasObject{obj}
	r.body.Refresh()
}

func (r *receiptScreen) renderError(err error) {
	m := newMessage(widget.DangerImportance)
	m.Set(r.u.Tf("receipt.cannot_make", i18n.Args{"Error": r.u.plainError(err)}))
	p := r.people[r.cur]
	r.setBody(r.u.scroll(container.NewPadded(container.NewVBox(
		widget.NewLabelWithStyle(p.name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		mono(p.id, 34), m.Object()))))
}

// render shows an issued receipt.
func (r *receiptScreen) render(rc *receipt.Receipt) {
	u := r.u
	code := qrImage(rc)
	card := widget.NewCard("", "", container.NewCenter(code))

	g := &detailGrid{grid: container.New(layout.NewFormLayout())}
	for _, l := range rc.Lines() {
		g.row(u.lineLabel(l), l.Value)
	}
	actions := []fyne.CanvasObject{
		u.primary(u.T("receipt.save_png"), theme.FileImageIcon(), r.savePNG),
		u.button(u.T("receipt.save_pdf"), theme.DocumentSaveIcon(), r.savePDF),
	}
	if u.printer != nil {
		actions = append(actions, u.button(u.T("receipt.print"), theme.DocumentPrintIcon(), r.printPDF))
	}
	if len(r.people) > 1 && r.cur+1 < len(r.people) {
		next := r.cur + 1
		actions = append(actions, u.button(u.T("receipt.next"), theme.NavigateNextIcon(), func() { r.show(next) }))
	}
	// The actions come before the lines, so they are in view on a
	// landscape tablet without scrolling.
	lines := container.NewVBox(
		mono(rc.RegistrationID, 34),
		toolbar(actions...),
		r.status.Object(),
	)
	if r.extra != nil {
		lines.Add(r.extra(r.cur))
	}
	lines.Add(dense(g.grid))
	if tr := r.translation(); tr != nil {
		lines.Add(personLines(rc, tr))
	}
	right := widget.NewCard("", "", lines)
	r.setBody(u.newColumns([]fyne.CanvasObject{card}, []fyne.CanvasObject{right}))
}

// lineLabels are the message IDs of the receipt's readable lines, by key.
var lineLabels = map[string]string{
	receipt.LineID: "receipt.line_id", receipt.LineName: "receipt.line_name",
	receipt.LineBirthYear: "receipt.line_birth_year", receipt.LineBirthDate: "receipt.line_birth_date",
	receipt.LineDate: "receipt.line_registered", receipt.LinePlace: "receipt.line_place",
	receipt.LineCountry: "receipt.line_country", receipt.LineDevice: "receipt.line_device",
	receipt.LineIssued: "receipt.line_issued", receipt.LineExpires: "receipt.line_expires",
	receipt.LineCentre: "receipt.line_centre",
}

// lineLabel is the label of a receipt's readable line in the officer's
// language (receipt's English for a line the app does not know yet).
func (u *UI) lineLabel(l receipt.Line) string {
	if id, ok := lineLabels[l.Key]; ok {
		return u.T(id)
	}
	return l.Label
}

// qrImage is the receipt's QR code drawn with a whole number of pixels per
// module and no smoothing, so the code stays sharp for a phone camera.
func qrImage(rc *receipt.Receipt) *canvas.Image {
	modules := rc.Image(1).Bounds().Dx()
	px := qrSide / modules
	if px < 2 {
		px = 2
	}
	img := canvas.NewImageFromImage(rc.Image(px))
	img.ScaleMode = canvas.ImageScalePixels
	img.FillMode = canvas.ImageFillContain
	side := float32(modules * px)
	img.SetMinSize(fyne.NewSize(side, side))
	return img
}

func (r *receiptScreen) current() *receipt.Receipt { return r.issued[r.cur] }

// setCentre prints the reception centre the people were referred to on
// their receipts (screen and PDF), and shows the current one again.
func (r *receiptScreen) setCentre(centre string) {
	for _, rc := range r.issued {
		rc.Centre = centre
	}
	if rc := r.current(); rc != nil {
		r.render(rc)
	}
}

// savePNG saves the QR code as a PNG file named after the registration ID
// only: a file name must never carry the person's name.
func (r *receiptScreen) savePNG() {
	rc := r.current()
	if rc == nil {
		return
	}
	r.u.saveFile(rc.RegistrationID+".png", func(w fyne.URIWriteCloser) {
		r.u.writeFile(w, func() ([]byte, error) { return rc.PNG(0) }, r.saved)
	})
}

// savePDF saves the printable A6 receipt.
func (r *receiptScreen) savePDF() {
	rc := r.current()
	if rc == nil {
		return
	}
	r.u.saveFile(rc.RegistrationID+".pdf", func(w fyne.URIWriteCloser) {
		tr := r.translation()
		r.u.writeFile(w, func() ([]byte, error) { return receiptPDF(rc, tr) }, r.saved)
	})
}

// translation is the receipt's wording in the current person's notice
// language, or nil.
func (r *receiptScreen) translation() *receipt.Translation {
	lang := r.people[r.cur].lang
	if lang == "" {
		return nil
	}
	tr, err := notice.ReceiptTranslation(lang)
	if err != nil {
		return nil
	}
	return tr
}

func receiptPDF(rc *receipt.Receipt, tr *receipt.Translation) ([]byte, error) {
	var buf bytes.Buffer
	if err := rc.PDFIn(&buf, tr); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (r *receiptScreen) saved(name string, err error) {
	if err != nil {
		fyne.LogError("saving a receipt failed", nil)
		r.status.SetImportance(widget.DangerImportance)
		r.status.Set(r.u.Tf("receipt.save_failed", i18n.Args{"Error": r.u.plainError(err)}))
		return
	}
	r.status.SetImportance(widget.SuccessImportance)
	r.status.Set(r.u.Tf("file.saved_as", i18n.Args{"Name": name}))
}

// printPDF sends the PDF receipt to the printer off the UI goroutine.
func (r *receiptScreen) printPDF() {
	rc := r.current()
	printer := r.u.printer
	tr := r.translation()
	if rc == nil || printer == nil {
		return
	}
	r.status.SetImportance(widget.MediumImportance)
	r.status.Set(r.u.T("receipt.printing"))
	var said string
	var err error
	r.u.background(func() {
		var pdf []byte
		if pdf, err = receiptPDF(rc, tr); err == nil {
			said, err = printer(pdf)
		}
	}, func() {
		if err != nil {
			r.status.SetImportance(widget.DangerImportance)
		} else {
			r.status.SetImportance(widget.SuccessImportance)
		}
		r.status.Set(r.u.printResult(said, err))
	})
}
