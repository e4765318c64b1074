package dashboard

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/fieldreg/fieldreg/stats/chart"
)

// The categories an analyst can filter by (as in register --json).
var categories = []string{"international_protection", "irregular_crossing", "illegal_stay", "search_and_rescue", "temporary_protection"}

// ageGroups in the order of the pyramid, youngest first.
var ageGroups = []string{"0-4", "5-11", "12-17", "18-34", "35-59", "60+", "unknown"}

const (
	day       = "2006-01-02"
	maxPeriod = 2 * 366 * 24 * time.Hour
	topN      = 10
)

var errQuery = errors.New("bad filter")

// parseQuery reads the filter of a request. Missing values take the
// defaults: the last twelve weeks up to today, by week, every station and
// category.
func (s *Server) parseQuery(v url.Values) (Query, error) {
	today := s.cfg.Now().UTC().Truncate(24 * time.Hour)
	q := Query{To: today, By: "week"}
	// Monday of the week eleven weeks before this one.
	wd := (int(today.Weekday()) + 6) % 7
	q.From = today.AddDate(0, 0, -wd-7*11)
	var err error
	if f := v.Get("from"); f != "" {
		if q.From, err = time.Parse(day, f); err != nil {
			return q, fmt.Errorf("%w: from must be a day, YYYY-MM-DD", errQuery)
		}
	}
	if t := v.Get("to"); t != "" {
		if q.To, err = time.Parse(day, t); err != nil {
			return q, fmt.Errorf("%w: to must be a day, YYYY-MM-DD", errQuery)
		}
	}
	if q.To.Before(q.From) {
		return q, fmt.Errorf("%w: the period ends before it starts", errQuery)
	}
	if q.To.Sub(q.From) > maxPeriod {
		return q, fmt.Errorf("%w: a period is at most two years", errQuery)
	}
	if b := v.Get("by"); b != "" {
		if b != "day" && b != "week" && b != "month" {
			return q, fmt.Errorf("%w: by is day, week or month", errQuery)
		}
		q.By = b
	}
	if q.By == "day" && q.To.Sub(q.From) >= chart.MaxBars*24*time.Hour {
		return q, fmt.Errorf("%w: by day, a period is at most %d days", errQuery, chart.MaxBars)
	}
	q.Station = v.Get("station")
	if len(q.Station) > 64 {
		return q, fmt.Errorf("%w: station code too long", errQuery)
	}
	if c := v.Get("category"); c != "" {
		if !slices.Contains(categories, c) {
			return q, fmt.Errorf("%w: unknown category", errQuery)
		}
		q.Category = c
	}
	return q, nil
}

func (q Query) values() url.Values {
	v := url.Values{"from": {q.From.Format(day)}, "to": {q.To.Format(day)}, "by": {q.By}}
	if q.Station != "" {
		v.Set("station", q.Station)
	}
	if q.Category != "" {
		v.Set("category", q.Category)
	}
	return v
}

func (q Query) period() string {
	return fmt.Sprintf("%s to %s", q.From.Format(day), q.To.Format(day))
}

// figures answers the request's query, or writes the error.
func (s *Server) figures(w http.ResponseWriter, r *http.Request) (Query, *Figures, bool) {
	q, err := s.parseQuery(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return q, nil, false
	}
	f, err := s.cfg.Source.Figures(r.Context(), q)
	if err != nil {
		s.cfg.Logger.Error("dashboard figures", "err", err)
		http.Error(w, "the figures cannot be computed now; try again", http.StatusServiceUnavailable)
		return q, nil, false
	}
	return q, f, true
}

// row is one line of a table: a code, its count, its share of the total.
type row struct {
	Code  string
	Count int
	Share string
}

type table struct {
	Title string
	Rows  []row
}

type pageView struct {
	Country, Account, Period, Query, Generated string
	Q                                          Query
	Total                                      int
	Earlier                                    *int
	Change                                     string
	Protection, Unaccompanied                  int
	UnaccompaniedBySex                         string
	Stations, Categories                       []string
	Tables                                     []table
	Charts                                     []string
}

// sorted lists m largest first (then by code), the first n and "other"
// for the rest when n > 0.
func sorted(m map[string]int, n int) []chart.Point {
	var pts []chart.Point
	for k, v := range m {
		pts = append(pts, chart.Point{Label: k, Count: v})
	}
	slices.SortFunc(pts, func(a, b chart.Point) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Label, b.Label))
	})
	if n > 0 && len(pts) > n {
		other := 0
		for _, p := range pts[n:] {
			other += p.Count
		}
		pts = append(pts[:n], chart.Point{Label: "other", Count: other})
	}
	return pts
}

func share(n, total int) string {
	if total == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*float64(n)/float64(total), 'f', 1, 64) + " %"
}

func tableOf(title string, pts []chart.Point, total int) table {
	t := table{Title: title}
	for _, p := range pts {
		t.Rows = append(t.Rows, row{Code: p.Label, Count: p.Count, Share: share(p.Count, total)})
	}
	return t
}

func inOrder(m map[string]int, order []string) []chart.Point {
	pts := make([]chart.Point, 0, len(order))
	for _, k := range order {
		pts = append(pts, chart.Point{Label: k, Count: m[k]})
	}
	return pts
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, ses session) {
	q, f, ok := s.figures(w, r)
	if !ok {
		return
	}
	v := pageView{Country: s.cfg.Country, Account: ses.name, Period: q.period(), Q: q, Query: q.values().Encode(),
		Generated: s.cfg.Now().UTC().Format("2006-01-02 15:04 UTC"), Total: f.Total, Categories: categories,
		Protection: f.ByCategory["international_protection"]}
	if f.Earlier != nil {
		e := f.Earlier.Total
		v.Earlier = &e
		v.Change = change(f.Total, e)
	}
	for _, n := range f.UnaccompaniedChildren {
		v.Unaccompanied += n
	}
	v.UnaccompaniedBySex = fmt.Sprintf("F %d, M %d, X %d, U %d", f.UnaccompaniedChildren["F"], f.UnaccompaniedChildren["M"], f.UnaccompaniedChildren["X"], f.UnaccompaniedChildren["U"])
	for st := range f.ByStation {
		v.Stations = append(v.Stations, st)
	}
	if q.Station != "" && !slices.Contains(v.Stations, q.Station) {
		v.Stations = append(v.Stations, q.Station)
	}
	slices.Sort(v.Stations)
	v.Tables = []table{
		tableOf("Nationality", sorted(f.ByNationality, topN), f.Total),
		tableOf("Sex", inOrder(f.BySex, []string{"F", "M", "X", "U"}), f.Total),
		tableOf("Age group", inOrder(f.ByAgeGroup, ageGroups), f.Total),
		tableOf("Category", inOrder(f.ByCategory, categories), f.Total),
		tableOf("Station or crossing", sorted(f.ByStation, 0), f.Total),
	}
	v.Charts = []string{"series.png", "nationalities.png", "pyramid.png", "stations.png"}
	s.render(w, http.StatusOK, "page.html", v)
}

// change is the change from earlier to now in per cent, or "new" when
// there was nothing earlier.
func change(now, earlier int) string {
	switch {
	case earlier == 0 && now == 0:
		return "no change"
	case earlier == 0:
		return "none a year earlier"
	}
	return fmt.Sprintf("%+.1f %%", 100*float64(now-earlier)/float64(earlier))
}

var unitTitle = map[string]string{"day": "day", "week": "week", "month": "month"}

// charts are the dashboard's charts by file name.
func drawChart(name string, q Query, f *Figures) ([]byte, error) {
	period := q.period()
	if q.Station != "" {
		period += ", station " + q.Station
	}
	if q.Category != "" {
		period += ", " + q.Category
	}
	o := chart.Options{Format: chart.PNG}
	switch name {
	case "series.png":
		c := chart.Period{Title: "People registered per " + unitTitle[q.By], Period: period}
		for i, p := range f.Series {
			c.Current = append(c.Current, chart.Point{Label: p.Period, Count: p.Total})
			if f.Earlier != nil && len(f.Earlier.Series) == len(f.Series) {
				c.Earlier = append(c.Earlier, f.Earlier.Series[i].Total)
			}
		}
		if len(c.Current) == 0 {
			c.Current = []chart.Point{{Label: q.period(), Count: 0}}
		}
		return c.Draw(o)
	case "nationalities.png":
		pts := sorted(f.ByNationality, topN)
		if len(pts) == 0 {
			pts = []chart.Point{{Label: "none", Count: 0}}
		}
		return chart.Ranked{Title: "Top nationalities", Period: period, Items: pts}.Draw(o)
	case "stations.png":
		pts := sorted(f.ByStation, chart.MaxRanked-1)
		if len(pts) == 0 {
			pts = []chart.Point{{Label: "none", Count: 0}}
		}
		return chart.Ranked{Title: "People registered per station or crossing", Period: period, Items: pts}.Draw(o)
	case "pyramid.png":
		p := chart.Pyramid{Title: "Age and sex", Period: period, Groups: ageGroups}
		for _, g := range ageGroups {
			p.Female = append(p.Female, f.AgeSex[g]["F"])
			p.Male = append(p.Male, f.AgeSex[g]["M"])
		}
		return p.Draw(o)
	}
	return nil, errNoChart
}

var errNoChart = errors.New("no such chart")

func (s *Server) chart(w http.ResponseWriter, r *http.Request, _ session) {
	name := r.PathValue("name")
	if _, err := drawChart(name, Query{}, &Figures{}); errors.Is(err, errNoChart) {
		http.NotFound(w, r)
		return
	}
	q, f, ok := s.figures(w, r)
	if !ok {
		return
	}
	b, err := drawChart(name, q, f)
	if err != nil {
		s.cfg.Logger.Error("dashboard chart", "chart", name, "err", err)
		http.Error(w, "the chart cannot be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(b)
}

// csv writes the figures as section,code,count lines.
func (s *Server) csv(w http.ResponseWriter, r *http.Request, _ session) {
	q, f, ok := s.figures(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="figures-%s-%s.csv"`, q.From.Format(day), q.To.Format(day)))
	cw := csv.NewWriter(w)
	cw.Write([]string{"section", "code", "count"})
	cw.Write([]string{"period", q.period(), ""})
	cw.Write([]string{"total", "", strconv.Itoa(f.Total)})
	for _, sec := range []struct {
		name string
		m    map[string]int
	}{
		{"by_nationality", f.ByNationality}, {"by_sex", f.BySex}, {"by_age_group", f.ByAgeGroup},
		{"by_category", f.ByCategory}, {"by_station", f.ByStation}, {"unaccompanied_children", f.UnaccompaniedChildren},
	} {
		for _, p := range sorted(sec.m, 0) {
			cw.Write([]string{sec.name, p.Label, strconv.Itoa(p.Count)})
		}
	}
	for _, p := range f.Series {
		cw.Write([]string{"series_" + q.By, p.Period, strconv.Itoa(p.Total)})
	}
	cw.Flush()
}

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
