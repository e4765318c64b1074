package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/stats/chart"
)

const navStats = "stats"

// statsScreen is the supervisors' Statistics: the figures of a period
// from this device's records (its own and those sync brought), the same
// period a year earlier, tables and charts. Counts only: no one's data is
// statsShown. The figures come from the device's aggregate (device.Session.Stats)
// and the charts are drawn off the UI goroutine.
type statsScreen struct {
	u        *UI
	root     fyne.CanvasObject
	from, to *entry
	by       *widget.Select
	show     *widget.Button
	status   message
	body     *fyne.Container
	running  bool
	units    []stats.Unit
}

// statsShown is what one computation gives the screen.
type statsShown struct {
	f      *stats.Figures
	charts [][]byte // PNG: the series, the nationalities, the age pyramid
}

func newStatsScreen(u *UI) *statsScreen {
	s := &statsScreen{u: u, units: []stats.Unit{stats.ByDay, stats.ByWeek, stats.ByMonth}}
	now := u.now().UTC()
	s.from = u.newEntry(u.T("stats.day_hint"))
	s.from.SetText(now.AddDate(0, 0, -7*12+1).Format(stats.DayLayout))
	s.to = u.newEntry(u.T("stats.day_hint"))
	s.to.SetText(now.Format(stats.DayLayout))
	s.by = u.selectBox([]string{u.T("stats.by_day"), u.T("stats.by_week"), u.T("stats.by_month")}, nil)
	s.by.SetSelectedIndex(1)
	s.show = u.primary(u.T("stats.show"), theme.SearchIcon(), s.start)
	s.status = newMessage(widget.MediumImportance)
	s.body = container.NewVBox()
	controls := container.NewGridWithColumns(4,
		labelled(u.T("stats.from"), s.from, newMessage(widget.DangerImportance)),
		labelled(u.T("stats.to"), s.to, newMessage(widget.DangerImportance)),
		labelled(u.T("stats.by"), s.by, newMessage(widget.DangerImportance)),
		container.NewVBox(widget.NewLabel(""), s.show))
	top := container.NewVBox(heading(u.T("stats.title")), para(u.T("stats.help")), controls, s.status.Object())
	s.root = container.NewBorder(container.NewPadded(top), nil, nil, nil, u.scroll(container.NewPadded(s.body)))
	s.start()
	return s
}

// query reads the period from the form; a message for the officer when it
// is not valid.
func (s *statsScreen) query() (stats.Query, string) {
	var q stats.Query
	var err error
	if q.From, err = stats.ParseDay(s.from.Text); err != nil {
		return q, s.u.T("stats.bad_day")
	}
	if q.To, err = stats.ParseDay(s.to.Text); err != nil {
		return q, s.u.T("stats.bad_day")
	}
	q.By = s.units[max(s.by.SelectedIndex(), 0)]
	if err := q.Check(); err != nil {
		return q, s.u.T("stats.bad_period")
	}
	return q, ""
}

// start computes the figures and draws the charts off the UI goroutine.
func (s *statsScreen) start() {
	if s.running {
		return
	}
	q, bad := s.query()
	if bad != "" {
		s.status.SetImportance(widget.DangerImportance)
		s.status.Set(bad)
		return
	}
	sess := s.u.sess
	if sess == nil {
		return
	}
	s.running = true
	s.show.Disable()
	s.status.SetImportance(widget.MediumImportance)
	s.status.Set(s.u.T("stats.working"))
	var got statsShown
	var err error
	s.u.background(func() {
		got, err = s.compute(sess.Stats, q)
	}, func() {
		if s.u.sess != sess {
			return
		}
		s.running = false
		s.show.Enable()
		if err != nil {
			s.status.SetImportance(widget.DangerImportance)
			s.status.Set(s.u.plainError(err))
			return
		}
		s.status.Set("")
		s.fill(got)
	})
}

// compute works out the figures and draws their charts, in the officer's
// language. It touches no widget.
func (s *statsScreen) compute(figures func(context.Context, stats.Query) (*stats.Figures, error), q stats.Query) (statsShown, error) {
	f, err := figures(context.Background(), q)
	if err != nil {
		return statsShown{}, err
	}
	u := s.u
	period := f.From + " – " + f.To
	series := chart.SeriesOf(f)
	series.Title, series.Period = u.T("stats.chart_series"), period+" · "+u.T("stats.by_"+string(f.By))
	series.CurrentName, series.EarlierName = u.T("stats.this_period"), u.T("stats.earlier")
	nat := chart.NationalitiesOf(f)
	nat.Title, nat.Period = u.T("stats.chart_nationality"), period
	age := chart.AgeSexOf(f)
	age.Title, age.Period = u.T("stats.chart_age"), period+" · "+u.T("sex.female")+" / "+u.T("sex.male")
	opts := chart.Options{Width: 1100, Height: 520}
	half := chart.Options{Width: 800, Height: 560}
	out := statsShown{f: f}
	for _, draw := range []func() ([]byte, error){
		func() ([]byte, error) { return series.Draw(opts) },
		func() ([]byte, error) { return nat.Draw(half) },
		func() ([]byte, error) { return age.Draw(half) },
	} {
		b, err := draw()
		if err != nil && !errors.Is(err, chart.ErrBadInput) {
			return statsShown{}, err
		}
		out.charts = append(out.charts, b) // nil: nothing to draw
	}
	return out, nil
}

// fill shows computed figures: headline numbers, charts, tables.
func (s *statsScreen) fill(got statsShown) {
	u, f := s.u, got.f
	count := func(c stats.Count) string {
		if c.Hidden() {
			return c.String()
		}
		return u.loc.Number(int(c))
	}
	// counted is message id for c in the plural form of its number; a
	// suppressed count ("<5", "x") takes the form of 5.
	counted := func(id string, c stats.Count) string {
		n := int(c)
		if c.Hidden() {
			n = 5
		}
		return u.loc.Tc(id, n, count(c), nil)
	}
	earlier := u.Tf("stats.year_earlier", i18n.Args{"Count": count(f.YearEarlier.Total)})
	if ch := f.YearEarlier.Change; ch != nil {
		earlier = u.Tf("stats.year_earlier_change", i18n.Args{"Count": count(f.YearEarlier.Total), "Change": fmt.Sprintf("%+.1f %%", *ch)})
	}
	var children stats.Count
	for _, c := range f.UnaccompaniedChildren {
		children += c
	}
	tr := f.Transmission
	within := u.T("stats.unknown")
	if tr.Rate != nil {
		within = u.loc.Percent(*tr.Rate)
	}
	headline := container.NewGridWithColumns(3,
		figure(u.T("stats.total"), count(f.Total), earlier),
		figure(u.T("stats.children"), count(children), bySex(u, f.UnaccompaniedChildren, count)),
		figure(u.T("stats.groups"), count(f.Groups.Groups), counted("stats.groups_people", f.Groups.People)),
		figure(u.T("stats.duplicates"), count(f.Duplicates.Confirmed), counted("stats.duplicates_found", f.Duplicates.Found)),
		figure(u.T("stats.within_72h"), within, u.Tf("stats.within_72h_detail", i18n.Args{"OnTime": count(tr.OnTime), "Known": count(tr.Known), "Late": count(tr.Late)})),
		figure(u.T("stats.elsewhere"), count(f.ElsewhereHits), u.T("stats.elsewhere_detail")),
	)
	objs := []fyne.CanvasObject{headline}
	img := func(b []byte, w, h float32) fyne.CanvasObject {
		if b == nil {
			return widget.NewLabel("")
		}
		i := canvas.NewImageFromReader(bytes.NewReader(b), "chart.png")
		i.FillMode = canvas.ImageFillContain
		i.SetMinSize(fyne.NewSize(w, h))
		return i
	}
	objs = append(objs, img(got.charts[0], 760, 360), container.NewGridWithColumns(2, img(got.charts[1], 480, 340), img(got.charts[2], 480, 340)))

	natLabel := func(code string) string {
		switch code {
		case stats.Other:
			return u.T("stats.other")
		case stats.Unknown:
			return u.T("stats.unknown")
		}
		if name := u.countryNames([]string{code}); name != "" {
			return name
		}
		return code
	}
	tables := container.NewGridWithColumns(3,
		table(u.T("stats.nationality"), f.ByNationality, f.ByNationality.Sorted(), natLabel, count),
		table(u.T("stats.sex"), f.BySex, sexCodes, func(c string) string { return u.label(c, sexLabels) }, count),
		table(u.T("stats.age"), f.ByAgeGroup, stats.AgeGroups, func(c string) string {
			if c == stats.AgeUnknown {
				return u.T("stats.age_unknown")
			}
			return c
		}, count),
		table(u.T("stats.category"), f.ByCategory, f.ByCategory.Sorted(), func(c string) string {
			if c == stats.Unknown {
				return u.T("stats.unknown")
			}
			return u.label(c, categoryLabels)
		}, count),
		table(u.T("stats.station"), f.ByStation, f.ByStation.Sorted(), func(c string) string {
			if c == stats.Unknown {
				return u.T("stats.unknown")
			}
			return c
		}, count),
	)
	objs = append(objs, tables)
	s.body.Objects = objs
	s.body.Refresh()
}

// figure is a headline number with its caption and a line under it.
func figure(caption, value, under string) fyne.CanvasObject {
	v := widget.NewLabelWithStyle(value, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.SizeName = theme.SizeNameHeadingText
	n := widget.NewLabel(under)
	n.Wrapping = fyne.TextWrapWord
	return widget.NewCard("", "", container.NewVBox(fieldLabel(caption), v, n))
}

// bySex says a count per sex in a line: "F 3 · M 5".
func bySex(u *UI, cs stats.Counts, count func(stats.Count) string) string {
	var out string
	for _, c := range sexCodes {
		if cs[c] == 0 {
			continue
		}
		if out != "" {
			out += " · "
		}
		out += u.label(c, sexLabels) + " " + count(cs[c])
	}
	return out
}

// table lists codes with their labels and counts.
func table(title string, cs stats.Counts, codes []string, label func(string) string, count func(stats.Count) string) fyne.CanvasObject {
	rows := container.NewGridWithColumns(2)
	for _, c := range codes {
		l := widget.NewLabel(label(c))
		l.Truncation = fyne.TextTruncateEllipsis
		rows.Add(l)
		rows.Add(widget.NewLabelWithStyle(count(cs[c]), fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true}))
	}
	return widget.NewCard(title, "", rows)
}

// now is the UI's clock (the device's, so tests and screenshots control it).
func (u *UI) now() time.Time { return u.dev.Now() }
