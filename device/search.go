package device

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/fieldreg/fieldreg/crypto/blind"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// minPrefix is the shortest word prefix that finds a name ("Moh" finds
// "Mohammed"); shorter words must match a whole name part.
const minPrefix = 3

// letters that do not decompose under NFKD but have an obvious base form.
var foldExtra = strings.NewReplacer("ß", "ss", "ø", "o", "æ", "ae", "œ", "oe", "ł", "l", "đ", "d", "ı", "i", "þ", "th", "ð", "d", "ħ", "h")

// folders hold the transform chains of FoldText (about 1 KiB of buffers
// each), reused from one text to the next: transform.String resets a chain
// before it reads anything.
var folders = sync.Pool{New: func() any {
	return transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// FoldText lowers case and removes diacritics: "Ćorić" -> "coric".
func FoldText(s string) string {
	if isASCII(s) {
		// Nothing to decompose or replace: the common case, and the
		// transform chain is most of the cost of indexing a record.
		return strings.ToLower(s)
	}
	t := folders.Get().(transform.Transformer)
	defer folders.Put(t)
	out, _, err := transform.String(t, strings.ToLower(s)) // String resets t first
	if err != nil {
		out = strings.ToLower(s)
	}
	return foldExtra.Replace(out)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// words splits folded text into name parts.
func words(s string) []string {
	return strings.FieldsFunc(FoldText(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// NormalizeDocument keeps only letters and digits, upper-cased, with the
// OCR-prone letters O and I read as digits.
func NormalizeDocument(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == 'O':
			b.WriteByte('0')
		case r == 'I':
			b.WriteByte('1')
		case (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// searchTokensPerPerson is about how many search tokens a person has: the
// room made for them.
const searchTokensPerPerson = 32

// appendSearchTokens appends p's search tokens to out, their bytes to slab
// (each token a full slice expression of it, so no append to one reaches
// another, sharing no memory with x), and returns both: a record's search
// and match tokens share one array that way (recordTokens). The tokens:
// each name part, each name part's prefixes of at least minPrefix letters,
// the document number, the category and the vulnerabilities.
func appendSearchTokens(x *blind.Indexer, p *registry.Person, slab []byte, out [][]byte) ([]byte, [][]byte) {
	type kv struct{ kind, v string }
	var seen [48]kv // what the tokens so far stand for; a person has about 25
	made := seen[:0]
	add := func(kind, v string) {
		if v == "" || slices.Contains(made, kv{kind, v}) {
			return
		}
		made = append(made, kv{kind, v})
		n := len(slab)
		slab = x.AppendToken(slab, kind, v)
		out = append(out, slab[n:len(slab):len(slab)])
	}
	name := func(n string) {
		for _, w := range words(n) {
			add("name", w)
			// The prefixes of w of minPrefix runes and more, short of w itself.
			for i, runes := 0, 0; i < len(w); {
				_, size := utf8.DecodeRuneInString(w[i:])
				i += size
				if runes++; runes >= minPrefix && i < len(w) {
					add("prefix", w[:i])
				}
			}
		}
	}
	name(p.FamilyName)
	name(p.GivenNames)
	name(p.OriginalScriptName)
	for _, a := range p.Aliases {
		name(a)
	}
	add("doc", NormalizeDocument(p.Document.Number))
	add("cat", p.Category)
	for _, v := range p.Vulnerabilities {
		add("vuln", v)
	}
	if len(p.Vulnerabilities) > 0 {
		add("vuln", "any")
	}
	return slab, out
}

// Query selects records in the records list. Every set criterion must hold.
type Query struct {
	Text          string    // name words, registration ID or document number
	Category      string    // one of registry.Categories
	Vulnerability string    // one of registry.Vulnerabilities, or "any"
	From, To      time.Time // registration time window [From, To); zero for open
	Limit         int       // 0 for no limit
}

// ErrDayFormat is returned by SetDays for a date that is not YYYY-MM-DD.
var ErrDayFormat = errors.New("type dates as YYYY-MM-DD, e.g. 2025-03-14")

// SetDays sets the registration window to the calendar days from and to
// (YYYY-MM-DD, both included, in loc; either may be empty for an open
// end), as officers mean "from 3 March to 5 March". On error q is unchanged.
func (q *Query) SetDays(from, to string, loc *time.Location) error {
	day := func(s string) (time.Time, error) {
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			var y, m, d int
			if n, _ := fmt.Sscanf(s, "%4d-%2d-%2d", &y, &m, &d); n == 3 && len(s) == 10 {
				return time.Time{}, fmt.Errorf("%s does not exist", s)
			}
			return time.Time{}, ErrDayFormat
		}
		return t, nil
	}
	f, err := day(from)
	if err != nil {
		return err
	}
	t, err := day(to)
	if err != nil {
		return err
	}
	if !t.IsZero() {
		t = t.AddDate(0, 0, 1) // the whole "to" day counts
	}
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		return errors.New("the first day is after the last day")
	}
	q.From, q.To = f, t
	return nil
}

// Search returns the registration IDs that match q, newest first. Names are
// matched case- and accent-insensitively by whole name part or by prefix of
// at least three letters; all words must match. Text that is a registration ID
// (or its beginning) or a document number finds those too. The search runs on
// blind indexes: nothing is decrypted to search.
func (s *Session) Search(q Query) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var x *blind.Indexer
	if err := s.withKeys(func(k *keys) error { x = blind.New(k.search); return nil }); err != nil {
		return nil, err
	}
	base := store.Filter{Limit: q.Limit}
	if q.Category != "" {
		base.TokenSets = append(base.TokenSets, [][]byte{x.Token("cat", q.Category)})
	}
	if q.Vulnerability != "" {
		base.TokenSets = append(base.TokenSets, [][]byte{x.Token("vuln", q.Vulnerability)})
	}
	if !q.From.IsZero() {
		base.From = int64(registry.MakeHLC(q.From.UnixMilli(), 0))
	}
	if !q.To.IsZero() {
		base.To = int64(registry.MakeHLC(q.To.UnixMilli(), 0))
	}
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return s.d.st.Find(base)
	}
	var results []string
	seen := map[string]bool{}
	merge := func(ids []string, err error) error {
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				results = append(results, id)
			}
		}
		return nil
	}
	// A name of the right length can pass for a registration ID (one chance
	// in 32 that its check character fits), so an ID match is merged with
	// the other searches, never returned alone.
	if id, err := registry.ParseRegID(text); err == nil {
		f := base
		f.IDPrefix = id
		if err := merge(s.d.st.Find(f)); err != nil {
			return nil, err
		}
	} else if prefix := strings.ToUpper(strings.ReplaceAll(text, " ", "")); len(prefix) >= 5 && prefix[3] == '-' && registry.LooksLikeRegID(prefix) {
		f := base
		f.IDPrefix = prefix
		if err := merge(s.d.st.Find(f)); err != nil {
			return nil, err
		}
	}
	if doc := NormalizeDocument(text); len(doc) >= 4 {
		f := base
		f.TokenSets = append(append([][][]byte(nil), base.TokenSets...), [][]byte{x.Token("doc", doc)})
		if err := merge(s.d.st.Find(f)); err != nil {
			return nil, err
		}
	}
	if ws := words(text); len(ws) > 0 {
		f := base
		f.TokenSets = append([][][]byte(nil), base.TokenSets...)
		for _, w := range ws {
			set := [][]byte{x.Token("name", w)}
			if len([]rune(w)) >= minPrefix {
				set = append(set, x.Token("prefix", w))
			}
			f.TokenSets = append(f.TokenSets, set)
		}
		if err := merge(s.d.st.Find(f)); err != nil {
			return nil, err
		}
	}
	if q.Limit > 0 && len(results) > q.Limit {
		results = results[:q.Limit]
	}
	return results, nil
}

// Found is the outcome of SearchSummaries.
type Found struct {
	Summaries []Summary // the records found, newest first
	// Damaged are records that matched but whose summary does not open
	// (ErrDamagedRecord): skipped, named by ID only.
	Damaged []string
}

// SearchSummaries is Search with each record's summary. A damaged record
// does not fail the search: it is skipped and named in Damaged, so one bad
// row never hides every other result.
func (s *Session) SearchSummaries(q Query) (*Found, error) {
	ids, err := s.Search(q)
	if err != nil {
		return nil, err
	}
	f := &Found{Summaries: make([]Summary, 0, len(ids))}
	for _, id := range ids {
		m, err := s.Summary(id)
		switch {
		case errors.Is(err, ErrDamagedRecord):
			f.Damaged = append(f.Damaged, id)
		case err != nil:
			return nil, err
		default:
			f.Summaries = append(f.Summaries, m)
		}
	}
	return f, nil
}

// Count returns how many records the device holds.
func (s *Session) Count() (int, error) { return s.d.st.CountRecords() }
