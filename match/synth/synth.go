// Package synth generates obviously fake registration records for
// benchmarks and load tests of the matcher. Names are built from invented
// syllables (no real person's name is used) with a skewed frequency, as real
// name distributions are: a few names are very common, most are rare.
// Output depends only on the seed.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/fieldreg/fieldreg/match"
)

var syllables = []string{
	"ka", "lo", "mi", "ra", "tu", "sen", "dor", "vel", "an", "ib", "zu", "qa",
	"fe", "nor", "hal", "si", "mun", "ter", "ya", "gh", "bo", "dri", "esh", "ul",
}

// Generator makes records. It is not safe for concurrent use.
type Generator struct {
	rng            *rand.Rand
	family, given  []string
	zFamily, zGive *rand.Zipf
	nextID         int
}

// New returns a Generator seeded with seed.
func New(seed uint64) *Generator {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	g := &Generator{rng: rng}
	g.family = g.pool(4000)
	g.given = g.pool(1500)
	g.zFamily = rand.NewZipf(rng, 1.05, 4, uint64(len(g.family)-1))
	g.zGive = rand.NewZipf(rng, 1.15, 2, uint64(len(g.given)-1))
	return g
}

func (g *Generator) pool(n int) []string {
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var b strings.Builder
		for k := 2 + g.rng.IntN(2); k > 0; k-- {
			b.WriteString(syllables[g.rng.IntN(len(syllables))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			out = append(out, strings.ToUpper(w[:1])+w[1:])
		}
	}
	return out
}

// Person returns a record of a new, distinct person.
func (g *Generator) Person() match.Record {
	g.nextID++
	r := match.Record{
		ID:         fmt.Sprintf("S%07d", g.nextID),
		FamilyName: g.family[g.zFamily.Uint64()],
		GivenNames: g.given[g.zGive.Uint64()],
		Sex:        []string{"M", "F"}[g.rng.IntN(2)],
	}
	if g.rng.IntN(3) == 0 {
		r.GivenNames += " " + g.given[g.zGive.Uint64()] // father's name
	}
	year := 1950 + g.rng.IntN(70)
	switch k := g.rng.IntN(20); {
	case k < 12:
		r.BirthDate = fmt.Sprintf("%04d-%02d-%02d", year, 1+g.rng.IntN(12), 1+g.rng.IntN(28))
	case k < 17:
		r.BirthDate = fmt.Sprintf("%04d-01-01", year)
	case k < 19:
		r.BirthDate = fmt.Sprintf("%04d", year)
	}
	r.Nationalities = []string{[]string{"AAA", "BBB", "CCC", "DDD", "EEE"}[g.rng.IntN(5)]}
	if g.rng.IntN(3) == 0 {
		r.DocumentNumber = fmt.Sprintf("X%08d", g.rng.IntN(100_000_000))
	}
	return r
}

// Variant returns another registration of the person in r, with the
// changes seen in the field: a typo, a dropped or added word, swapped names,
// a 1 January placeholder or a year off, an OCR slip in the document number.
func (g *Generator) Variant(r match.Record) match.Record {
	g.nextID++
	v := r
	v.ID = fmt.Sprintf("S%07d", g.nextID)
	v.Nationalities = append([]string(nil), r.Nationalities...)
	switch g.rng.IntN(5) {
	case 0:
		v.FamilyName = typo(g.rng, v.FamilyName)
	case 1:
		v.GivenNames = typo(g.rng, v.GivenNames)
	case 2:
		v.FamilyName, v.GivenNames = v.GivenNames, v.FamilyName
	case 3:
		if i := strings.IndexByte(v.GivenNames, ' '); i > 0 {
			v.GivenNames = v.GivenNames[:i]
		} else {
			v.GivenNames += " " + g.given[g.zGive.Uint64()]
		}
	}
	if len(v.BirthDate) == 10 {
		switch g.rng.IntN(4) {
		case 0:
			v.BirthDate = v.BirthDate[:4] + "-01-01"
		case 1:
			var y int
			fmt.Sscan(v.BirthDate[:4], &y)
			v.BirthDate = fmt.Sprintf("%04d%s", y+1, v.BirthDate[4:])
		}
	}
	if v.DocumentNumber != "" && g.rng.IntN(3) == 0 {
		v.DocumentNumber = strings.Replace(v.DocumentNumber, "0", "O", 1)
	}
	if g.rng.IntN(4) == 0 {
		v.DocumentNumber = ""
	}
	return v
}

// typo changes one letter of s (not the first).
func typo(rng *rand.Rand, s string) string {
	if len(s) < 3 {
		return s
	}
	b := []byte(s)
	i := 1 + rng.IntN(len(b)-1)
	if b[i] != ' ' {
		b[i] = "aeioulnrst"[rng.IntN(10)]
	}
	return string(b)
}

// Records returns n records: people, and for a share dup of them one or more
// further registrations, shuffled.
func Records(n int, dup float64, seed uint64) []match.Record {
	g := New(seed)
	out := make([]match.Record, 0, n)
	for len(out) < n {
		p := g.Person()
		out = append(out, p)
		for len(out) < n && g.rng.Float64() < dup {
			out = append(out, g.Variant(p))
		}
	}
	g.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
