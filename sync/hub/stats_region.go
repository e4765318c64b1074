package hub

import (
	"context"
	"time"

	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// RegionStats works out the region's figures for q from the index entries
// the countries sent (country, registration day, category: the region
// holds nothing more), and the movement matrix from the same hit rule
// that answers "registered elsewhere?" (federation.Shared.Hit): a person
// registered in country B whose entry makes a hit with an entry of
// country A registered earlier counts once in A -> B, in the period of
// the registration in B. The figures are suppressed ("<5"); a country hub
// has no region figures (ErrNotRegion).
//
// It is one pass over the entries, in memory: a region holds index
// entries only, a few hundred thousand a year across the route.
func (h *Hub) RegionStats(ctx context.Context, q stats.Query) (*stats.Region, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	if !h.IsRegion() {
		return nil, ErrNotRegion
	}
	r := stats.NewRegion(q)
	type entry struct {
		country, day string
		tokens       []hubstore.Token
	}
	var all []entry
	byToken := map[string][]int32{} // strong tokens only: every hit needs one
	err := h.st.Entries(ctx, func(country string, e hubstore.Entry, _ time.Time) error {
		r.Add(country, e.Date, e.Category)
		i := int32(len(all))
		all = append(all, entry{country, e.Date, e.Tokens})
		for _, t := range e.Tokens {
			if t.Kind == federation.KindNamePair || t.Kind == federation.KindDoc || t.Kind == federation.KindDocHalf {
				byToken[t.Kind+string(t.Token)] = append(byToken[t.Kind+string(t.Token)], i)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// For each entry registered in the period, the countries where the
	// same person had been registered before.
	for i, b := range all {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !r.In(b.day) {
			continue
		}
		seen := map[int32]bool{}
		from := map[string]bool{}
		for _, t := range b.tokens {
			for _, j := range byToken[t.Kind+string(t.Token)] {
				a := all[j]
				if int(j) == i || seen[j] || a.country == b.country || a.day >= b.day || from[a.country] {
					continue
				}
				seen[j] = true
				if hit, _ := shared(a.tokens, b.tokens).Hit(); hit {
					from[a.country] = true
				}
			}
		}
		for c := range from {
			r.Move(c, b.country)
		}
	}
	r.Finish().Suppress()
	return r, nil
}

// shared counts the tokens two entries have in common, by kind.
func shared(a, b []hubstore.Token) federation.Shared {
	in := make(map[string]bool, len(a))
	for _, t := range a {
		in[t.Kind+string(t.Token)] = true
	}
	var s federation.Shared
	for _, t := range b {
		if in[t.Kind+string(t.Token)] {
			s.Add(t.Kind)
			delete(in, t.Kind+string(t.Token))
		}
	}
	return s
}
