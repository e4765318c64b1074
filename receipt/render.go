package receipt

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
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

// PDF writes a printable A6 (105 x 148 mm) receipt to w: a title, the QR
// code and the readable lines, in a font that covers Latin names with
// diacritics.
func (r *Receipt) PDF(w io.Writer) error {
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
	pdf.AddPage()
	pageW, _ := pdf.GetPageSize()

	pdf.SetFont("go", "B", 13)
	pdf.CellFormat(0, 7, "Registration receipt", "", 1, "C", false, 0, "")
	pdf.SetFont("go", "", 8)
	pdf.CellFormat(0, 4, r.IssuerCountry+" · "+r.Station, "", 1, "C", false, 0, "")

	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	y := pdf.GetY() + 1
	pdf.ImageOptions("qr", (pageW-PDFQRWidth)/2, y, PDFQRWidth, PDFQRWidth, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetY(y + PDFQRWidth + 1)

	for _, l := range r.Lines() {
		pdf.SetFont("go", "", 7.5)
		pdf.CellFormat(28, 4.6, l.Label, "", 0, "L", false, 0, "")
		pdf.SetFont("go", "B", 8.5)
		pdf.MultiCell(0, 4.6, l.Value, "", "L", false)
	}
	pdf.SetFont("go", "", 6.5)
	pdf.SetY(-14)
	pdf.MultiCell(0, 3, "Keep this receipt. Any officer can check it offline by scanning the code. "+
		"It shows only what is printed here.", "", "C", false)
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("receipt: PDF: %w", err)
	}
	return nil
}
