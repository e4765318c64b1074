package app

import (
	"errors"
	"image"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/text/language"

	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/internal/textimg"
	"github.com/fieldreg/fieldreg/notice"
	"github.com/fieldreg/fieldreg/receipt"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/trust"
)

// Fyne lays text out left to right and its font covers Latin, Greek and
// Cyrillic (fyne issue 90). Text in other scripts, Arabic above all, is
// shaped and ordered by internal/textimg and shown as an image.

// needsShaping reports whether s holds a letter outside the scripts Fyne
// draws itself.
func needsShaping(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic) {
			return true
		}
	}
	return false
}

// shapedPixels is how many image pixels stand for one Fyne unit: sharp on
// high-density tablet screens.
const shapedPixels = 2

// shapedText shows s in lang (ISO 639-3, may be empty) at the theme's text
// size: a label when Fyne can draw it, else an image drawn by textimg,
// letters joined and right to left where the script is.
func shapedText(s, lang string) fyne.CanvasObject {
	if !needsShaping(s) {
		l := widget.NewLabel(s)
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	tag := ""
	if t, err := language.Parse(lang); err == nil {
		tag = t.String()
	}
	rtl := textimg.IsRTLText(s)
	lay, err := textimg.Lay([]textimg.Paragraph{{Text: s, Size: textSize(rtl)}},
		textimg.Options{Lang: tag, RTL: rtl, Width: 480})
	if err != nil {
		return widget.NewLabel(s)
	}
	lay.Fit()
	return shapedImage(lay)
}

// textSize is the size shaped text is drawn at: the theme's, a quarter
// larger for Arabic script, whose letters are small for their em (Naskh
// beside Noto Sans).
func textSize(arabic bool) float64 {
	if arabic {
		return float64(theme.TextSize()) * 1.25
	}
	return float64(theme.TextSize())
}

// noticeLabel is a notice language in running text: its code and its name
// in the officer's language ("ara – арапски").
func (u *UI) noticeLabel(lang string) string {
	return lang + " – " + u.noticeLanguageName(lang)
}

// suggestNoticeLang picks the notice language for a person who speaks
// spoken (ISO 639-3, in the order the officer entered them): the first the
// notice is written in, or "".
func suggestNoticeLang(spoken []string) string {
	for _, l := range spoken {
		if notice.Known(l) {
			return l
		}
	}
	return ""
}

// showNotice shows the information notice in lang full-window, to hand
// the tablet to the person: the deployment's contacts, blank details (the
// receipt carries them).
func (u *UI) showNotice(lang string) {
	var c *trust.Contacts
	if u.dev != nil {
		c, _ = u.dev.Contacts() // without contacts the notice keeps blanks
	}
	n, err := notice.New(lang, c, notice.Person{})
	if err != nil {
		u.showError(u.noticeError(err))
		return
	}
	size := u.win.Canvas().Size()
	width := size.Width - 4*theme.Padding()
	// A4 proportions, drawn at twice the window's scale for sharp text.
	dpi := float64(width) / (210 / 25.4) * shapedPixels
	img, err := n.PageImage(0, dpi)
	if err != nil {
		u.showError(u.noticeError(err))
		return
	}
	ci := canvas.NewImageFromImage(img)
	ci.FillMode = canvas.ImageFillContain
	ci.SetMinSize(fyne.NewSize(width, width*297/210))
	title := u.Tf("notice.title", i18n.Args{"Language": u.noticeLabel(lang), "Version": n.Version})
	d := dialog.NewCustom(title, u.T("notice.close"), container.NewVScroll(ci), u.win)
	d.Resize(size)
	d.Show()
}

// noticeError is why the notice cannot be shown, in the officer's
// language.
func (u *UI) noticeError(err error) string {
	if errors.Is(err, notice.ErrUnknownLanguage) {
		return u.T("notice.unknown_language")
	}
	return u.Tf("notice.cannot_show", i18n.Args{"Error": u.plainError(err)})
}

// noticeGiven says whether the notice was given, in which language and
// version.
func (u *UI) noticeGiven(p *registry.Person) string {
	if !p.InformationNotice || p.NoticeLang == "" {
		return u.yesNo(p.InformationNotice)
	}
	return u.Tf("details.notice_given_in", i18n.Args{"Language": u.noticeLabel(p.NoticeLang), "Version": p.NoticeVersion})
}

// personLines are the receipt's readable lines in the person's language,
// shaped and ordered by textimg, for the person to read on the screen.
func personLines(rc *receipt.Receipt, tr *receipt.Translation) fyne.CanvasObject {
	size := textSize(tr.RTL)
	paras := []textimg.Paragraph{{Text: tr.Title, Size: size + 2, Bold: true}}
	for _, l := range rc.Lines() {
		if t := tr.Labels[l.Key]; t != "" {
			// The value is isolated so an ID or a date keeps its order
			// inside right-to-left text.
			paras = append(paras, textimg.Paragraph{Text: t + ": \u2068" + l.Value + "\u2069", Size: size, SpaceBefore: 2})
		}
	}
	paras = append(paras, textimg.Paragraph{Text: tr.Keep, Size: size, SpaceBefore: 6})
	lay, err := textimg.Lay(paras, textimg.Options{Lang: tr.Lang, RTL: tr.RTL, Width: 420})
	if err != nil {
		return widget.NewLabel("")
	}
	return shapedImage(lay)
}

// shapedImage draws a layout in the theme's text colour as an image of
// its size in Fyne units.
func shapedImage(lay *textimg.Layout) fyne.CanvasObject {
	pad := float64(theme.InnerPadding())
	w, h := int((lay.Width+2*pad)*shapedPixels)+1, int((lay.Height+pad)*shapedPixels)+1
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	lay.Draw(img, image.Pt(int(pad*shapedPixels), int(pad/2*shapedPixels)), 72*shapedPixels, theme.Color(theme.ColorNameForeground))
	ci := canvas.NewImageFromImage(img)
	ci.FillMode = canvas.ImageFillContain
	ci.SetMinSize(fyne.NewSize(float32(w)/shapedPixels, float32(h)/shapedPixels))
	return container.NewHBox(ci)
}
