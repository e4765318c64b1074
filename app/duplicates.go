package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
)

// duplicatesShown bounds the pairs one review lists.
const duplicatesShown = 200

// duplicatesScreen is the supervisor's review of likely duplicates already
// in the database: the device compares every record (slow: it decrypts
// every summary, so it runs off the UI goroutine with a progress bar), then
// lists the undecided pairs best first. The supervisor opens either record
// and decides; a decided pair leaves the list. Nothing is merged.
type duplicatesScreen struct {
	u        *UI
	root     fyne.CanvasObject
	run      *widget.Button
	progress *widget.ProgressBar
	status   message
	list     *fyne.Container
	pairs    []device.DuplicatePair
	running  bool
	deciding bool // a decision is being saved: a second tap must not save another
}

func newDuplicatesScreen(u *UI) *duplicatesScreen {
	s := &duplicatesScreen{u: u}
	s.run = u.primary(u.T("duplicates.look_again"), theme.SearchIcon(), s.start)
	s.progress = widget.NewProgressBar()
	s.progress.Hide()
	s.status = newMessage(widget.MediumImportance)
	s.list = container.NewVBox()
	top := container.NewVBox(
		heading(u.T("duplicates.title")),
		para(u.T("duplicates.help")),
		toolbar(s.run), s.progress, s.status.Object(),
	)
	s.root = container.NewBorder(container.NewPadded(top), nil, nil, nil, u.scroll(container.NewPadded(s.list)))
	s.start()
	return s
}

// start compares every record off the UI goroutine.
func (s *duplicatesScreen) start() {
	if s.running {
		return
	}
	sess := s.u.sess
	if sess == nil {
		return
	}
	s.running = true
	s.run.Disable()
	s.progress.SetValue(0)
	s.progress.Show()
	s.status.Set(s.u.T("duplicates.reading"))
	s.list.RemoveAll()
	var pairs []device.DuplicatePair
	var err error
	s.u.background(func() {
		pairs, err = sess.LikelyDuplicates(duplicatesShown, func(done, total int) {
			s.u.do(func() {
				if total > 0 {
					s.progress.SetValue(float64(done) / float64(total))
				}
				s.status.Set(s.u.Tf("duplicates.reading_progress", i18n.Args{"Done": s.u.loc.Number(done), "Total": s.u.loc.Number(total)}))
			})
		})
	}, func() {
		if s.u.sess != sess {
			return
		}
		s.running = false
		s.run.Enable()
		s.progress.Hide()
		if err != nil {
			fyne.LogError("the duplicate review failed", nil)
			s.status.SetImportance(widget.DangerImportance)
			s.status.Set(s.u.Tf("duplicates.failed", i18n.Args{"Error": s.u.plainError(err)}))
			return
		}
		s.status.SetImportance(widget.MediumImportance)
		s.pairs = pairs
		s.refresh()
	})
}

// refresh lists the pairs not yet decided.
func (s *duplicatesScreen) refresh() {
	s.list.RemoveAll()
	if n := len(s.pairs); n == 0 {
		s.status.Set(s.u.T("duplicates.none"))
	} else {
		s.status.Set(s.u.Tn("duplicates.pairs", n, nil))
	}
	for i := range s.pairs {
		s.list.Add(s.card(s.pairs[i]))
	}
	s.list.Refresh()
}

func (s *duplicatesScreen) card(p device.DuplicatePair) fyne.CanvasObject {
	u := s.u
	side := func(m device.Summary) fyne.CanvasObject {
		name := widget.NewLabelWithStyle(m.FullName(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		name.Wrapping = fyne.TextWrapWord
		id := m.ID
		open := u.button(u.T("common.open"), theme.DocumentIcon(), func() { s.open(id) })
		return container.NewVBox(name, para(m.ID+"\n"+u.summaryLine(m)), toolbar(open))
	}
	score := widget.NewLabelWithStyle(u.strength(p.Score), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if p.Score >= strongScore {
		score.Importance = widget.WarningImportance
	}
	same := u.primary(u.T("candidates.same"), theme.ConfirmIcon(), func() { s.decide(p, true) })
	different := u.button(u.T("duplicates.different"), theme.CancelIcon(), func() { s.decide(p, false) })
	body := container.NewVBox(
		score, u.reasonLabels(p.Reasons),
		container.NewGridWithColumns(2, side(p.A), side(p.B)),
		toolbar(same, different),
	)
	return widget.NewCard("", "", body)
}

// open shows a record; Back returns to the list.
func (s *duplicatesScreen) open(id string) {
	u := s.u
	d := newDetailScreen(u, id, func() { u.sh.show(navDuplicates, s.root) })
	d.backLabel = s.u.T("duplicates.back")
	u.sh.show(navDuplicates, d.root)
}

// decide links the pair (off the UI goroutine); the pair leaves the list.
func (s *duplicatesScreen) decide(p device.DuplicatePair, same bool) {
	sess := s.u.sess
	if sess == nil || s.deciding {
		return
	}
	s.deciding = true
	var err error
	s.u.background(func() { err = sess.Link(p.A.ID, p.B.ID, same, "") }, func() {
		s.deciding = false
		if s.u.sess != sess {
			return
		}
		if err != nil {
			fyne.LogError("linking a duplicate pair failed", nil)
			s.status.SetImportance(widget.DangerImportance)
			s.status.Set(s.u.Tf("duplicates.not_saved", i18n.Args{"Error": s.u.plainError(err)}))
			return
		}
		kept := s.pairs[:0]
		for _, q := range s.pairs {
			if !(q.A.ID == p.A.ID && q.B.ID == p.B.ID) {
				kept = append(kept, q)
			}
		}
		s.pairs = kept
		s.status.SetImportance(widget.MediumImportance)
		s.refresh()
	})
}
