package notice

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"

	"codeberg.org/go-pdf/fpdf"

	"github.com/fieldreg/fieldreg/internal/textimg"
)

// A4 page and margins, in points.
const (
	a4Width  = 210 / 25.4 * 72
	a4Height = 297 / 25.4 * 72
	margin   = 18 / 25.4 * 72
)

// Type sizes, in points: large enough to read tired, on paper or a tablet.
const (
	titleSize   = 17
	headingSize = 12.5
	bodySize    = 11
)

// bcp47 maps the notice's ISO 639-3 codes to the tags the fonts' language
// systems know.
var bcp47 = map[string]string{"eng": "en", "fra": "fr", "spa": "es", "tur": "tr", "ara": "ar", "fas": "fa",
	"prs": "fa-AF", "pus": "ps", "urd": "ur", "ben": "bn", "ckb": "ckb", "tir": "ti"}

// Paragraphs returns the notice as paragraphs for textimg.
func (n *Notice) Paragraphs() []textimg.Paragraph {
	ps := []textimg.Paragraph{
		{Text: n.Title, Size: titleSize, Bold: true},
		{Text: n.Intro, Size: bodySize, SpaceBefore: 6},
	}
	for _, s := range n.Sections {
		ps = append(ps, textimg.Paragraph{Text: s.Heading, Size: headingSize, Bold: true, SpaceBefore: 9})
		for _, b := range s.Body {
			ps = append(ps, textimg.Paragraph{Text: b, Size: bodySize, SpaceBefore: 2})
		}
	}
	return append(ps, textimg.Paragraph{Text: n.Footer, Size: bodySize - 1, SpaceBefore: 12})
}

// Layout lays the notice out in a column width points wide.
func (n *Notice) Layout(width float64) (*textimg.Layout, error) {
	lay, err := textimg.Lay(n.Paragraphs(), textimg.Options{Lang: bcp47[n.Lang], RTL: RTL(n.Lang), Width: width})
	if err != nil {
		return nil, fmt.Errorf("notice: %w", err)
	}
	return lay, nil
}

// Pages lays the notice out on A4 pages.
func (n *Notice) Pages() ([]*textimg.Layout, error) {
	lay, err := n.Layout(a4Width - 2*margin)
	if err != nil {
		return nil, err
	}
	return lay.Pages(a4Height - 2*margin), nil
}

// PageImage renders A4 page i (from 0) of the notice at dpi pixels per
// inch, black on white.
func (n *Notice) PageImage(i int, dpi float64) (image.Image, error) {
	pages, err := n.Pages()
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(pages) {
		return nil, fmt.Errorf("notice: no page %d (the notice has %d)", i+1, len(pages))
	}
	p := pages[i]
	p.Height = a4Height - 2*margin
	return p.Image(dpi, margin), nil
}

// PNG writes the first A4 page of the notice to w as a PNG image at dpi
// pixels per inch.
func (n *Notice) PNG(w io.Writer, dpi float64) error {
	img, err := n.PageImage(0, dpi)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("notice: PNG: %w", err)
	}
	return nil
}

// PDF writes the notice to w as an A4 PDF, its text drawn as glyph
// outlines (sharp at any size, shaped and ordered as on screen).
func (n *Notice) PDF(w io.Writer) error {
	pages, err := n.Pages()
	if err != nil {
		return err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Information notice ("+n.Lang+", version "+n.Version+")", true)
	pdf.SetCreator("fieldreg", true)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetFillColor(0, 0, 0)
	m := margin * 25.4 / 72
	for _, p := range pages {
		pdf.AddPage()
		p.DrawPDF(pdf, m, m)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("notice: PDF: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
