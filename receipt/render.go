package receipt

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/fieldreg/fieldreg/internal/textimg"
)

// DefaultModulePixels is the pixels per QR module of PNG and Image when the
// caller passes 0: 8 px makes a version 15 code 680 px wide.
const DefaultModulePixels = 8

// Image renders the QR code, black on white with the standard four-module
// quiet zone, px pixels per module (DefaultModulePixels when px <= 0).
func (r *Receipt) Image(px int) image.Image {
	if px <= 0 {
		px = DefaultModulePixels
	}
	return r.qr.Image(-px)
}

// PNG renders the QR code as a PNG image, px pixels per module
// (DefaultModulePixels when px <= 0).
func (r *Receipt) PNG(px int) ([]byte, error) {
	if px <= 0 {
		px = DefaultModulePixels
	}
	// A two-colour palette makes a 1-bit PNG; fast compression of such an
	// image is nearly as small as the best and several times quicker.
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, r.Image(px)); err != nil {
		return nil, fmt.Errorf("receipt: PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// PDFQRWidth is the printed width of the QR code on the PDF receipt, in mm
// (quiet zone included). Receipts stay readable down to 35 mm.
const PDFQRWidth = 64.0

// pdfQRWidthTwoLanguages is the QR code's width on a receipt that also
// speaks the person's language: smaller, to leave room for the second
// label of each line, still far above the 35 mm limit.
const pdfQRWidthTwoLanguages = 50.0

// Translation is the receipt's wording in the person's language, printed
// beside the officer's (notice.ReceiptLabels gives it). Labels are keyed
// by Line.Key; lines without a translation (the device, the dates of
// issue and validity, which are for officers) keep one label.
type Translation struct {
	Lang   string // BCP 47 tag for shaping ("ar", "fa", "ur")
	RTL    bool   // written right to left
	Title  string
	Keep   string // the sentence at the foot: keep this receipt
	Labels map[string]string
}

// PDF writes a printable A6 (105 x 148 mm) receipt to w: a title, the QR
// code and the readable lines, in a font that covers Latin names with
// diacritics.
func (r *Receipt) PDF(w io.Writer) error { return r.PDFIn(w, nil) }

// PDFIn is PDF with the title, the labels and the foot note also in the
// person's language (tr; nil for the officer's only). The person's wording
// is shaped and ordered by internal/textimg and drawn as glyph outlines, so
// Arabic script prints joined and right to left at any size.
func (r *Receipt) PDFIn(w io.Writer, tr *Translation) error {
	png, err := r.PNG(8)
	if err != nil {
		return err
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A6"})
	pdf.SetMargins(8, 8, 8)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetTitle("Registration receipt "+r.RegistrationID, true)
	pdf.SetCreator("fieldreg", true)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetFillColor(0, 0, 0)
	pdf.AddPage()
	pageW, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	textW := pageW - left - right

	// person draws text in the person's language, width mm wide, its top at
	// (x, y); it returns the height drawn in mm.
	person := func(text string, size float64, bold, center bool, x, y, width float64) (float64, error) {
		lay, err := textimg.Lay([]textimg.Paragraph{{Text: text, Size: size, Bold: bold}},
			textimg.Options{Lang: tr.Lang, RTL: tr.RTL, Width: width / 25.4 * 72, Center: center})
		if err != nil {
			return 0, fmt.Errorf("receipt: PDF: %w", err)
		}
		lay.DrawPDF(pdf, x, y)
		return lay.Height * 25.4 / 72, nil
	}

	qrW := PDFQRWidth
	pdf.SetFont("go", "B", 13)
	pdf.CellFormat(0, 7, "Registration receipt", "", 1, "C", false, 0, "")
	if tr != nil {
		qrW = pdfQRWidthTwoLanguages
		h, err := person(tr.Title, 11, true, true, left, pdf.GetY(), textW)
		if err != nil {
			return err
		}
		pdf.SetY(pdf.GetY() + h)
	}
	pdf.SetFont("go", "", 8)
	pdf.CellFormat(0, 4, r.IssuerCountry+" · "+r.Station, "", 1, "C", false, 0, "")

	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	y := pdf.GetY() + 1
	pdf.ImageOptions("qr", (pageW-qrW)/2, y, qrW, qrW, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetY(y + qrW + 1)

	const labelW = 30.0
	for _, l := range r.Lines() {
		y := pdf.GetY()
		pdf.SetFont("go", "", 7.5)
		pdf.CellFormat(labelW, 4.2, l.Label, "", 0, "L", false, 0, "")
		pdf.SetFont("go", "B", 8.5)
		pdf.MultiCell(0, 4.2, l.Value, "", "L", false)
		if t := tr.label(l.Key); t != "" {
			h, err := person(t, 7, false, false, left, y+3.8, labelW-1)
			if err != nil {
				return err
			}
			pdf.SetY(max(pdf.GetY(), y+3.8+h))
		}
	}
	const keep = "Keep this receipt. Any officer can check it offline by scanning the code. " +
		"It shows only what is printed here."
	pdf.SetFont("go", "", 6.5)
	if tr == nil {
		pdf.SetY(-14)
		pdf.MultiCell(0, 3, keep, "", "C", false)
	} else {
		pdf.SetY(max(pdf.GetY()+1, 148-18))
		pdf.MultiCell(0, 3, keep, "", "C", false)
		if _, err := person(tr.Keep, 7, false, true, left, pdf.GetY(), textW); err != nil {
			return err
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("receipt: PDF: %w", err)
	}
	return nil
}

// label is the person's label for the line key, or "".
func (tr *Translation) label(key string) string {
	if tr == nil {
		return ""
	}
	return tr.Labels[key]
}
