package device

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/fieldreg/fieldreg/crypto/blind"
	"github.com/fieldreg/fieldreg/match"
	"github.com/fieldreg/fieldreg/registry"
)

// referenceTokens is the definition of a person's blind-index tokens,
// computed the plain way: a fresh HMAC for every token, no buffer shared
// with anything.
func referenceTokens(searchKey, indexKey []byte, p *registry.Person) [][]byte {
	tok := func(key []byte, kind, v string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(kind + "\x00" + v))
		return m.Sum(nil)[:blind.TokenSize]
	}
	seen := map[string]bool{}
	var out [][]byte
	add := func(kind, v string) {
		if v == "" || seen[kind+"\x00"+v] {
			return
		}
		seen[kind+"\x00"+v] = true
		out = append(out, tok(searchKey, kind, v))
	}
	for _, n := range append([]string{p.FamilyName, p.GivenNames, p.OriginalScriptName}, p.Aliases...) {
		for _, w := range words(n) {
			add("name", w)
			r := []rune(w)
			for i := minPrefix; i < len(r); i++ {
				add("prefix", string(r[:i]))
			}
		}
	}
	add("doc", NormalizeDocument(p.Document.Number))
	add("cat", p.Category)
	for _, v := range p.Vulnerabilities {
		add("vuln", v)
	}
	if len(p.Vulnerabilities) > 0 {
		add("vuln", "any")
	}
	for _, k := range match.BlockingKeys(matchRecord("", p)) {
		out = append(out, tok(indexKey, "match", k))
	}
	return out
}

// TestBatchTokensAreEachPersonsOwn: a batch's workers reuse their HMAC
// states and buffers from one person to the next (long names before
// short ones, accents, aliases, vulnerabilities or none); every person's
// tokens must still be exactly those of that person alone, and stay so
// after another batch is prepared by the same session.
func TestBatchTokensAreEachPersonsOwn(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	family := []string{"Testafiovichskiyanenko", "Te", "Ćorić-Testović", "Benchkov", "Mockhani Fakezadeh Sampleri", "Đurđević"}
	given := []string{"Alpha Bravo Charlie", "Ed", "Žarko", "Foxtrotina", "G", "Hotelijan"}
	batch := func(tag string, n int) []*registry.Person {
		var people []*registry.Person
		for i := range n {
			p := testPerson(family[i%len(family)]+tag, given[(i/2)%len(given)])
			if i%3 == 0 {
				p.Aliases = []string{fmt.Sprintf("Aliasovski%d", i)}
			}
			if i%4 == 1 {
				p.Vulnerabilities = []string{registry.Vulnerabilities[i%len(registry.Vulnerabilities)]}
			}
			p.Document = registry.Document{Type: "passport", Number: fmt.Sprintf("X%0*d", 1+i%9, i), IssuingCountry: "AFG"}
			people = append(people, p)
		}
		return people
	}
	check := func(people []*registry.Person, b *preparedBatch) {
		t.Helper()
		for i, p := range people {
			want := referenceTokens(s.k.search, s.k.index, p)
			if len(b.toks[i]) != len(want) {
				t.Fatalf("person %d: %d tokens, want %d", i, len(b.toks[i]), len(want))
			}
			for j := range want {
				if !bytes.Equal(b.toks[i][j], want[j]) {
					t.Fatalf("person %d: token %d is not this person's own", i, j)
				}
			}
		}
	}
	first := batch("", 97)
	b1, err := s.prepareBatch(first, 1, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	check(first, b1)
	second := batch("ovichenkovski", 61)
	b2, err := s.prepareBatch(second, 98, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	check(second, b2)
	check(first, b1)
}

// TestFoldTextReused: the transform chains FoldText reuses give each text
// its own folding, from goroutines at once, long texts before short ones.
func TestFoldTextReused(t *testing.T) {
	fresh := func(s string) string {
		c := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
		out, _, err := transform.String(c, strings.ToLower(s))
		if err != nil {
			t.Fatal(err)
		}
		return foldExtra.Replace(out)
	}
	texts := []string{strings.Repeat("Ćorić-Testović Đurđević Žarko ", 200), "Ćo", "Šé", "Ø", strings.Repeat("Ünïcödé ", 90), "Łó"}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				in := texts[(i+g)%len(texts)]
				if got, want := FoldText(in), fresh(in); got != want {
					t.Errorf("FoldText of text %d folded as another text's", (i+g)%len(texts))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestRecordTokensOneArray: a record's search and match tokens, made in one
// array (recordTokens, the bundle import's projection), are exactly the
// reference tokens, each capped at its own end (an append to one never
// writes over the next), also for a person with more search tokens than
// the room made for them.
func TestRecordTokensOneArray(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	many := testPerson("Testafiovichskiyanenko Benchkovicheva", "Alpha Bravo Charlie Deltaforth")
	for i := range 12 {
		many.Aliases = append(many.Aliases, fmt.Sprintf("Aliasovskiyenko%c", 'a'+i))
	}
	short := testPerson("Te", "Ed")
	short.Vulnerabilities = []string{registry.Vulnerabilities[0]}
	tk := s.tokenizer()
	for _, p := range []*registry.Person{many, short, testPerson("Ćorić-Testović", "Žarko")} {
		got, want := recordTokens(tk, p), referenceTokens(s.k.search, s.k.index, p)
		if len(got) != len(want) {
			t.Fatalf("%d tokens, want %d", len(got), len(want))
		}
		for j := range want {
			if !bytes.Equal(got[j], want[j]) || cap(got[j]) != len(got[j]) {
				t.Fatalf("token %d of %d is not the person's own, or not capped (cap %d)", j, len(want), cap(got[j]))
			}
		}
	}
	if n := len(recordTokens(tk, many)) - len(matchTokens(tk.index, many)); n <= searchTokensPerPerson {
		t.Fatalf("the long person has %d search tokens: the test does not pass the room made for them", n)
	}
}
