package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/reception"
	"github.com/fieldreg/fieldreg/registry"
)

// Sections of the navigation for accommodation.
const (
	navCentre   = "centre"
	navCapacity = "capacity"
)

// knownAgo says how old what this device knows is ("3 hours ago"), or that
// it never learned anything.
func (u *UI) knownAgo(t time.Time) string {
	if t.IsZero() {
		return u.T("centre.never")
	}
	return u.ago(t, u.dev.Now())
}

// Message IDs of the words of accommodation, by their code.
var (
	sectionLabels = map[string]string{
		registry.SectionSingleMen: "section.single_men", registry.SectionSingleWomen: "section.single_women",
		registry.SectionFamilies: "section.families", registry.SectionUnaccompanied: "section.unaccompanied_children",
		registry.SectionVulnerable: "section.vulnerable",
	}
	reasonLabels = map[string]string{
		registry.LeftCentre: "reason.left", registry.LeftTransferred: "reason.transferred", registry.LeftReturned: "reason.returned",
		registry.LeftAsylum: "reason.asylum_accommodation", registry.LeftAbsent: "reason.absent_too_long",
		registry.LeftNotArrived: "reason.not_arrived",
	}
	statusLabels = map[string]string{"open": "status.open", "closed": "status.closed", "full": "status.full", "unknown": "status.unknown"}
	groupLabels  = map[string]string{
		registry.StayReferred: "centre.group_referred", registry.StayResident: "centre.group_resident", registry.StayAbsent: "centre.group_absent",
	}
	sinceLabels = map[string]string{
		registry.StayReferred: "centre.since_referred", registry.StayResident: "centre.since_resident", registry.StayAbsent: "centre.since_absent",
	}
)

// sectionName is a section's name in the officer's language.
func (u *UI) sectionName(s string) string { return u.label(s, sectionLabels) }

// freeText is a section's free places, or how far over capacity it is.
func (u *UI) freeText(free int) string {
	if free < 0 {
		return u.Tf("capacity.over", i18n.Args{"N": u.loc.Number(-free)})
	}
	return u.Tf("capacity.free", i18n.Args{"N": u.loc.Number(free)})
}

// referralView is the panel beside the receipts after a registration:
// where the person or family can sleep tonight. It lists the open centres
// whose sections fit them together, with free places as last known on this
// device and how old that knowledge is; choosing one records the referral,
// and the receipts then print the centre's name and address.
type referralView struct {
	u        *UI
	ids      []string
	root     *fyne.Container
	status   message
	list     *fyne.Container
	referred func(centre string) // called on the UI goroutine after a referral
	busy     bool
}

func newReferralView(u *UI, ids []string) *referralView {
	v := &referralView{u: u, ids: ids, list: container.NewVBox(), status: newMessage(widget.SuccessImportance)}
	v.root = container.NewVBox(widget.NewSeparator(), fieldLabel(u.T("centre.refer_title")), v.status.Object(), v.list)
	v.load()
	return v
}

// Object is the panel.
func (v *referralView) Object() fyne.CanvasObject { return v.root }

// load reads the offers off the UI goroutine.
func (v *referralView) load() {
	sess := v.u.sess
	var offers []reception.Offer
	var err error
	v.u.background(func() { offers, err = sess.Offers(v.ids) }, func() {
		if v.u.sess != sess {
			return
		}
		v.list.RemoveAll()
		switch {
		case err != nil:
			v.list.Add(para(v.u.plainError(err)))
		case len(offers) == 0:
			if views, _ := sess.Capacity(); len(views) == 0 {
				v.list.Add(para(v.u.T("centre.no_centres")))
			} else {
				v.list.Add(para(v.u.T("centre.none_fit")))
			}
		default:
			v.list.Add(para(v.u.T("centre.refer_help")))
			for _, o := range offers {
				v.list.Add(v.row(o))
			}
		}
	})
}

func (v *referralView) row(o reception.Offer) fyne.CanvasObject {
	u := v.u
	what := u.Tf("centre.offer", i18n.Args{"Name": o.View.Name, "Place": o.View.Place, "Section": u.sectionName(o.Section),
		"Free": u.freeText(o.Free), "Ago": u.knownAgo(o.View.AsOf)})
	l := widget.NewLabel(what)
	l.Wrapping = fyne.TextWrapWord
	if o.Free < len(v.ids) {
		l.Importance = widget.WarningImportance // no room for them all: shown, the officer decides
	}
	b := u.button(u.T("centre.refer"), theme.MailForwardIcon(), func() { v.refer(o) })
	return container.NewBorder(nil, nil, nil, b, l)
}

func (v *referralView) refer(o reception.Offer) {
	if v.busy {
		return
	}
	v.busy = true
	sess := v.u.sess
	var ref *device.Referral
	var err error
	v.u.background(func() {
		ref, err = sess.Refer(v.ids, o.View.Code, device.ReferralOptions{Section: o.Section})
	}, func() {
		v.busy = false
		if v.u.sess != sess {
			return
		}
		if err != nil {
			v.status.SetImportance(widget.DangerImportance)
			v.status.Set(v.u.Tf("centre.refer_failed", i18n.Args{"Error": v.u.plainError(err)}))
			return
		}
		line := ref.Name
		if c, err := sess.Device().Centre(ref.Centre); err == nil {
			line = device.CentreAddress(c)
		}
		v.status.SetImportance(widget.SuccessImportance)
		msg := v.u.Tf("centre.referred", i18n.Args{"Centre": line, "Section": v.u.sectionName(ref.Section)})
		if ref.Over > 0 {
			v.status.SetImportance(widget.WarningImportance)
			msg += " " + v.u.Tf("centre.now_over", i18n.Args{"N": v.u.loc.Number(ref.Over)})
		}
		v.status.Set(msg)
		v.list.RemoveAll()
		if v.referred != nil {
			v.referred(line)
		}
	})
}

// centreScreen is a reception centre's own screen: who is expected, who
// stays and who is away, with check-in by scanning the person's receipt
// (verified offline, as on the Verify screen) or typing the registration
// ID (a family referred together checks in together), and check-out with
// its reason. Who did not arrive and who is away too long are marked.
type centreScreen struct {
	u      *UI
	root   fyne.CanvasObject
	pick   *widget.Select
	codes  []string
	code   string
	scan   *scanEntry
	status message
	list   *fyne.Container
}

func newCentreScreen(u *UI) *centreScreen {
	s := &centreScreen{u: u, status: newMessage(widget.SuccessImportance), list: container.NewVBox()}
	var names []string
	if cs, err := u.dev.Centres(); err == nil {
		for _, c := range cs.Centres {
			s.codes = append(s.codes, c.Code)
			names = append(names, c.Name+" ("+c.Code+")")
		}
	}
	s.pick = u.selectBox(names, func(string) {
		if i := s.pick.SelectedIndex(); i >= 0 {
			s.code = s.codes[i]
			s.reload()
		}
	})
	s.pick.PlaceHolder = u.T("centre.pick")
	s.scan = newScanEntry(u, u.T("centre.scan"))
	s.scan.OnSubmitted = func(string) { s.checkIn() }
	checkIn := u.primary(u.T("centre.check_in"), theme.LoginIcon(), s.checkIn)
	top := container.NewVBox(heading(u.T("centre.title")), fitted(s.pick),
		container.NewBorder(nil, nil, nil, checkIn, s.scan), s.status.Object(), widget.NewSeparator())
	if len(s.codes) == 0 {
		top.Add(para(u.T("centre.no_centres")))
	}
	s.root = container.NewBorder(container.NewPadded(top), nil, nil, nil, u.scroll(container.NewPadded(s.list)))
	if len(s.codes) > 0 {
		s.pick.SetSelectedIndex(0)
	}
	return s
}

// checkIn checks in the person whose receipt was scanned or ID typed.
func (s *centreScreen) checkIn() {
	text := s.scan.Text
	if s.code == "" || text == "" {
		return
	}
	sess, code := s.u.sess, s.code
	var in *device.CheckIn
	var err error
	s.u.background(func() {
		if _, perr := registry.ParseRegID(text); perr == nil {
			in, err = sess.CheckIn(code, text, "")
		} else {
			in, err = sess.CheckInReceipt(code, text, "")
		}
	}, func() {
		if s.u.sess != sess {
			return
		}
		if err != nil {
			s.status.SetImportance(widget.DangerImportance)
			s.status.Set(s.u.Tf("centre.check_in_failed", i18n.Args{"Error": s.u.plainError(err)}))
			return
		}
		s.scan.SetText("")
		msg := s.u.Tn("centre.checked_in", len(in.IDs), nil)
		if in.WalkIn {
			msg += " " + s.u.T("centre.walk_in_note")
		}
		s.status.SetImportance(widget.SuccessImportance)
		if in.Over > 0 {
			s.status.SetImportance(widget.WarningImportance)
			msg += " " + s.u.Tf("centre.now_over", i18n.Args{"N": s.u.loc.Number(in.Over)})
		}
		s.status.Set(msg)
		s.reload()
	})
}

// reload reads the centre's list off the UI goroutine.
func (s *centreScreen) reload() {
	sess, code := s.u.sess, s.code
	var rs []device.Resident
	var err error
	s.u.background(func() { rs, err = sess.Residents(code) }, func() {
		if s.u.sess != sess || s.code != code {
			return
		}
		s.list.RemoveAll()
		if err != nil {
			s.list.Add(para(s.u.plainError(err)))
			return
		}
		if len(rs) == 0 {
			s.list.Add(para(s.u.T("centre.empty")))
		}
		state := ""
		for _, r := range rs {
			if r.State != state {
				state = r.State
				s.list.Add(fieldLabel(s.u.label(state, groupLabels)))
			}
			s.list.Add(s.row(r))
		}
		s.list.Refresh()
	})
}

func (s *centreScreen) row(r device.Resident) fyne.CanvasObject {
	u := s.u
	since := u.loc.DateTime(r.Since)
	what := r.Name + " · " + r.ID + " · " + u.sectionName(r.Section) + " · " + u.Tf(sinceLabels[r.State], i18n.Args{"Since": since})
	l := widget.NewLabel(what)
	l.Wrapping = fyne.TextWrapWord
	switch {
	case r.DidNotArrive:
		l.SetText(what + " · " + u.T("centre.did_not_arrive"))
		l.Importance = widget.WarningImportance
	case r.AbsentTooLong:
		l.SetText(what + " · " + u.T("centre.absent_too_long"))
		l.Importance = widget.WarningImportance
	case r.WalkIn:
		l.SetText(what + " · " + u.T("centre.walked_in"))
	}
	var acts []fyne.CanvasObject
	if r.State == registry.StayResident {
		acts = append(acts, u.button(u.T("centre.mark_absent"), theme.HistoryIcon(), func() { s.act(func(sess *device.Session) error { return sess.Absent(r.ID) }) }))
	}
	if r.State == registry.StayAbsent || r.State == registry.StayReferred {
		acts = append(acts, u.button(u.T("centre.check_in"), theme.LoginIcon(), func() {
			s.act(func(sess *device.Session) error { _, err := sess.CheckIn(s.code, r.ID, ""); return err })
		}))
	}
	acts = append(acts, u.button(u.T("centre.check_out"), theme.LogoutIcon(), func() { s.checkOut(r) }))
	return container.NewBorder(nil, nil, nil, container.NewHBox(acts...), l)
}

// checkOut asks the reason, then checks the person out (or closes a
// referral that never arrived).
func (s *centreScreen) checkOut(r device.Resident) {
	reasons := registry.CheckoutReasons
	if r.State == registry.StayReferred {
		reasons = []string{registry.LeftNotArrived}
	} else {
		reasons = reasons[:len(reasons)-1]
	}
	names := make([]string, len(reasons))
	for i, k := range reasons {
		names[i] = s.u.label(k, reasonLabels)
	}
	pick := s.u.radio(names, nil)
	pick.SetSelected(names[0])
	d := dialog.NewCustomConfirm(s.u.Tf("centre.checkout_title", i18n.Args{"Name": r.Name}), s.u.T("centre.check_out"), s.u.T("common.cancel"), pick, func(ok bool) {
		i := indexOf(names, pick.Selected)
		if !ok || i < 0 {
			return
		}
		s.act(func(sess *device.Session) error { return sess.CheckOut(r.ID, reasons[i]) })
	}, s.u.win)
	d.Show()
}

// act runs a change off the UI goroutine, then shows its outcome and the list again.
func (s *centreScreen) act(fn func(*device.Session) error) {
	sess := s.u.sess
	var err error
	s.u.background(func() { err = fn(sess) }, func() {
		if s.u.sess != sess {
			return
		}
		if err != nil {
			s.status.SetImportance(widget.DangerImportance)
			s.status.Set(s.u.plainError(err))
		} else {
			s.status.SetImportance(widget.SuccessImportance)
			s.status.Set(s.u.T("centre.saved"))
		}
		s.reload()
	})
}

// capacityScreen is the supervisor's view of every centre this device
// knows: per section the beds, residents, open referrals and free places
// (or how far over capacity it is), as last known here.
type capacityScreen struct {
	u    *UI
	root fyne.CanvasObject
	list *fyne.Container
}

func newCapacityScreen(u *UI) *capacityScreen {
	s := &capacityScreen{u: u, list: container.NewVBox()}
	top := container.NewVBox(heading(u.T("capacity.title")), para(u.T("capacity.help")))
	s.root = container.NewBorder(container.NewPadded(top), nil, nil, nil, u.scroll(container.NewPadded(s.list)))
	s.reload()
	return s
}

func (s *capacityScreen) reload() {
	sess := s.u.sess
	var views []reception.View
	var err error
	s.u.background(func() { views, err = sess.Capacity() }, func() {
		if s.u.sess != sess {
			return
		}
		s.list.RemoveAll()
		if err != nil {
			s.list.Add(para(s.u.plainError(err)))
			return
		}
		if len(views) == 0 {
			s.list.Add(para(s.u.T("centre.no_centres")))
		}
		for _, v := range views {
			s.list.Add(s.card(v))
		}
	})
}

func (s *capacityScreen) card(v reception.View) fyne.CanvasObject {
	u := s.u
	grid := container.New(layout.NewGridLayoutWithColumns(5))
	for _, h := range []string{"capacity.col_section", "capacity.col_beds", "capacity.col_residents", "capacity.col_referred", "capacity.col_free"} {
		grid.Add(widget.NewLabelWithStyle(u.T(h), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	for _, sec := range registry.Sections {
		n, ok := v.Sections[sec]
		if !ok {
			continue
		}
		free := widget.NewLabel(u.freeText(n.Free))
		if n.Free < 0 {
			free.Importance = widget.DangerImportance
		}
		grid.Add(widget.NewLabel(u.sectionName(sec)))
		grid.Add(widget.NewLabel(u.loc.Number(n.Capacity)))
		grid.Add(widget.NewLabel(u.loc.Number(n.Residents)))
		grid.Add(widget.NewLabel(u.loc.Number(n.Referred)))
		grid.Add(free)
	}
	sub := u.label(v.Status, statusLabels) + " · " + u.Tf("capacity.as_of", i18n.Args{"Ago": u.knownAgo(v.AsOf)})
	if v.Place != "" {
		sub = v.Place + " · " + sub
	}
	return widget.NewCard(v.Name+" ("+v.Code+")", sub, dense(grid))
}

// indexOf is the position of v in list, or -1.
func indexOf(list []string, v string) int {
	for i, s := range list {
		if s == v {
			return i
		}
	}
	return -1
}
