package stats

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
)

// WriteCSV writes the figures as CSV, one count a line under the header
// "figure,code,value": the figure's JSON name, the code within it (empty
// for a single number; the period for a series; CENTRE/WEEK for the
// accommodation figures) and the count as
// published (a number, "<5" or "x"). Percentages are written with one
// decimal; an unknown one is empty.
func (f *Figures) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	row := func(fig, code, v string) { _ = cw.Write([]string{fig, code, v}) }
	row("figure", "code", "value")
	row("from", "", f.From)
	row("to", "", f.To)
	row("by", "", string(f.By))
	if f.Station != "" {
		row("station", "", f.Station)
	}
	if f.Category != "" {
		row("category", "", f.Category)
	}
	row("total", "", f.Total.String())
	for _, m := range []struct {
		name string
		cs   Counts
	}{
		{"by_nationality", f.ByNationality}, {"by_sex", f.BySex}, {"by_age_group", f.ByAgeGroup}, {"by_age_and_sex", f.ByAgeAndSex},
		{"by_category", f.ByCategory}, {"by_station", f.ByStation},
		{"unaccompanied_children", f.UnaccompaniedChildren}, {"separated_children", f.SeparatedChildren},
		{"by_vulnerability", f.ByVulnerability},
	} {
		for _, k := range m.cs.Sorted() {
			row(m.name, k, m.cs[k].String())
		}
	}
	for _, p := range f.Series {
		row("series", p.Period, p.Total.String())
	}
	row("groups.groups", "", f.Groups.Groups.String())
	row("groups.people", "", f.Groups.People.String())
	row("duplicates.found", "", f.Duplicates.Found.String())
	row("duplicates.confirmed", "", f.Duplicates.Confirmed.String())
	row("registered_elsewhere_hits", "", f.ElsewhereHits.String())
	row("transmission.registrations", "", f.Transmission.Known.String())
	row("transmission.within_72h", "", f.Transmission.OnTime.String())
	row("transmission.late", "", f.Transmission.Late.String())
	row("transmission.within_72h_percent", "", percent(f.Transmission.Rate))
	for _, c := range f.Accommodation {
		row("accommodation.capacity", c.Code, strconv.Itoa(c.Capacity))
		for _, w := range c.Weeks {
			code := c.Code + "/" + w.Week
			row("accommodation.residents", code, w.Residents.String())
			row("accommodation.free_places", code, w.Free.String())
			row("accommodation.arrivals", code, w.Arrivals.String())
			row("accommodation.departures", code, w.Departures.String())
		}
	}
	row("year_earlier.from", "", f.YearEarlier.From)
	row("year_earlier.to", "", f.YearEarlier.To)
	row("year_earlier.total", "", f.YearEarlier.Total.String())
	for _, p := range f.YearEarlier.Series {
		row("year_earlier.series", p.Period, p.Total.String())
	}
	row("year_earlier.change_percent", "", percent(f.YearEarlier.Change))
	row("suppressed", "", strconv.FormatBool(f.Suppressed))
	if f.Method != "" {
		row("suppression_method", "", f.Method)
	}
	cw.Flush()
	return cw.Error()
}

func percent(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 1, 64)
}

// WriteJSON writes the figures as one indented JSON object, with "<5"
// written as it reads (not escaped for HTML).
func (f *Figures) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// WriteJSON writes the region's figures as one indented JSON object.
func (r *Region) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteCSV writes the region's figures one count a line under the header
// "figure,country,code,value": country totals, categories and series
// periods, then movements (country: the first country, code: the later).
func (r *Region) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	row := func(fig, country, code, v string) { _ = cw.Write([]string{fig, country, code, v}) }
	row("figure", "country", "code", "value")
	row("from", "", "", r.From)
	row("to", "", "", r.To)
	row("by", "", "", string(r.By))
	row("total", "", "", r.Total.String())
	for _, c := range r.Countries {
		row("total", c.Country, "", c.Total.String())
		for _, k := range c.ByCategory.Sorted() {
			row("by_category", c.Country, k, c.ByCategory[k].String())
		}
		for _, p := range c.Series {
			row("series", c.Country, p.Period, p.Total.String())
		}
	}
	for _, m := range r.Movements {
		row("movement", m.From, m.To, m.People.String())
	}
	row("suppressed", "", "", strconv.FormatBool(r.Suppressed))
	if r.Method != "" {
		row("suppression_method", "", "", r.Method)
	}
	cw.Flush()
	return cw.Error()
}
