package assets

import (
	"embed"
	"io/fs"
)

// fontFiles holds the Noto fonts the text renderer (internal/textimg) shapes
// the person's language with, and their licence (fonts/OFL.txt, SIL Open
// Font Licence 1.1, shipped with every binary that embeds them).
//
//go:embed fonts/*.ttf fonts/OFL.txt
var fontFiles embed.FS

// Fonts returns the embedded font files: fonts/NotoSans-Regular.ttf (Latin,
// Greek, Cyrillic) and -Bold, fonts/NotoNaskhArabic-Regular.ttf and -Bold,
// fonts/NotoSansBengali-Regular.ttf, fonts/NotoSansEthiopic-Regular.ttf, and
// fonts/OFL.txt.
func Fonts() fs.FS { return fontFiles }

// FontLicence returns the text of the fonts' licence (SIL OFL 1.1).
func FontLicence() string {
	b, _ := fontFiles.ReadFile("fonts/OFL.txt")
	return string(b)
}
