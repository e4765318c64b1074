package notice

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/fieldreg/fieldreg/internal/textimg"
	"github.com/fieldreg/fieldreg/trust"
)

// The OCR tests read renderings back with Tesseract, a reader that knows
// nothing of this code: a page whose letters are not joined, or whose words
// run the wrong way, is not read as the text it should show. They need the
// tesseract binary and its language data (Debian tesseract-ocr,
// tesseract-ocr-ara, -fas, -eng; the Makefile's test packages); without them
// they are skipped, except under CI where they are required.

// What "reads back" means: a character error rate (letters and digits
// only, so the spacing and punctuation the OCR guesses do not count) and a
// word error rate (a word is right only when its letters are joined as one
// word) under these limits. Measured with Tesseract 5.3 (docs/notice.md):
// the Arabic notice page reads back at 3.7 % CER and 5.9 % WER, Persian
// 1.5 % and 3.8 %, Urdu 2.2 % and 2.3 %; the Arabic page without joining
// at 6.5 % CER but 41 % WER (Tesseract knows isolated letter forms, but
// reads the letters of a word as separate words); reversed at 82 % CER and
// 100 % WER.
const (
	maxCER = 0.08
	maxWER = 0.15
	// A broken rendering must miss by a margin, not by chance.
	minBadWER = 0.30
)

// readsBack reports whether the OCR text got matches want closely enough.
func readsBack(want, got string) (ok bool, c, w float64) {
	c, w = cer(want, got), wer(want, got)
	return c <= maxCER && w <= maxWER, c, w
}

func needTesseract(t *testing.T, langs ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("OCR is slow: skipped with -short")
	}
	out, err := exec.Command("tesseract", "--list-langs").CombinedOutput()
	have := strings.Fields(string(out))
	for _, l := range langs {
		if err != nil || !slices.Contains(have, l) {
			if os.Getenv("CI") != "" || os.Getenv("FIELDREG_REQUIRE_OCR") != "" {
				t.Fatalf("tesseract with language %s is required (apt-get install tesseract-ocr tesseract-ocr-%s)", l, l)
			}
			t.Skipf("tesseract with language %s is not installed", l)
		}
	}
}

// ocr reads the PNG image with tesseract in langs (as "ara+eng").
func ocr(t *testing.T, png []byte, langs string) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "page.png")
	if err := os.WriteFile(in, png, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tesseract", in, "stdout", "-l", langs, "--psm", "6")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tesseract: %v: %s", err, stderr.String())
	}
	return string(out)
}

// letters keeps the letters and digits of s, NFKC-normalised (presentation
// forms become letters), Eastern Arabic digits as ASCII.
func letters(s string) []rune {
	var out []rune
	for _, r := range norm.NFKC.String(s) {
		switch {
		case r >= '٠' && r <= '٩':
			r = '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			r = '0' + (r - '۰')
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, r)
		}
	}
	return out
}

// words splits s into words of letters and digits (as letters keeps them).
func words(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		if l := letters(w); len(l) > 0 {
			out = append(out, string(l))
		}
	}
	return out
}

// editDistance is the Levenshtein distance of two sequences.
func editDistance[T comparable](a, b []T) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// wer is the word error rate of got against want.
func wer(want, got string) float64 {
	a := words(want)
	if len(a) == 0 {
		return 1
	}
	return float64(editDistance(a, words(got))) / float64(len(a))
}

// cer is the character error rate of got against want: the edit distance
// of their letters over the number of letters wanted.
func cer(want, got string) float64 {
	a := letters(want)
	if len(a) == 0 {
		return 1
	}
	return float64(editDistance(a, letters(got))) / float64(len(a))
}

func TestCER(t *testing.T) {
	for _, c := range []struct {
		want, got string
		cer       float64
	}{
		{"abc", "abc", 0}, {"abcd", "abxd", 0.25}, {"abcd", "", 1}, {"سلام", "سلام", 0},
		{"ab, c", "a b c!", 0}, {"١٢", "12", 0}, {"ﻻ", "لا", 0},
	} {
		if got := cer(c.want, c.got); got != c.cer {
			t.Errorf("cer(%q, %q) = %v, want %v", c.want, c.got, got, c.cer)
		}
	}
}

// mapText applies f to every paragraph of the notice.
func mapText(n *Notice, f func(string) string) *Notice {
	m := *n
	m.Title, m.Intro, m.Footer = f(n.Title), f(n.Intro), f(n.Footer)
	m.Sections = nil
	for _, s := range n.Sections {
		ms := Section{Heading: f(s.Heading)}
		for _, b := range s.Body {
			ms.Body = append(ms.Body, f(b))
		}
		m.Sections = append(m.Sections, ms)
	}
	return &m
}

// unshaped breaks every join: a zero-width non-joiner between letters
// gives each letter its isolated form, as a renderer without shaping would.
func unshaped(s string) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if i > 0 && unicode.IsLetter(r) {
			b.WriteRune('\u200c')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// reversed reverses each paragraph, so the letters are drawn in the wrong
// direction, as a renderer that lays Arabic out left to right would.
func reversed(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

func pagePNG(t *testing.T, n *Notice) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := n.PNG(&buf, 150); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pageText is the text of the notice's first page.
func pageText(t *testing.T, n *Notice) string {
	t.Helper()
	pages, err := n.Pages()
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 {
		t.Fatalf("the notice takes %d pages; the OCR check compares the first with the whole text", len(pages))
	}
	return n.Text()
}

func TestOCRArabicNotice(t *testing.T) {
	needTesseract(t, "ara")
	n, err := New("ara", nil, Person{})
	if err != nil {
		t.Fatal(err)
	}
	want := pageText(t, n)
	for _, c := range []struct {
		name string
		n    *Notice
		good bool
	}{
		{"shaped", n, true},
		{"unshaped", mapText(n, unshaped), false},
		{"reversed", mapText(n, reversed), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := ocr(t, pagePNG(t, c.n), "ara")
			ok, cr, wr := readsBack(want, got)
			t.Logf("%s: character error rate %.3f, word error rate %.3f", c.name, cr, wr)
			if c.good && !ok {
				t.Errorf("the OCR reads the notice with %.1f %% character and %.1f %% word errors (at most %.0f %% and %.0f %%):\n%s",
					100*cr, 100*wr, 100*maxCER, 100*maxWER, got)
			}
			if !c.good && (ok || wr < minBadWER) {
				t.Errorf("the OCR reads a broken rendering with only %.1f %% character and %.1f %% word errors: the check cannot tell it from a good one", 100*cr, 100*wr)
			}
		})
	}
}

func TestOCRPersianUrdu(t *testing.T) {
	for _, lang := range []string{"fas", "urd"} {
		t.Run(lang, func(t *testing.T) {
			needTesseract(t, lang)
			t.Parallel()
			n, err := New(lang, nil, Person{})
			if err != nil {
				t.Fatal(err)
			}
			want := pageText(t, n)
			got := ocr(t, pagePNG(t, n), lang)
			ok, cr, wr := readsBack(want, got)
			t.Logf("%s: character error rate %.3f, word error rate %.3f", lang, cr, wr)
			if !ok {
				t.Errorf("the OCR reads the %s notice with %.1f %% character and %.1f %% word errors:\n%s", lang, 100*cr, 100*wr, got)
			}
		})
	}
}

// TestOCRMixedDirections reads back a line of Arabic holding a
// registration ID, a date and a Latin name: each must come out whole and
// in its own left-to-right order, in the right place of the sentence.
func TestOCRMixedDirections(t *testing.T) {
	needTesseract(t, "ara", "eng")
	n, err := New("ara", &trust.Contacts{Controller: "Ministry of Security", ControllerContact: "info@example.ba",
		DPO: "dpo@example.ba", Supervisor: "Data Protection Agency", SupervisorContact: "agency@example.ba"},
		Person{ID: "BIH-7KQ4-M2XD-9TRC", Date: "2026-12-03", Place: "BIH-VK-01"})
	if err != nil {
		t.Fatal(err)
	}
	lay, err := textimg.Lay([]textimg.Paragraph{{Text: n.Intro, Size: 12}, {Text: n.Sections[0].Body[0], Size: 12}},
		textimg.Options{Lang: "ar", RTL: true, Width: 460})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, lay.Image(200, 10)); err != nil {
		t.Fatal(err)
	}
	got := ocr(t, buf.Bytes(), "ara+eng")
	t.Log(got)
	flat := strings.Join(strings.Fields(got), " ")
	for _, want := range []string{"BIH-7KQ4-M2XD-9TRC", "2026-12-03", "BIH-VK-01", "Ministry of Security", "info@example.ba"} {
		if !strings.Contains(flat, want) {
			t.Errorf("%q does not read back whole and in order from the rendering", want)
		}
	}
	// In logical order the ID comes before the date, as in the sentence.
	if i, j := strings.Index(flat, "BIH-7KQ4"), strings.Index(flat, "2026-12-03"); i < 0 || j < 0 || i > j {
		t.Errorf("the ID and the date are not read in the sentence's order")
	}
}
