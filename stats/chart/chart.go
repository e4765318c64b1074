// Package chart draws the statistics of package stats as images: bars per
// week beside the same weeks a year earlier, the top nationalities, an age
// pyramid by sex, and registrations per station. Charts are PNG (for the
// app, the PDF report and print) or SVG (for the web dashboard), drawn by
// github.com/go-analyze/charts. Every chart states its period in its
// title, labels its axes and bars, and uses type large enough to read on a
// tablet and in print.
//
// The charts hold counts only: labels are weeks, country codes, age groups
// and station codes, never anything about a person.
package chart

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/go-analyze/charts"
)

// Format is the image format of a chart.
type Format string

// The formats.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// Limits on what a chart accepts: more bars than these cannot be read.
const (
	MaxBars   = 120 // weeks or days of a period chart
	MaxRanked = 30  // nationalities or stations of a ranked chart
)

// ErrBadInput: the data cannot be drawn (lengths that disagree, a negative
// count, too many bars, an unknown format).
var ErrBadInput = errors.New("chart: bad input")

// Options are the size and format of a chart. The zero value is a PNG of
// DefaultWidth x DefaultHeight.
type Options struct {
	Format        Format
	Width, Height int // pixels; 0: the defaults
}

// The default size: wide enough for a year of weeks, and sharp when a PDF
// page of A4 shows it at 180 mm.
const (
	DefaultWidth  = 1200
	DefaultHeight = 600
)

// Point is one bar: its label and its count. Text, when set, is written
// on the bar instead of the count: a suppressed count ("<5", "x") is drawn
// as an empty bar labelled so.
type Point struct {
	Label string
	Count int
	Text  string
}

// Period is a series of counts per day, week or month, with the same
// periods a year earlier beside them (Earlier nil or empty: not shown).
type Period struct {
	Title   string // e.g. "People registered per week"
	Period  string // the period stated on the chart, e.g. "2026-01-05 to 2026-03-29"
	Current []Point
	Earlier []Point // the same periods a year earlier, aligned with Current
	// CurrentName and EarlierName name the two series in the legend
	// (default "This period", "A year earlier").
	CurrentName, EarlierName string
}

// Ranked is a list of counts by category, largest first, drawn as
// horizontal bars (top nationalities, stations).
type Ranked struct {
	Title  string
	Period string
	Items  []Point
}

// Pyramid is the age pyramid: for each age group, youngest first, the
// women and girls (F) and men and boys (M).
type Pyramid struct {
	Title  string
	Period string
	Groups []string
	Female []Point // aligned with Groups (labels unused)
	Male   []Point
}

// text sizes, in points: large enough for a tablet held at arm's length and
// for print at half a page width.
const (
	titleSize = 22
	subSize   = 16
	labelSize = 15
	valueSize = 13
)

func (o Options) painter() (*charts.Painter, error) {
	f := o.Format
	if f == "" {
		f = PNG
	}
	if f != PNG && f != SVG {
		return nil, fmt.Errorf("%w: format %q (png or svg)", ErrBadInput, f)
	}
	w, h := o.Width, o.Height
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	if w < 300 || h < 200 || w > 4000 || h > 4000 {
		return nil, fmt.Errorf("%w: size %dx%d (300x200 to 4000x4000)", ErrBadInput, w, h)
	}
	return charts.NewPainter(charts.PainterOptions{OutputFormat: string(f), Width: w, Height: h}), nil
}

func title(text, period string) charts.TitleOption {
	return charts.TitleOption{
		Text:             text,
		Subtext:          period,
		FontStyle:        charts.FontStyle{FontSize: titleSize},
		SubtextFontStyle: charts.FontStyle{FontSize: subSize},
	}
}

func counts(pts []Point) []float64 {
	v := make([]float64, len(pts))
	for i, p := range pts {
		v[i] = float64(p.Count)
	}
	return v
}

func labels(pts []Point) []string {
	l := make([]string, len(pts))
	for i, p := range pts {
		l[i] = p.Label
	}
	return l
}

func checkCounts(what string, vs ...[]Point) error {
	for _, v := range vs {
		for _, p := range v {
			if p.Count < 0 {
				return fmt.Errorf("%w: %s: negative count %d", ErrBadInput, what, p.Count)
			}
		}
	}
	return nil
}

// labelled shows each bar's count, or its Text, in the label size. The
// library passes the formatter the series' index, not the bar's: it is
// called once per bar in order, so the bar is counted here.
func labelled(s *charts.BarSeries, pts []Point, hideZero bool) {
	s.Label.Show = charts.Ptr(true)
	s.Label.FontStyle = charts.FontStyle{FontSize: valueSize}
	next := 0
	s.Label.LabelFormatter = func(_ int, _ string, v float64) (string, *charts.LabelStyle) {
		i := next % len(pts)
		next++
		if pts[i].Text != "" {
			return pts[i].Text, nil
		}
		if hideZero && v == 0 {
			return "", nil
		}
		return whole(v), nil
	}
}

func checkPoints(what string, pts []Point, limit int) error {
	if len(pts) == 0 {
		return fmt.Errorf("%w: %s: nothing to draw", ErrBadInput, what)
	}
	if len(pts) > limit {
		return fmt.Errorf("%w: %s: %d bars, at most %d", ErrBadInput, what, len(pts), limit)
	}
	for _, p := range pts {
		if p.Count < 0 {
			return fmt.Errorf("%w: %s: negative count for %q", ErrBadInput, what, p.Label)
		}
	}
	return nil
}

// whole writes axis values as whole numbers: counts of people.
func whole(f float64) string { return strconv.FormatInt(int64(math.Round(math.Abs(f))), 10) }

// roundAxis sets the value axis from 0 to a round number above the
// largest value, in five round steps (a chart of zeros: 0 to 5), with room
// for the labels at the ends of the bars.
func roundAxis(a *charts.ValueAxisOption, vs ...[]float64) {
	top := 0.0
	for _, v := range vs {
		for _, f := range v {
			top = max(top, f)
		}
	}
	step := niceStep(top * 1.1 / 5)
	a.Min = charts.Ptr(0.0)
	a.Max = charts.Ptr(5 * step)
	a.LabelCount = 6
	a.PreferNiceIntervals = charts.Ptr(false)
}

func render(p *charts.Painter, opt charts.BarChartOption) ([]byte, error) {
	if err := p.BarChart(opt); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	b, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return b, nil
}

// Draw draws the period chart: a bar per day, week or month, and beside
// it, when Earlier is given, the bar of the same period a year earlier.
func (c Period) Draw(o Options) ([]byte, error) {
	if err := checkPoints("period chart", c.Current, MaxBars); err != nil {
		return nil, err
	}
	if len(c.Earlier) != 0 && len(c.Earlier) != len(c.Current) {
		return nil, fmt.Errorf("%w: period chart: %d periods a year earlier for %d", ErrBadInput, len(c.Earlier), len(c.Current))
	}
	if err := checkCounts("period chart", c.Earlier); err != nil {
		return nil, err
	}
	p, err := o.painter()
	if err != nil {
		return nil, err
	}
	cur, early := c.CurrentName, c.EarlierName
	if cur == "" {
		cur = "This period"
	}
	if early == "" {
		early = "A year earlier"
	}
	values := [][]float64{counts(c.Current)}
	names := []string{cur}
	series := [][]Point{c.Current}
	if len(c.Earlier) != 0 {
		values = append(values, counts(c.Earlier))
		names = append(names, early)
		series = append(series, c.Earlier)
	}
	opt := charts.NewBarChartOptionWithData(values)
	opt.Title = title(c.Title, c.Period)
	opt.Padding = charts.NewBox(20, 20, 30, 20)
	opt.Legend = charts.LegendOption{SeriesNames: names, FontStyle: charts.FontStyle{FontSize: labelSize}, Offset: charts.OffsetRight}
	opt.CategoryAxis.Labels = labels(c.Current)
	opt.CategoryAxis.LabelFontStyle = charts.FontStyle{FontSize: labelSize}
	// Labels that would run into each other are turned (a chart is also
	// shown at half width on the dashboard).
	if long := len(c.Current) * len(c.Current[0].Label); long > 56 {
		opt.CategoryAxis.LabelRotation = charts.DegreesToRadians(45)
	}
	opt.ValueAxis[0].LabelFontStyle = charts.FontStyle{FontSize: labelSize}
	opt.ValueAxis[0].ValueFormatter = whole
	roundAxis(&opt.ValueAxis[0], values...)
	opt.ValueAxis[0].Title = "people"
	if len(c.Current) <= 26 {
		for i := range opt.SeriesList {
			labelled(&opt.SeriesList[i], series[i], false)
		}
	}
	return render(p, opt)
}

// Draw draws the ranked chart: one horizontal bar per item, the first on
// top, each labelled with its count.
func (c Ranked) Draw(o Options) ([]byte, error) {
	if err := checkPoints("ranked chart", c.Items, MaxRanked); err != nil {
		return nil, err
	}
	p, err := o.painter()
	if err != nil {
		return nil, err
	}
	// Horizontal bars are drawn bottom up: reverse, so the largest is on top.
	items := make([]Point, len(c.Items))
	for i, it := range c.Items {
		items[len(items)-1-i] = it
	}
	values := [][]float64{counts(items)}
	opt := charts.NewBarChartOptionWithData(values)
	opt.Horizontal = true
	opt.Title = title(c.Title, c.Period)
	opt.Padding = charts.NewBox(20, 20, 40, 20)
	opt.Legend.Show = charts.Ptr(false)
	opt.CategoryAxis.Labels = labels(items)
	opt.CategoryAxis.LabelFontStyle = charts.FontStyle{FontSize: labelSize}
	opt.ValueAxis[0].LabelFontStyle = charts.FontStyle{FontSize: labelSize}
	opt.ValueAxis[0].ValueFormatter = whole
	roundAxis(&opt.ValueAxis[0], values...)
	labelled(&opt.SeriesList[0], items, false)
	opt.SeriesLabelPosition = charts.PositionRight
	return render(p, opt)
}

// Draw draws the age pyramid: per age group (youngest at the bottom), the
// men and boys to the left of the axis and the women and girls to the
// right, each bar labelled with its count.
func (c Pyramid) Draw(o Options) ([]byte, error) {
	if len(c.Groups) == 0 || len(c.Groups) > MaxRanked {
		return nil, fmt.Errorf("%w: age pyramid: %d age groups (1 to %d)", ErrBadInput, len(c.Groups), MaxRanked)
	}
	if len(c.Female) != len(c.Groups) || len(c.Male) != len(c.Groups) {
		return nil, fmt.Errorf("%w: age pyramid: %d groups but %d and %d counts", ErrBadInput, len(c.Groups), len(c.Female), len(c.Male))
	}
	if err := checkCounts("age pyramid", c.Female, c.Male); err != nil {
		return nil, err
	}
	p, err := o.painter()
	if err != nil {
		return nil, err
	}
	f := make([]float64, len(c.Groups))
	m := make([]float64, len(c.Groups))
	top := 1.0
	for i := range c.Groups {
		m[i] = -float64(c.Male[i].Count)
		f[i] = float64(c.Female[i].Count)
		top = max(top, float64(c.Male[i].Count), float64(c.Female[i].Count))
	}
	// Room for the labels at the ends of the longest bars, and round
	// ticks: four round steps on each side.
	step := niceStep(top * 1.15 / 4)
	top = 4 * step
	opt := charts.NewBarChartOptionWithData([][]float64{m, f})
	opt.Horizontal = true
	opt.StackSeries = charts.Ptr(true)
	opt.Title = title(c.Title, c.Period)
	opt.Padding = charts.NewBox(20, 20, 40, 20)
	opt.Legend = charts.LegendOption{SeriesNames: []string{"Men and boys (M)", "Women and girls (F)"}, FontStyle: charts.FontStyle{FontSize: labelSize}, Offset: charts.OffsetRight}
	opt.CategoryAxis.Labels = c.Groups
	opt.CategoryAxis.LabelFontStyle = charts.FontStyle{FontSize: labelSize}
	opt.ValueAxis[0].LabelFontStyle = charts.FontStyle{FontSize: labelSize}
	opt.ValueAxis[0].ValueFormatter = whole
	opt.ValueAxis[0].Min = charts.Ptr(-top)
	opt.ValueAxis[0].Max = charts.Ptr(top)
	opt.ValueAxis[0].LabelCount = 9
	opt.ValueAxis[0].PreferNiceIntervals = charts.Ptr(false)
	labelled(&opt.SeriesList[0], c.Male, true)
	labelled(&opt.SeriesList[1], c.Female, true)
	return render(p, opt)
}

// niceStep is the smallest round whole number (1, 1.5, 2, 2.5, 3, 4, 5, 6
// or 8 times a power of ten) that is at least x.
func niceStep(x float64) float64 {
	if x <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= x && m*p == math.Trunc(m*p) {
			return m * p
		}
	}
	return 10 * p
}
