package match

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/adrg/strutil/metrics"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  AL-HASSAN  ", "al hassan"},
		{"Sa'id  ʿAbd al‑Raḥmān", "said abd al rahman"},
		{"Müller Ñúñez Çelik", "muller nunez celik"},
		{"Đorđević Łukasz Straße Ærø", "djordjevic lukasz strasse aero"},
		{"ＡＢＤＵＬＬＡＨ", "abdullah"}, // full-width
		{"O'Neil-Smith, Jr.", "oneil smith jr"},
		// Cyrillic (ICAO 9303)
		{"Мухаммед Хусейн", "mukhammed khusein"},
		{"Юлия Щербакова", "iuliia shcherbakova"},
		{"Ђорђе Љубичић", "dorde ljubichic"},
		// Greek (ICAO 9303)
		{"Γιώργος Παπαδόπουλος", "giorgos papadopoulos"},
		{"ΕΥΑΓΓΕΛΟΣ", "evaggelos"},
		// Arabic: consonant skeleton, waw and yeh read in context
		{"محمد", "mhmd"},
		{"أحمد", "ahmd"},
		{"حسين", "hsin"},
		{"يوسف", "yusf"},
		{"عمر", "amr"},
		{"فاطمة", "fatma"},
		{"عبد الرحمن", "abd alrhmn"},
		{"مُحَمَّد", "mhmd"}, // vowel marks dropped
		// Persian
		{"حسین", "hsin"},
		{"پژمان", "pzhman"},
		{"گل", "gl"},
		{"۱۲۳٤", "1234"},
		// Scripts without a table are kept
		{"ዮናስ", "ዮናስ"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeLimit(t *testing.T) {
	long := strings.Repeat("ж", 10*MaxFieldBytes)
	if got := Normalize(long); len(got) > 2*MaxFieldBytes {
		t.Errorf("Normalize of a huge field gave %d bytes", len(got))
	}
	if got := Normalize("\xff\xfeabc\xff"); got != "abc" {
		t.Errorf("invalid UTF-8: got %q", got)
	}
}

func keyOf(name string) string {
	toks := nameTokens("", name)
	if len(toks) != 1 {
		return "?" + name
	}
	return toks[0].key
}

func TestPhoneticKeySame(t *testing.T) {
	groups := [][]string{
		{"Mohammed", "Muhammad", "Mohamed", "Mohammad", "Mouhamed", "Mohamud", "Muhamed", "Mohd", "Мухаммед", "محمد"},
		{"Hussein", "Hossein", "Husayn", "Husain", "Hussain", "Хусейн", "حسين"},
		{"Ahmed", "Ahmad", "Achmed", "Ahmet", "Akhmed", "أحمد"},
		{"Khaled", "Khalid", "Chaled", "Haled"},
		{"Qasim", "Kasim", "Kassem", "Qassim"},
		{"Yusuf", "Yousef", "Youssef", "Jusuf", "يوسف"},
		{"Wardak", "Vardak"},
		{"Fatima", "Fatimah", "Fatma", "Fadma", "Fatemeh", "فاطمة"},
		{"Hamza", "Hamsa"},
		{"Behzad", "Behsad"},
		{"Jamal", "Djamal", "Gamal"},
		{"Ghulam", "Golam", "Gulam"},
		{"Osman", "Othman", "Usman", "Uthman"},
		{"Omar", "Umar", "Omer"},
		{"Mustafa", "Mustapha", "Mostafa"},
		{"Abdulrahman", "Abdirahman", "Abdurrahman", "Abd al-Rahman", "Abdel Rahman", "Abdul Rahman"},
		{"Abdullah", "Abdallah", "Abdulla", "Abd Allah"},
		{"Ahmadi", "Ahmady", "Achmadi"},
		{"Ali", "Aly", "Alee"},
		{"Marwan", "Marouane", "Merwan"},
		{"Soraya", "Soraja"},
	}
	for _, g := range groups {
		want := keyOf(g[0])
		for _, n := range g[1:] {
			if got := keyOf(n); got != want {
				t.Errorf("key(%q) = %q, key(%q) = %q: want equal", g[0], want, n, got)
			}
		}
	}
	// French readings meet through the alternate key.
	for _, p := range [][2]string{{"Rachid", "Rashid"}, {"Aicha", "Aisha"}, {"Faycal", "Faisal"}, {"Chami", "Shami"}} {
		a, b := nameTokens("", p[0])[0], nameTokens("", p[1])[0]
		if !sameKey(&a, &b) {
			t.Errorf("%s and %s share no key (%q/%q, %q/%q)", p[0], p[1], a.key, a.alt, b.key, b.alt)
		}
	}
}

func TestPhoneticKeyDifferent(t *testing.T) {
	pairs := [][2]string{
		{"Ahmed", "Ahmadi"}, // nisba suffix makes another name
		{"Hussain", "Husseini"},
		{"Ahmed", "Omid"},
		{"Fatima", "Karim"},
		{"Hassan", "Hamid"},
	}
	for _, p := range pairs {
		if a, b := keyOf(p[0]), keyOf(p[1]); a == b {
			t.Errorf("%s and %s share key %q", p[0], p[1], a)
		}
	}
	// Same skeleton, different names: no variant credit.
	a, b := nameTokens("", "Hassan")[0], nameTokens("", "Hussein")[0]
	if tokenSim(&a, &b) >= simWeak {
		t.Errorf("Hassan ~ Hussein scored %.2f", tokenSim(&a, &b))
	}
}

func TestParticles(t *testing.T) {
	tests := []struct{ family, given, want string }{
		{"Al-Hassan", "", "hassan"},
		{"AL HASSAN", "", "hassan"},
		{"Alhassan", "", "hassan"},
		{"El Haddad", "", "haddad"},
		{"ash-Shami", "", "shami"},
		{"", "Salah ad-Din", "salah din"},
		{"", "Omar bin Khalid", "omar khalid"},
		{"", "Abd al Rahman", "abdrahman"},
		{"", "Abu Bakr", "abubakr"},
		{"Al", "", "al"},       // a field of particles alone is kept
		{"Almaz", "", "almaz"}, // too short to hide an article
		{"", "Mohd Ali", "muhammad ali"},
	}
	for _, tt := range tests {
		var got []string
		for _, tk := range nameTokens(tt.family, tt.given) {
			got = append(got, tk.base)
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("tokens(%q, %q) = %q, want %q", tt.family, tt.given, g, tt.want)
		}
	}
}

// person builds a test record; the people are invented.
func person(family, given, sex, dob, nat, doc string) Record {
	r := Record{FamilyName: family, GivenNames: given, Sex: sex, BirthDate: dob, DocumentNumber: doc}
	if nat != "" {
		r.Nationalities = []string{nat}
	}
	return r
}

func TestCompareSamePerson(t *testing.T) {
	tests := []struct {
		name string
		a, b Record
	}{
		{"transliteration", person("Testhussein", "Mohammed", "M", "1990-05-14", "SYR", ""), person("Testhossein", "Muhammad", "M", "1990-05-14", "SYR", "")},
		{"article", person("AL-EXAMPLI", "Yusuf", "M", "1988-03-02", "IRQ", ""), person("Exampli", "Youssef", "M", "1988-03-02", "IRQ", "")},
		{"joined article", person("Al Exampli", "Fatima", "F", "2001-07-30", "", ""), person("Alexampli", "Fatimah", "F", "2001-07-30", "", "")},
		{"swapped", person("Testkhan", "Usman", "M", "1979-11-23", "PAK", ""), person("Usman", "Testkhan", "M", "1979-11-23", "PAK", "")},
		{"father added", person("Fakerian", "Reza", "M", "1995-06-01", "IRN", ""), person("Fakerian", "Reza Ahmad", "M", "1995-06-01", "IRN", "")},
		{"placeholder", person("Dummyzai", "Ghulam", "M", "1992-08-17", "AFG", ""), person("Dummyzai", "Golam", "M", "1992-01-01", "AFG", "")},
		{"year off", person("Placeholdi", "Samir", "M", "1997-04-09", "SYR", ""), person("Placeholdi", "Sameer", "M", "1996-04-09", "SYR", "")},
		{"day month swapped", person("Mockery", "Aisha", "F", "1984-03-08", "SOM", ""), person("Mockery", "Aysha", "F", "1984-08-03", "SOM", "")},
		{"document OCR", person("Samplov", "Ivan", "M", "", "", "AB1050S8"), person("Samplov", "Ivan", "M", "1970", "", "A81O5058")},
		{"cyrillic", person("Тестов", "Мухаммед", "M", "1990-05-14", "", ""), person("Testov", "Mukhammed", "M", "1990-05-14", "", "")},
		{"arabic script", person("", "محمد", "M", "1990-05-14", "", "P1234567"), person("", "Mohammed", "M", "1990-05-14", "", "P1234567")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Compare(tt.a, tt.b)
			if res.Score < DefaultThreshold {
				t.Errorf("score %.3f below threshold; reasons %v", res.Score, res.Reasons)
			}
			if back := Compare(tt.b, tt.a); math.Abs(back.Score-res.Score) > 1e-9 {
				t.Errorf("not symmetric: %.4f vs %.4f", res.Score, back.Score)
			}
		})
	}
}

func TestCompareDifferentPeople(t *testing.T) {
	tests := []struct {
		name string
		a, b Record
	}{
		{"same common name, different dates", person("Testperson", "Mohammed", "M", "1990-05-14", "SYR", ""), person("Testperson", "Mohammed", "M", "1972-11-02", "SYR", "")},
		{"different names", person("Exampli", "Fatima", "F", "1990-05-14", "", ""), person("Dummyzai", "Karim", "M", "1990-05-14", "", "")},
		{"Hassan is not Hussein", person("Fakerian", "Hassan", "M", "1990-01-01", "", ""), person("Fakerian", "Hussein", "M", "1993-01-01", "", "")},
		{"different documents and dates", person("Mockery", "Ali", "M", "1985-02-03", "AFG", "N11112222"), person("Mockery", "Ali", "M", "1987-09-12", "AFG", "P99998888")},
		{"sex and date differ", person("Samplov", "Noor", "F", "2000-06-06", "", ""), person("Samplov", "Noor", "M", "1960-06-06", "", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := Compare(tt.a, tt.b); res.Score >= DefaultThreshold {
				t.Errorf("score %.3f at or above threshold; reasons %v", res.Score, res.Reasons)
			}
		})
	}
}

func TestCompareReasons(t *testing.T) {
	a := person("Testhussein", "Mohammed", "M", "1990-05-14", "SYR", "N1234567")
	b := person("Testhossein", "Muhammad", "F", "1990-01-01", "IRQ", "N1234567")
	res := Compare(a, b)
	fields := map[string]bool{}
	for _, r := range res.Reasons {
		fields[r.Field] = r.Agree
		if r.Detail() == "" {
			t.Errorf("reason %q without detail", r.Field)
		}
		for _, v := range []string{"hussein", "hossein", "N1234567", "SYR", "1990"} {
			if strings.Contains(strings.ToLower(r.Detail()), strings.ToLower(v)) {
				t.Errorf("reason %q leaks a value: %q", r.Field, r.Detail())
			}
		}
	}
	want := map[string]bool{"name": true, "birth date": true, "sex": false, "nationality": false, "document": true}
	for f, agree := range want {
		got, ok := fields[f]
		if !ok || got != agree {
			t.Errorf("reason %s: present=%v agree=%v, want agree=%v (all: %v)", f, ok, got, agree, res.Reasons)
		}
	}
	if res.Reasons[0].Field != "document" {
		t.Errorf("strongest reason first: got %v", res.Reasons)
	}
}

func TestCompareEmpty(t *testing.T) {
	res := Compare(Record{}, Record{})
	if res.Score < 0 || res.Score > DefaultThreshold || len(res.Reasons) != 0 {
		t.Errorf("empty records: %+v", res)
	}
}

func TestDateEvidence(t *testing.T) {
	tests := []struct {
		a, b  string
		agree bool
		min   float64 // weight at least
		max   float64 // and at most
	}{
		{"1990-05-14", "1990-05-14", true, wDateSame, wDateSame},
		{"1990-05-14", "1990-01-01", true, wDateSameYear, wDateSameYear},
		{"1990-05-14", "1990", true, wDateSameYear, wDateSameYear},
		{"1990-05-14", "1990-05", true, wDateSameMonth, wDateSameMonth},
		{"1990-05-14", "1990-14-05", true, wDateSwapped, wDateSwapped}, // impossible, read as written
		{"1955-11-29", "1955-11-92", true, wDateOneDigit, wDateOneDigit},
		{"1990-05-04", "1990-04-05", true, wDateSwapped, wDateSwapped},
		{"1990-05-14", "1991-05-14", true, wDateYearOff, wDateYearOff},
		{"1990-05-14", "1990-05-15", true, wDateOneDigit, wDateOneDigit},
		{"1990-05-14", "1990-09-23", false, -100, wDateYearOnlyAg},
		{"1990-05-14", "1975-02-27", false, -100, wDateDiffer},
		{"1990-01-01", "1991-06-07", true, wDateNearYear, wDateNearYear},
		{"1990-01-01", "1993", false, wDateFewYears, wDateFewYears},
		{"~1990", "1992-03-04", true, wDateEstClose, wDateEstClose},
		{"~1990", "1970", false, wDateEstFar, wDateEstFar},
	}
	for _, tt := range tests {
		w, d, ok := dateEvidence(parseBirthDate(tt.a), parseBirthDate(tt.b))
		if w < tt.min || w > tt.max || (w != 0 && ok != tt.agree) {
			t.Errorf("%s vs %s: weight %.2f (%s, agree %v), want in [%.2f, %.2f] agree %v", tt.a, tt.b, w, d, ok, tt.min, tt.max, tt.agree)
		}
	}
}

func TestParseBirthDate(t *testing.T) {
	for _, s := range []string{"", "1990", "1990-05", "1990-05-14", "~1990", "2000-02-29", " 1990 ", "1990-02-30", "1955-11-92", "1916-00-17"} {
		if !ValidBirthDate(s) {
			t.Errorf("ValidBirthDate(%q) = false", s)
		}
	}
	for _, s := range []string{"90", "1990-5-14", "~1990-01", "abcd", "1990-05-14-01", "1990/05/14", "0000", "-1990", "1990-+5-01", "1990-05-1x", "2500"} {
		if ValidBirthDate(s) {
			t.Errorf("ValidBirthDate(%q) = true", s)
		}
	}
}

func TestDocuments(t *testing.T) {
	tests := []struct {
		a, b   string
		detail Kind
	}{
		{"N1234567", "n 123-4567", DocumentSame},
		{"AB1050S8", "A81O5058", DocumentOCR},
		{"N1234567", "N1234667", DocumentOneSlip},
		{"N1234567", "N1243567", DocumentOneSlip}, // transposition
		{"N1234567", "P7654321", DocumentDifferent},
		{"N12", "N12", ""}, // too short to count
	}
	for _, tt := range tests {
		var a, b prepared
		a.docRaw, a.doc = normDocument(tt.a)
		b.docRaw, b.doc = normDocument(tt.b)
		if _, d, _ := docEvidence(&a, &b); d != tt.detail {
			t.Errorf("%q vs %q: %q, want %q", tt.a, tt.b, d, tt.detail)
		}
	}
}

func TestBlockingKeys(t *testing.T) {
	a := person("Al-Testhussein", "Mohammed", "M", "1990-05-14", "SYR", "N1234567")
	pairs := []Record{
		person("Testhossein", "Muhammad", "M", "1991-01-01", "", ""),     // year off
		person("Mohamed", "Testhusain", "M", "", "", ""),                 // swapped, no date
		person("Unrelatedname", "Otherone", "F", "1960", "", "N1234S67"), // document only, OCR
		person("Unrelatedname", "Otherone", "F", "1960", "", "N1234568"), // document, one slip
	}
	ka := BlockingKeys(a)
	if !slices.IsSorted(ka) || len(slices.Compact(slices.Clone(ka))) != len(ka) {
		t.Errorf("keys not sorted and unique: %v", ka)
	}
	if !slices.Equal(ka, BlockingKeys(a)) {
		t.Error("keys not deterministic")
	}
	for _, k := range ka {
		for _, raw := range []string{"hussein", "mohammed", "testhussein"} {
			if strings.Contains(strings.ToLower(k), raw) {
				t.Errorf("key %q contains the name", k)
			}
		}
	}
	for _, b := range pairs {
		kb := BlockingKeys(b)
		shared := false
		for _, k := range kb {
			if slices.Contains(ka, k) {
				shared = true
			}
		}
		if !shared {
			t.Errorf("no shared key between %v and %v:\n%v\n%v", a, b, ka, kb)
		}
	}
}

func TestIndexSearch(t *testing.T) {
	x := NewIndex()
	stored := []Record{
		person("Testhussein", "Mohammed", "M", "1990-05-14", "SYR", ""),
		person("Testhussein", "Mohammed", "M", "1961-02-02", "SYR", ""),
		person("Exampli", "Fatima", "F", "1990-05-14", "SYR", ""),
		person("Testhossein", "Muhammad Ali", "M", "1990-01-01", "", ""),
	}
	for i, r := range stored {
		r.ID = string(rune('A' + i))
		x.Add(r)
	}
	if x.Len() != len(stored) {
		t.Fatalf("Len = %d", x.Len())
	}
	q := person("Al-Testhussein", "Muhammad", "M", "1990-05-14", "", "")
	got := x.Search(q, 0)
	if len(got) == 0 || got[0].Record.ID != "A" {
		t.Fatalf("best match is not A: %+v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Score > got[i-1].Score {
			t.Errorf("not sorted best first: %v", got)
		}
	}
	if len(got[0].Reasons) == 0 {
		t.Error("no reasons")
	}
	if one := x.Search(q, 1); len(one) != 1 {
		t.Errorf("limit 1 gave %d", len(one))
	}
	for _, c := range x.Candidates(q) {
		if c.ID == "C" {
			t.Errorf("Fatima Exampli is a candidate for Muhammad Testhussein")
		}
	}
	dups := x.Duplicates(DefaultThreshold, 2)
	for _, p := range dups {
		if p.A.ID == "C" || p.B.ID == "C" {
			t.Errorf("unexpected duplicate %v", p)
		}
	}
}

func TestIndexConcurrent(t *testing.T) {
	x := NewIndex()
	done := make(chan bool)
	go func() {
		for i := 0; i < 200; i++ {
			x.Add(person("Testperson", "Mohammed", "M", "1990-05-14", "", ""))
		}
		done <- true
	}()
	for i := 0; i < 200; i++ {
		x.Search(person("Testperson", "Muhammad", "M", "1990", "", ""), 5)
	}
	<-done
}

func TestJaroWinklerAgreesWithStrutil(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	jw := metrics.NewJaroWinkler()
	word := func() string {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = "aehimnorsu"[rng.IntN(10)]
		}
		return string(b)
	}
	for i := 0; i < 20000; i++ {
		a, b := word(), word()
		if got, want := jaroWinkler(a, b), jw.Compare(a, b); math.Abs(got-want) > 1e-12 {
			t.Fatalf("jaroWinkler(%q, %q) = %v, strutil %v", a, b, got, want)
		}
	}
	if got, want := jaroWinkler("ḥasan", "hasan"), jw.Compare("ḥasan", "hasan"); got != want {
		t.Errorf("non-ASCII: %v vs %v", got, want)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"AL-HASSAN", "Мухаммед", "محمد بن سلمان", "Γιώργος", "ＡＢＣ", "\xff", "ʿAbd al-Raḥmān"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("bad spacing %q from %q", n, s)
		}
		if len(n) > 8*MaxFieldBytes {
			t.Fatalf("output of %d bytes", len(n))
		}
		for _, w := range strings.Fields(n) {
			tk := newToken(w, false)
			_ = phoneticKey(tk.base, true)
		}
	})
}

func FuzzCompare(f *testing.F) {
	f.Add("Al-Hassan", "Mohammed", "M", "1990-05-14", "SYR", "N123", "Hassan", "Muhammad", "F", "1990", "IRQ", "N12E")
	f.Add("", "", "", "~1990", "", "", "x", "y", "z", "1990-02-30", "s", "0OIl5S8B")
	f.Fuzz(func(t *testing.T, f1, g1, s1, d1, n1, doc1, f2, g2, s2, d2, n2, doc2 string) {
		a := Record{FamilyName: f1, GivenNames: g1, Sex: s1, BirthDate: d1, Nationalities: []string{n1}, DocumentNumber: doc1}
		b := Record{FamilyName: f2, GivenNames: g2, Sex: s2, BirthDate: d2, Nationalities: []string{n2}, DocumentNumber: doc2}
		res := Compare(a, b)
		if math.IsNaN(res.Score) || res.Score < 0 || res.Score > 1 {
			t.Fatalf("score %v", res.Score)
		}
		keys := BlockingKeys(a)
		if !slices.IsSorted(keys) {
			t.Fatalf("keys not sorted: %v", keys)
		}
		if ValidBirthDate(d1) != (strings.TrimSpace(d1) == "" || parseBirthDate(d1).known()) {
			t.Fatal("ValidBirthDate disagrees with the parser")
		}
	})
}
