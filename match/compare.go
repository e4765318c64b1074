package match

import (
	"math"
	"sort"
	"strings"
)

// Record is what the matcher knows of one registration. All fields are
// optional; missing data is neutral evidence, never a disagreement.
type Record struct {
	ID         string // opaque; not compared
	FamilyName string
	GivenNames string
	Sex        string // "M", "F"; anything else reads as unknown
	// BirthDate is YYYY-MM-DD, YYYY-MM, YYYY, ~YYYY (estimated) or "".
	// Malformed dates read as unknown.
	BirthDate     string
	Nationalities []string // ISO 3166-1 alpha-3 or ICAO codes; XXX is unknown
	// DocumentNumber is a travel or identity document number as written.
	DocumentNumber string
}

// Result is the outcome of comparing two records.
type Result struct {
	// Score is the estimated probability, in [0, 1], that the two records
	// are the same person.
	Score float64
	// Reasons lists the fields that agree or disagree, strongest first.
	// Fields missing on either side are left out.
	Reasons []Reason
}

// DefaultThreshold is the score from which a pair is proposed as the same
// person. Scores are calibrated so that at this threshold the evidence for
// and against is even.
const DefaultThreshold = 0.5

// Compare scores how likely a and b are the same person. It is symmetric,
// never fails, and treats malformed fields as missing.
func Compare(a, b Record) Result {
	pa, pb := prepare(a), prepare(b)
	return compare(&pa, &pb, nil, true)
}

// Evidence weights, in natural log-odds. They were set from what each field
// is known to carry (how often it agrees for one person and by chance for two)
// and checked on the development sets; see docs/matching.md.
const (
	wTokenExact    = 2.6  // a name word spelt the same
	wTokenVariant  = 2.1  // a transliteration variant (same phonetic key or JW >= simVariant)
	wTokenWeak     = 0.8  // a similar word (JW >= simWeak)
	wTokenDisagree = -3.5 // a word on both sides with no counterpart
	wTokenExtra    = -1.0 // an extra word on one side (father's name added)
	wNoNameMatch   = -3.0 // no name word in common at all
	wSwapped       = -0.5 // family matched given: it happens, but less often than not

	wDateSame       = 7.0  // same full date, not 1 January
	wDateSameJan1   = 3.0  // same 1 January (often a placeholder)
	wDateSwapped    = 4.5  // day and month swapped
	wDateYearOff    = 4.5  // same day and month, year differs by one
	wDateOneDigit   = 1.0  // one digit differs
	wDateSameYear   = 2.5  // same year, one side has only the year or 1 January
	wDateFewYears   = -0.5 // two or three years apart, one side approximate
	wDateFarYears   = -2.0 // four or five years apart, one side approximate
	wDateSameMonth  = 3.0  // same year and month, one side has no day
	wDateNearYear   = 0.3  // a year apart, one side approximate
	wDateYearOnlyAg = -3.5 // same year but month or day disagree
	wDateDiffer     = -4.0 // dates disagree
	wDateEstClose   = 0.4  // estimated year within two years
	wDateEstFar     = -1.5 // estimated year more than five years off

	wSexSame   = 0.3
	wSexDiffer = -2.5

	wNatShared   = 0.3
	wNatDisjoint = -1.0

	wDocSame     = 11.0 // same number of at least docLongLen characters
	wDocOCR      = 10.0 // the same up to OCR confusions
	wDocShort    = 6.0  // same (or OCR-same) number of fewer characters
	docLongLen   = 6
	wDocOneSlip  = 3.0 // one character differs or two are transposed
	wDocDiffer   = -1.2
	scoreOffset  = 5.5 // log-odds of the evidence at which Score is 0.5
	simVariant   = 0.92
	simWeak      = 0.85
	keyMatchSim  = 0.93 // similarity credited to equal phonetic keys
	maxNameWords = 12   // words beyond this are ignored
)

// prepared is a record folded for comparison.
type prepared struct {
	tokens []nameToken
	joins  []joined // adjacent words of one field written as one
	dob    birthDate
	sex    byte
	nats   []string
	doc    string // OCR-folded document number
	docRaw string // document number, letters and digits only
}

// joined is two adjacent tokens (i, i+1) read as one word.
type joined struct {
	tok nameToken
	i   int
}

func prepare(r Record) prepared {
	p := prepared{
		tokens: nameTokens(r.FamilyName, r.GivenNames),
		dob:    parseBirthDate(r.BirthDate),
		sex:    normSex(r.Sex),
	}
	p.docRaw, p.doc = normDocument(r.DocumentNumber)
	if len(p.tokens) > maxNameWords {
		p.tokens = p.tokens[:maxNameWords]
	}
	for i := 0; i+1 < len(p.tokens); i++ {
		a, b := p.tokens[i], p.tokens[i+1]
		if a.family == b.family {
			p.joins = append(p.joins, joined{tok: newToken(a.full+b.full, a.family), i: i})
		}
	}
	for _, n := range r.Nationalities {
		if c := normNationality(n); c != "" {
			p.nats = append(p.nats, c)
		}
	}
	return p
}

func normSex(s string) byte {
	s = strings.ToUpper(strings.TrimSpace(truncate(s, MaxFieldBytes)))
	switch s {
	case "M", "MALE":
		return 'M'
	case "F", "FEMALE":
		return 'F'
	}
	return 0
}

func normNationality(s string) string {
	s = strings.ToUpper(strings.TrimSpace(truncate(s, MaxFieldBytes)))
	if len(s) != 3 || s == "XXX" {
		return ""
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return ""
		}
	}
	return s
}

// normDocument folds a document number: upper case, only ASCII letters and
// digits, and the letters OCR and hand copying confuse with digits read as
// those digits (O->0, I->1, L->1, S->5, B->8, Z->2, Q->0, D->0, G->6).
// It returns the number with only letters and digits, and its folded form;
// both are empty when fewer than four characters remain.
func normDocument(s string) (raw, folded string) {
	s = truncate(s, MaxFieldBytes)
	var r, f strings.Builder
	for _, c := range strings.ToUpper(s) {
		switch {
		case c >= '0' && c <= '9':
			r.WriteRune(c)
			f.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			r.WriteRune(c)
			if d, ok := ocrDigit[c]; ok {
				c = d
			}
			f.WriteRune(c)
		}
	}
	if r.Len() < 4 {
		return "", "" // too short to be evidence
	}
	return r.String(), f.String()
}

var ocrDigit = map[rune]rune{
	'O': '0', 'Q': '0', 'D': '0', 'I': '1', 'L': '1', 'S': '5', 'B': '8',
	'Z': '2', 'G': '6',
}

// tokenSim is the similarity of two name words in [0, 1].
func tokenSim(a, b *nameToken) float64 {
	if a.full == b.full || a.base == b.base {
		return 1
	}
	s := jaroWinkler(a.base, b.base)
	if s < keyMatchSim && sameKey(a, b) && variantVowels(a, b) {
		s = keyMatchSim
	}
	return s
}

// pair is a candidate alignment of words: masks of the tokens covered and
// their phonetic keys.
type pair struct {
	sim    float64
	ma, mb uint32
	ka, kb string
}

// nameFreq counts, for term-frequency weighting, how many of n records carry
// each phonetic key: agreeing on a name half the people have proves little,
// agreeing on a rare one proves a lot. A nil *nameFreq gives the default
// weight to every name.
type nameFreq struct {
	counts map[string]int32
	n      int
}

// Term-frequency parameters. The chance agreement of a name word is
// estimated as its share of records, smoothed towards the default with
// tfPrior pseudo-records so a small index does not overrate rare names.
const (
	mToken    = 0.95 // how often one person's word agrees with itself
	tfPrior   = 200
	wTokenMin = 0.7
	wTokenMax = 4.5
)

// agreeWeight is the log-odds of two words agreeing, given their keys.
func (f *nameFreq) agreeWeight(ka, kb string) float64 {
	if f == nil || f.n == 0 {
		return wTokenExact
	}
	c := max(f.counts[ka], f.counts[kb])
	uDefault := mToken / math.Exp(wTokenExact)
	u := (float64(c) + tfPrior*uDefault) / (float64(f.n) + tfPrior)
	return min(max(math.Log(mToken/u), wTokenMin), wTokenMax)
}

func (f *nameFreq) add(p *prepared) {
	var keys []string
	for _, t := range p.tokens {
		if !contains(keys, t.key) {
			keys = append(keys, t.key)
			f.counts[t.key]++
		}
	}
	for i := range keys {
		for j := i + 1; j < len(keys) && j < maxPairWords; j++ {
			f.counts[pairOf(keys[i], keys[j])]++
		}
	}
	f.n++
}

// pairCount looks up a pair without building its key on the heap.
func (f *nameFreq) pairCount(a, b string) int32 {
	if a > b {
		a, b = b, a
	}
	var buf [64]byte
	k := append(append(append(buf[:0], a...), '+'), b...)
	return f.counts[string(k)]
}

func pairOf(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "+" + b
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pairWeight is the log-odds of two records agreeing on two name words
// together. Names are not independent (they run in families and origins),
// so the pair's own frequency is a better measure than the sum of the words'.
func (f *nameFreq) pairWeight(a1, a2, b1, b2 string) (float64, bool) {
	if f == nil || f.n == 0 {
		return 0, false
	}
	c := max(f.pairCount(a1, a2), f.pairCount(b1, b2))
	uDefault := mToken * mToken / math.Exp(2*wTokenExact)
	u := (float64(c) + tfPrior*uDefault) / (float64(f.n) + tfPrior)
	return math.Log(mToken * mToken / u), true
}

// nameEvidence aligns the name words of a and b as sets (order and field do
// not matter) and returns the log-odds and a reason.
func nameEvidence(a, b *prepared, freq *nameFreq, reasons bool) (float64, Reason, bool) {
	al, ok := alignNames(a, b, freq)
	if !ok {
		return 0, Reason{}, false
	}
	w := al.weight()
	r := Reason{Field: FieldName, Agree: w > 0, Kind: NamesCompared}
	if al.matched() == 0 {
		r.Kind = NamesNone
	}
	if reasons {
		r.Names = NameCounts{Total: al.total, Exact: al.exact, Variant: al.variant, Similar: al.weak,
			Differ: al.disagree, Extra: al.extra, Swapped: al.swapped}
	}
	return w, r, true
}

// alignNames matches the words of two names greedily, best pairs first; ok
// is false when either name is empty.
func alignNames(a, b *prepared, freq *nameFreq) (al nameAlign, ok bool) {
	if len(a.tokens) == 0 || len(b.tokens) == 0 {
		return al, false
	}
	var pbuf [48]pair
	pairs := pbuf[:0]
	for i := range a.tokens {
		for j := range b.tokens {
			if s := tokenSim(&a.tokens[i], &b.tokens[j]); s >= simWeak {
				pairs = append(pairs, pair{s, 1 << i, 1 << j, a.tokens[i].key, b.tokens[j].key})
			}
		}
	}
	// Words written apart on one side and together on the other.
	for _, x := range a.joins {
		for j := range b.tokens {
			if s := joinSim(&x.tok, &b.tokens[j]); s >= simVariant {
				pairs = append(pairs, pair{s, 3 << x.i, 1 << j, x.tok.key, b.tokens[j].key})
			}
		}
	}
	for _, x := range b.joins {
		for i := range a.tokens {
			if s := joinSim(&x.tok, &a.tokens[i]); s >= simVariant {
				pairs = append(pairs, pair{s, 1 << i, 3 << x.i, a.tokens[i].key, x.tok.key})
			}
		}
	}
	// Stable insertion sort, best first: few pairs, and no allocation.
	for i := 1; i < len(pairs); i++ {
		for j := i; j > 0 && pairs[j].sim > pairs[j-1].sim; j-- {
			pairs[j], pairs[j-1] = pairs[j-1], pairs[j]
		}
	}

	var usedA, usedB uint32
	var kbuf [24]string
	keys := kbuf[:0]
	type hit struct {
		ka, kb string
		w      float64
	}
	var hbuf [12]hit
	hits := hbuf[:0]
	for _, p := range pairs {
		if usedA&p.ma != 0 || usedB&p.mb != 0 {
			continue
		}
		usedA |= p.ma
		usedB |= p.mb
		agree := freq.agreeWeight(p.ka, p.kb)
		for _, k := range keys {
			if k == p.ka || k == p.kb {
				// A repeated name (Yonas Yonas) proves little twice.
				agree = wTokenMin
			}
		}
		keys = append(keys, p.ka, p.kb)
		if agree > wTokenMin {
			hits = append(hits, hit{p.ka, p.kb, agree})
		}
		switch {
		case p.sim >= 1:
			al.exact++
		case p.sim >= simVariant:
			al.variant++
			agree -= wTokenExact - wTokenVariant
		default:
			al.weak++
			agree = min(agree, wTokenExact) - (wTokenExact - wTokenWeak)
		}
		al.agree += agree
		if a.tokens[lowBit(p.ma)].family != b.tokens[lowBit(p.mb)].family {
			al.swapped = true
		}
	}
	// Replace the two strongest words' weights by their pair's, if lower.
	if len(hits) >= 2 {
		for i := 1; i < len(hits); i++ {
			for j := i; j > 0 && hits[j].w > hits[j-1].w; j-- {
				hits[j], hits[j-1] = hits[j-1], hits[j]
			}
		}
		h1, h2 := hits[0], hits[1]
		if pw, ok := freq.pairWeight(h1.ka, h2.ka, h1.kb, h2.kb); ok && pw < h1.w+h2.w {
			al.agree -= h1.w + h2.w - pw
		}
	}
	ua := len(a.tokens) - popcount(usedA)
	ub := len(b.tokens) - popcount(usedB)
	al.disagree, al.extra = min(ua, ub), abs(ua-ub)
	al.total = max(len(a.tokens), len(b.tokens))
	return al, true
}

// nameAlign is the outcome of aligning two names word by word.
type nameAlign struct {
	exact, variant, weak int     // matched words by quality
	agree                float64 // summed log-odds of the matched words
	disagree, extra      int     // unmatched words: on both sides, on one
	total                int     // words in the longer name
	swapped              bool    // a family word matched a given word
}

func (al *nameAlign) matched() int { return al.exact + al.variant + al.weak }

func (al *nameAlign) weight() float64 {
	if al.matched() == 0 {
		return wNoNameMatch
	}
	w := al.agree + float64(al.disagree)*wTokenDisagree + float64(al.extra)*wTokenExtra
	if al.swapped {
		w += wSwapped
	}
	return w
}

// joinSim compares a joined word with a single word; only worth computing
// when the lengths are close.
func joinSim(j, t *nameToken) float64 {
	if d := len(j.base) - len(t.base); d > 3 || d < -3 {
		return 0
	}
	return tokenSim(j, t)
}

func lowBit(m uint32) int {
	for i := 0; i < 32; i++ {
		if m&(1<<i) != 0 {
			return i
		}
	}
	return 0
}

func popcount(m uint32) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

// dateEvidence compares dates of birth with their precision. A date known
// only to the year, a 1 January (the usual placeholder when only the year is
// known) and an estimated year are approximate: ages of people without
// papers are estimated, so a few years apart is weak evidence against.
func dateEvidence(a, b birthDate) (float64, Kind, bool) {
	if !a.known() || !b.known() {
		return 0, "", false
	}
	dy := abs(a.year - b.year)
	if a.estimated || b.estimated {
		switch {
		case dy <= 2:
			return wDateEstClose, DateEstimatedClose, true
		case dy <= 5:
			return 0, "", false
		}
		return wDateEstFar, DateEstimatedFarOff, false
	}
	exact := func(d birthDate) bool { return d.full() && !d.placeholder() }
	if exact(a) && exact(b) {
		switch {
		case a == b:
			return wDateSame, DateSame, true
		case dy == 0 && a.month == b.day && a.day == b.month:
			return wDateSwapped, DateSwapped, true
		case dy == 1 && a.month == b.month && a.day == b.day:
			return wDateYearOff, DateYearApart, true
		case dy == 2 && a.month == b.month && a.day == b.day:
			return wDateYearOff - 1, DateTwoYearsApart, true
		case dy == 1 && a.month == b.day && a.day == b.month:
			return wDateSwapped - 1, DateSwappedYear, true
		case oneSlip(dateDigits(a), dateDigits(b)):
			return wDateOneDigit, DateOneSlip, true
		case dy == 0:
			return wDateYearOnlyAg, DateSameYearOnly, false
		}
		return wDateDiffer, DateDifferent, false
	}
	switch {
	case a == b && a.placeholder():
		return wDateSameJan1, DateSameJan1, true
	case dy == 0 && a.month != 0 && a.month == b.month && !a.placeholder() && !b.placeholder():
		return wDateSameMonth, DateSameYearMonth, true
	case dy == 0:
		return wDateSameYear, DateSameYear, true
	case dy == 1:
		return wDateNearYear, DateNearYear, true
	case dy <= 3:
		return wDateFewYears, DateFewYears, false
	case dy <= 5:
		return wDateFarYears, DateFourFiveYears, false
	}
	return wDateDiffer, DateDifferent, false
}

// docEvidence compares document numbers.
func docEvidence(pa, pb *prepared) (float64, Kind, bool) {
	a, b := pa.doc, pb.doc
	if a == "" || b == "" {
		return 0, "", false
	}
	if a == b {
		// Two people share a number of six or more characters by chance
		// about once in a million pairs, whatever their names: an
		// identical long number outweighs a date or a name written
		// differently (ln(0.95/1e-5) is 11.5). Short numbers say less.
		same, ocr := wDocSame, wDocOCR
		if len(a) < docLongLen {
			same, ocr = wDocShort, wDocShort-1
		}
		if pa.docRaw == pb.docRaw {
			return same, DocumentSame, true
		}
		return ocr, DocumentOCR, true
	}
	if oneSlip(a, b) {
		return wDocOneSlip, DocumentOneSlip, true
	}
	return wDocDiffer, DocumentDifferent, false
}

// oneSlip reports strings of equal length that differ in one position or by
// one transposition of neighbours.
func oneSlip(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	first := -1
	diffs := 0
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] {
			if diffs == 0 {
				first = i
			}
			diffs++
		}
	}
	switch diffs {
	case 1:
		return true
	case 2:
		i := first
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i]
	}
	return false
}

// compare scores two prepared records. Reasons are only built when asked:
// scoring many candidates does not need them.
func compare(a, b *prepared, freq *nameFreq, reasons bool) Result {
	var total float64
	var rs []Reason
	var ws []float64
	add := func(w float64, r Reason) {
		total += w
		if reasons {
			rs = append(rs, r)
			ws = append(ws, math.Abs(w))
		}
	}
	if w, r, ok := nameEvidence(a, b, freq, reasons); ok {
		add(w, r)
	}
	if w, k, ok := dateEvidence(a.dob, b.dob); ok || w != 0 {
		add(w, Reason{Field: FieldBirthDate, Agree: ok, Kind: k})
	}
	if a.sex != 0 && b.sex != 0 {
		if a.sex == b.sex {
			add(wSexSame, Reason{Field: FieldSex, Agree: true, Kind: SexSame})
		} else {
			add(wSexDiffer, Reason{Field: FieldSex, Agree: false, Kind: SexDifferent})
		}
	}
	if len(a.nats) > 0 && len(b.nats) > 0 {
		if shareAny(a.nats, b.nats) {
			add(wNatShared, Reason{Field: FieldNationality, Agree: true, Kind: NationalityShared})
		} else {
			add(wNatDisjoint, Reason{Field: FieldNationality, Agree: false, Kind: NationalityDifferent})
		}
	}
	if w, k, ok := docEvidence(a, b); ok || w != 0 {
		add(w, Reason{Field: FieldDocument, Agree: ok, Kind: k})
	}
	res := Result{Score: 1 / (1 + math.Exp(scoreOffset-total))}
	if reasons {
		idx := make([]int, len(rs))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(i, j int) bool { return ws[idx[i]] > ws[idx[j]] })
		res.Reasons = make([]Reason, len(rs))
		for i, k := range idx {
			res.Reasons[i] = rs[k]
		}
	}
	return res
}

func shareAny(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
