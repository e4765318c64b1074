package match

import (
	"cmp"
	"slices"
)

// conflictScore is the pair score below which two records are taken to be
// different people when records are grouped: a group never holds two
// records whose own comparison is this weak, however strongly a third
// record links them.
const conflictScore = 0.05

// scoredPair is a compared pair of index positions, i < j.
type scoredPair struct {
	i, j  uint32
	score float64
}

func pairID(i, j uint32) uint64 {
	if i > j {
		i, j = j, i
	}
	return uint64(i)<<32 | uint64(j)
}

// group clusters records under the constraint that every pair in a group
// is a candidate pair scoring at least floor. Links scoring at least
// threshold are taken strongest first; a link that would join two groups
// containing a conflicting pair (not a candidate, or scoring below floor)
// is refused, so the strongest link of each record wins when its links
// disagree. It returns the pairs of each group with the score of the link
// that joined them (the weakest link on the strongest path) when that is
// higher than their own, in position order.
//
// Pairwise decisions alone propose A=B and B=C when A and C are plainly two
// people (two different full dates of birth, one 1 January record between
// them); the constraint keeps only the better supported of the two links,
// and it adds A=C when A, B and C agree with each other well enough.
// Transitive closure without the constraint chains false links.
func group(pairs []scoredPair, threshold, floor float64) []scoredPair {
	direct := make(map[uint64]float64, len(pairs))
	var links []scoredPair
	for _, p := range pairs {
		direct[pairID(p.i, p.j)] = p.score
		if p.score >= threshold {
			links = append(links, p)
		}
	}
	slices.SortStableFunc(links, func(a, b scoredPair) int { return cmp.Compare(b.score, a.score) })

	members := map[uint32][]uint32{} // group root -> members
	root := map[uint32]uint32{}
	find := func(i uint32) uint32 {
		if r, ok := root[i]; ok {
			return r
		}
		return i
	}
	membersOf := func(r uint32) []uint32 {
		if m, ok := members[r]; ok {
			return m
		}
		return []uint32{r}
	}
	best := map[uint64]float64{}
	for _, l := range links {
		ra, rb := find(l.i), find(l.j)
		if ra == rb {
			continue
		}
		ma, mb := membersOf(ra), membersOf(rb)
		ok := true
		for _, a := range ma {
			for _, b := range mb {
				if s, found := direct[pairID(a, b)]; !found || s < floor {
					ok = false
					break
				}
			}
			if !ok {
				break
			}
		}
		if !ok {
			continue
		}
		for _, a := range ma {
			for _, b := range mb {
				best[pairID(a, b)] = max(direct[pairID(a, b)], l.score)
			}
		}
		for _, b := range mb {
			root[b] = ra
		}
		root[ra] = ra
		members[ra] = append(ma, mb...)
		delete(members, rb)
	}
	out := make([]scoredPair, 0, len(best))
	for id, s := range best {
		out = append(out, scoredPair{uint32(id >> 32), uint32(id), s})
	}
	slices.SortFunc(out, func(a, b scoredPair) int {
		return cmp.Or(cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j))
	})
	return out
}
