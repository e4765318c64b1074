package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/stats/chart"
)

const (
	maxPeriodDays = 2 * 366
	topN          = 10
)

var errQuery = errors.New("bad filter")

// parseQuery reads the filter of a request. Missing values take the
// defaults: the last twelve weeks up to today, by week, every station and
// category.
func (s *Server) parseQuery(v url.Values) (stats.Query, error) {
	today := s.cfg.Now().UTC().Truncate(24 * time.Hour)
	// Monday of the week eleven weeks before this one.
	wd := (int(today.Weekday()) + 6) % 7
	q := stats.Query{From: today.AddDate(0, 0, -wd-7*11), To: today, By: stats.ByWeek, Top: topN}
	var err error
	if f := v.Get("from"); f != "" {
		if q.From, err = stats.ParseDay(f); err != nil {
			return q, fmt.Errorf("%w: from: %w", errQuery, err)
		}
	}
	if t := v.Get("to"); t != "" {
		if q.To, err = stats.ParseDay(t); err != nil {
			return q, fmt.Errorf("%w: to: %w", errQuery, err)
		}
	}
	if q.By, err = stats.ParseUnit(v.Get("by")); err != nil {
		return q, fmt.Errorf("%w: %w", errQuery, err)
	}
	if err := q.Check(); err != nil {
		return q, fmt.Errorf("%w: %w", errQuery, err)
	}
	if q.To.Sub(q.From) > maxPeriodDays*24*time.Hour {
		return q, fmt.Errorf("%w: a period is at most two years here", errQuery)
	}
	if q.By == stats.ByDay && q.To.Sub(q.From) >= chart.MaxBars*24*time.Hour {
		return q, fmt.Errorf("%w: by day, a period is at most %d days", errQuery, chart.MaxBars)
	}
	q.Station = v.Get("station")
	if len(q.Station) > 64 {
		return q, fmt.Errorf("%w: station code too long", errQuery)
	}
	if c := v.Get("category"); c != "" {
		if !slices.Contains(registry.Categories, c) {
			return q, fmt.Errorf("%w: unknown category", errQuery)
		}
		q.Category = c
	}
	return q, nil
}

func values(q stats.Query) url.Values {
	v := url.Values{"from": {q.FromDay()}, "to": {q.ToDay()}, "by": {string(q.By)}}
	if q.Station != "" {
		v.Set("station", q.Station)
	}
	if q.Category != "" {
		v.Set("category", q.Category)
	}
	return v
}

// figures answers the request's query, suppressed, or writes the error.
func (s *Server) figures(w http.ResponseWriter, r *http.Request) (stats.Query, *stats.Figures, bool) {
	q, err := s.parseQuery(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return q, nil, false
	}
	f, err := s.cfg.Source(r.Context(), q)
	if err != nil {
		s.cfg.Logger.Error("dashboard figures", "err", err)
		http.Error(w, "the figures cannot be computed now; try again", http.StatusServiceUnavailable)
		return q, nil, false
	}
	f.Suppress()
	return q, f, true
}

// row is one line of a table: a code, its count, its share of the total.
type row struct {
	Code, Count, Share string
}

// centreRow is one week of a reception centre (the centre named on its
// first week only).
type centreRow struct {
	Centre, Week, Residents, Free, Arrivals, Departures string
}

// centreRows lays out the accommodation figures for the page.
func centreRows(cs []stats.Centre) []centreRow {
	var out []centreRow
	for _, c := range cs {
		name := c.Code
		if c.Name != "" {
			name = c.Name + " (" + c.Code + ")"
		}
		name += ", " + strconv.Itoa(c.Capacity) + " beds"
		for i, w := range c.Weeks {
			r := centreRow{Week: w.Week, Residents: w.Residents.String(), Free: w.Free.String(), Arrivals: w.Arrivals.String(), Departures: w.Departures.String()}
			if i == 0 {
				r.Centre = name
			}
			out = append(out, r)
		}
	}
	return out
}

type table struct {
	Title string
	Rows  []row
}

type pageView struct {
	Country, Account, Period, Query, Generated string
	From, To, By, Station, Category            string
	Total, Earlier, Change                     string
	Protection, Unaccompanied                  string
	Suppressed                                 string
	Within72h, Hits                            string
	Centres                                    []centreRow
	Stations, Categories                       []string
	Tables                                     []table
	Charts                                     []string
}

func share(c, total stats.Count) string {
	if c.Hidden() || total.Hidden() || total == 0 {
		return ""
	}
	return strconv.FormatFloat(100*float64(c)/float64(total), 'f', 1, 64) + " %"
}

func tableOf(title string, cs stats.Counts, order []string, total stats.Count) table {
	if order == nil {
		order = cs.Sorted()
	}
	t := table{Title: title}
	for _, k := range order {
		c, ok := cs[k]
		if !ok {
			continue
		}
		t.Rows = append(t.Rows, row{Code: k, Count: c.String(), Share: share(c, total)})
	}
	return t
}

// sum adds up counts, or says "x" when one is hidden.
func sum(cs stats.Counts) string {
	var n stats.Count
	for _, c := range cs {
		if c.Hidden() {
			return "x"
		}
		n += c
	}
	return n.String()
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, ses session) {
	q, f, ok := s.figures(w, r)
	if !ok {
		return
	}
	v := pageView{Country: s.cfg.Country, Account: ses.name, Period: chart.PeriodText(f), Query: values(q).Encode(),
		From: f.From, To: f.To, By: string(f.By), Station: f.Station, Category: f.Category,
		Generated: s.cfg.Now().UTC().Format("2006-01-02 15:04 UTC"), Categories: registry.Categories,
		Total: f.Total.String(), Earlier: f.YearEarlier.Total.String(), Protection: f.ByCategory[registry.CategoryProtection].String(),
		Unaccompanied: sum(f.UnaccompaniedChildren), Suppressed: f.Method,
		Within72h: "not known", Hits: f.ElsewhereHits.String(), Centres: centreRows(f.Accommodation)}
	if r := f.Transmission.Rate; r != nil {
		v.Within72h = strconv.FormatFloat(*r, 'f', 1, 64) + " %"
	}
	if f.YearEarlier.Change != nil {
		v.Change = strconv.FormatFloat(*f.YearEarlier.Change, 'f', 1, 64) + " %"
		if *f.YearEarlier.Change > 0 {
			v.Change = "+" + v.Change
		}
	}
	for st := range f.ByStation {
		v.Stations = append(v.Stations, st)
	}
	if q.Station != "" && !slices.Contains(v.Stations, q.Station) {
		v.Stations = append(v.Stations, q.Station)
	}
	slices.Sort(v.Stations)
	v.Tables = []table{
		tableOf("Nationality", f.ByNationality, nil, f.Total),
		tableOf("Sex", f.BySex, []string{"F", "M", "X", "U"}, f.Total),
		tableOf("Age group", f.ByAgeGroup, stats.AgeGroups, f.Total),
		tableOf("Category", f.ByCategory, registry.Categories, f.Total),
		tableOf("Station or crossing", f.ByStation, nil, f.Total),
		tableOf("Unaccompanied children, by sex", f.UnaccompaniedChildren, []string{"F", "M", "X", "U"}, 0),
		tableOf("Separated children, by sex", f.SeparatedChildren, []string{"F", "M", "X", "U"}, 0),
	}
	v.Charts = chartNames
	s.render(w, http.StatusOK, "page.html", v)
}

// chartNames are the dashboard's charts, by file name.
var chartNames = []string{"series.png", "nationalities.png", "pyramid.png", "stations.png"}

// drawChart draws one of chartNames.
func drawChart(name string, f *stats.Figures) ([]byte, error) {
	o := chart.Options{Format: chart.PNG}
	switch name {
	case "series.png":
		return chart.SeriesOf(f).Draw(o)
	case "nationalities.png":
		return chart.NationalitiesOf(f).Draw(o)
	case "stations.png":
		return chart.StationsOf(f).Draw(o)
	case "pyramid.png":
		return chart.AgeSexOf(f).Draw(o)
	}
	return nil, errNoChart
}

var errNoChart = errors.New("no such chart")

func (s *Server) chart(w http.ResponseWriter, r *http.Request, _ session) {
	name := r.PathValue("name")
	if !slices.Contains(chartNames, name) {
		http.NotFound(w, r)
		return
	}
	_, f, ok := s.figures(w, r)
	if !ok {
		return
	}
	b, err := drawChart(name, f)
	if err != nil {
		s.cfg.Logger.Error("dashboard chart", "chart", name, "err", err)
		http.Error(w, "the chart cannot be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(b)
}

// csv writes the figures as stats.WriteCSV does (reghub stats --format csv).
func (s *Server) csv(w http.ResponseWriter, r *http.Request, _ session) {
	q, f, ok := s.figures(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="figures-%s-%s.csv"`, q.FromDay(), q.ToDay()))
	if err := f.WriteCSV(w); err != nil {
		s.cfg.Logger.Error("dashboard CSV", "err", err)
	}
}

// json writes the figures as reghub stats --format json does.
func (s *Server) json(w http.ResponseWriter, r *http.Request, _ session) {
	_, f, ok := s.figures(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(f)
}

var funcs = template.FuncMap{
	"selected": func(a, b string) bool { return a == b },
}
