package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// Sizes of fieldreg's own text styles.
const (
	sizeNameTitle   fyne.ThemeSizeName = "fieldreg-title"    // screen titles
	sizeNameRowLine fyne.ThemeSizeName = "fieldreg-row-line" // second line of a list row
)

// fieldTheme is the default Fyne theme with larger text and padding, so that
// buttons and inputs are at least about 48 px high: touch targets for tired
// fingers on a tablet.
type fieldTheme struct{ fyne.Theme }

func newTheme() fyne.Theme { return &fieldTheme{theme.DefaultTheme()} }

// Size is part of fyne.Theme.
func (t *fieldTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 16
	case theme.SizeNameInnerPadding:
		return 12
	case theme.SizeNamePadding:
		return 5
	case sizeNameTitle:
		return 24
	case sizeNameRowLine:
		return 15
	case theme.SizeNameHeadingText:
		return 20
	case theme.SizeNameSubHeadingText:
		return 16
	case theme.SizeNameCaptionText:
		return 13
	case theme.SizeNameInlineIcon:
		return 22
	case theme.SizeNameScrollBar:
		return 14
	}
	return t.Theme.Size(n)
}

// Color is part of fyne.Theme: warnings are a darker amber, readable on white.
func (t *fieldTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameWarning && v == theme.VariantLight {
		return amber
	}
	return t.Theme.Color(n, v)
}

// denseTheme packs read-only details (review, record detail, history)
// tighter than inputs need: more of a record fits on the screen.
type denseTheme struct{ fyne.Theme }

// Size is part of fyne.Theme.
func (t *denseTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInnerPadding:
		return 5
	case theme.SizeNamePadding:
		return 3
	}
	return t.Theme.Size(n)
}

// dense shows obj with the dense theme.
func dense(obj fyne.CanvasObject) fyne.CanvasObject {
	return container.NewThemeOverride(obj, &denseTheme{newTheme()})
}
