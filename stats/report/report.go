// Package report writes the weekly statistics report a hub sends to the
// ministry (reghub report): an A4 PDF with the headline figures, the
// charts of stats/chart, the tables of each breakdown, the period and the
// time it was made. It holds counts only, never a person's data; the
// figures given to it are suppressed ("<5") first, since the report
// leaves the hub.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/stats/chart"
)

// Info is what the report says about itself.
type Info struct {
	Country   string    // the hub's country (or region) code
	Generated time.Time // when it was made
}

// Page geometry, in mm (A4 portrait).
const (
	margin     = 15.0
	pageWidth  = 210.0
	textWidth  = pageWidth - 2*margin
	chartRatio = float64(chart.DefaultHeight) / float64(chart.DefaultWidth)
)

// Write writes the report of f (suppressed here if it is not yet) to w.
func Write(w io.Writer, f *stats.Figures, info Info) error {
	if f == nil {
		return errors.New("report: no figures")
	}
	f.Suppress()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	title := fmt.Sprintf("Registrations in %s, %s to %s", info.Country, f.From, f.To)
	pdf.SetTitle(title, true)
	pdf.SetCreator("fieldreg reghub report", true)
	pdf.SetCreationDate(info.Generated)
	pdf.SetModificationDate(info.Generated)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	gen := info.Generated.UTC().Format("2006-01-02 15:04 UTC")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-10)
		pdf.SetFont("go", "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 4, fmt.Sprintf("%s · generated %s · page %d", title, gen, pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})

	pdf.AddPage()
	pdf.SetFont("go", "B", 18)
	pdf.MultiCell(0, 8, title, "", "L", false)
	pdf.SetFont("go", "", 10)
	period := "Period: " + chart.PeriodText(f) + ". Series by " + string(f.By) + "."
	pdf.MultiCell(0, 5, period+" Generated "+gen+" by the national hub.", "", "L", false)
	pdf.Ln(3)
	headline(pdf, f)
	pdf.Ln(3)

	charts := []struct {
		name string
		draw func(chart.Options) ([]byte, error)
	}{
		{"series", chart.SeriesOf(f).Draw},
		{"nationalities", chart.NationalitiesOf(f).Draw},
		{"pyramid", chart.AgeSexOf(f).Draw},
		{"stations", chart.StationsOf(f).Draw},
	}
	for _, c := range charts {
		b, err := c.draw(chart.Options{Format: chart.PNG})
		if err != nil {
			return fmt.Errorf("report: %s chart: %w", c.name, err)
		}
		const w = 165.0
		h := w * chartRatio
		if pdf.GetY()+h > 297-margin-5 {
			pdf.AddPage()
		}
		opt := fpdf.ImageOptions{ImageType: "PNG"}
		pdf.RegisterImageOptionsReader(c.name, opt, bytes.NewReader(b))
		pdf.ImageOptions(c.name, (pageWidth-w)/2, pdf.GetY(), w, h, false, opt, 0, "")
		pdf.SetY(pdf.GetY() + h + 3)
	}

	if pdf.GetY() > 297-margin-70 {
		pdf.AddPage()
	}
	pdf.SetFont("go", "B", 14)
	pdf.CellFormat(0, 8, "Tables", "", 1, "L", false, 0, "")
	tables(pdf, f)
	accommodation(pdf, f)
	pdf.Ln(4)
	pdf.SetFont("go", "", 8.5)
	pdf.MultiCell(0, 4.2, "Counts only: this report holds no person's data. Small counts: "+f.Method+
		". Age groups from the date of birth and its precision on the day of registration; nationality: the first one recorded.", "", "L", false)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return pdf.Output(w)
}

// headline is the box of the figures a minister reads first.
func headline(pdf *fpdf.Fpdf, f *stats.Figures) {
	change := ""
	if f.YearEarlier.Change != nil {
		change = fmt.Sprintf(" (%+.1f %%)", *f.YearEarlier.Change)
	}
	rate := "not known"
	if f.Transmission.Rate != nil {
		rate = strconv.FormatFloat(*f.Transmission.Rate, 'f', 1, 64) + " %"
	}
	rows := [][2]string{
		{"People registered", f.Total.String()},
		{"The same period a year earlier", f.YearEarlier.Total.String() + change},
		{"Applicants for international protection", f.ByCategory[registry.CategoryProtection].String()},
		{"Unaccompanied children (F / M)", f.UnaccompaniedChildren["F"].String() + " / " + f.UnaccompaniedChildren["M"].String()},
		{"Separated children (F / M)", f.SeparatedChildren["F"].String() + " / " + f.SeparatedChildren["M"].String()},
		{"Families and groups (people in them)", f.Groups.Groups.String() + " (" + f.Groups.People.String() + ")"},
		{"Possible duplicates decided (confirmed)", f.Duplicates.Found.String() + " (" + f.Duplicates.Confirmed.String() + ")"},
		{"Registered in another country (hits)", f.ElsewhereHits.String()},
		{"Reached the hub within 72 hours of the encounter", rate},
	}
	pdf.SetFillColor(238, 242, 251)
	for i, r := range rows {
		pdf.SetFont("go", "", 10.5)
		pdf.CellFormat(textWidth*0.68, 6.5, r[0], "", 0, "L", i%2 == 0, 0, "")
		pdf.SetFont("go", "B", 10.5)
		pdf.CellFormat(textWidth*0.32, 6.5, r[1], "", 1, "R", i%2 == 0, 0, "")
	}
}

// tables prints each breakdown with its share of the total, two columns a
// row of the page.
func tables(pdf *fpdf.Fpdf, f *stats.Figures) {
	sexes := []string{"F", "M", "X", "U"}
	ts := []struct {
		title string
		cs    stats.Counts
		order []string
	}{
		{"Nationality", f.ByNationality, nil},
		{"Category", f.ByCategory, registry.Categories},
		{"Age group", f.ByAgeGroup, stats.AgeGroups},
		{"Sex", f.BySex, sexes},
		{"Station or crossing", f.ByStation, nil},
		{"Vulnerability", f.ByVulnerability, registry.Vulnerabilities},
	}
	colW := (textWidth - 8) / 2
	for i := 0; i < len(ts); i += 2 {
		top := pdf.GetY()
		if top > 297-margin-60 {
			pdf.AddPage()
			top = pdf.GetY()
		}
		bottom := top
		for j := 0; j < 2 && i+j < len(ts); j++ {
			t := ts[i+j]
			x := margin + float64(j)*(colW+8)
			pdf.SetXY(x, top)
			pdf.SetFont("go", "B", 10.5)
			pdf.CellFormat(colW, 6, t.title, "B", 1, "L", false, 0, "")
			order := t.order
			if order == nil {
				order = t.cs.Sorted()
			}
			pdf.SetFont("go", "", 9.5)
			for _, k := range order {
				c, ok := t.cs[k]
				if !ok {
					continue
				}
				pdf.SetX(x)
				pdf.CellFormat(colW*0.55, 5, k, "", 0, "L", false, 0, "")
				pdf.CellFormat(colW*0.2, 5, c.String(), "", 0, "R", false, 0, "")
				pdf.CellFormat(colW*0.25, 5, share(c, f.Total), "", 1, "R", false, 0, "")
			}
			bottom = max(bottom, pdf.GetY())
		}
		pdf.SetY(bottom + 4)
	}
}

// accommodation prints, per reception centre, its beds and its weekly
// residents, free places, arrivals and departures.
func accommodation(pdf *fpdf.Fpdf, f *stats.Figures) {
	if len(f.Accommodation) == 0 {
		return
	}
	if pdf.GetY() > 297-margin-50 {
		pdf.AddPage()
	}
	pdf.SetFont("go", "B", 14)
	pdf.CellFormat(0, 8, "Reception centres", "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", 8.5)
	pdf.MultiCell(0, 4.2, "Per ISO week: residents (absent ones included) and free places at the end of the week "+
		"(beds of the current centres list less residents), arrivals and departures during it.", "", "L", false)
	pdf.Ln(1)
	cols := []struct {
		title string
		w     float64
		align string
	}{{"Centre", 0.34, "L"}, {"Week", 0.16, "L"}, {"Residents", 0.125, "R"}, {"Free places", 0.125, "R"}, {"Arrivals", 0.125, "R"}, {"Departures", 0.125, "R"}}
	header := func() {
		pdf.SetFont("go", "B", 9.5)
		for i, c := range cols {
			ln := 0
			if i == len(cols)-1 {
				ln = 1
			}
			pdf.CellFormat(textWidth*c.w, 6, c.title, "B", ln, c.align, false, 0, "")
		}
		pdf.SetFont("go", "", 9.5)
	}
	header()
	for _, c := range f.Accommodation {
		name := c.Code
		if c.Name != "" {
			name = c.Name + " (" + c.Code + ")"
		}
		name += fmt.Sprintf(", %d beds", c.Capacity)
		for i, w := range c.Weeks {
			if pdf.GetY() > 297-margin-12 {
				pdf.AddPage()
				header()
			}
			if i > 0 {
				name = ""
			}
			for j, v := range []string{name, w.Week, w.Residents.String(), w.Free.String(), w.Arrivals.String(), w.Departures.String()} {
				ln := 0
				if j == len(cols)-1 {
					ln = 1
				}
				pdf.CellFormat(textWidth*cols[j].w, 5, v, "", ln, cols[j].align, false, 0, "")
			}
		}
	}
}

func share(c, total stats.Count) string {
	if c.Hidden() || total.Hidden() || total <= 0 {
		return ""
	}
	return strconv.FormatFloat(100*float64(c)/float64(total), 'f', 1, 64) + " %"
}
