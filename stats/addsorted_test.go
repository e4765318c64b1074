package stats

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAddSortedIsMerge checks AddSorted against Merge of both slices, with
// keys that repeat, counts that cancel, zero counts and unsorted input.
func TestAddSortedIsMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 17))
	cell := func() Cell {
		return Cell{Station: []string{"", "BCP-1"}[rng.IntN(2)], Category: []string{"irregular", "asylum"}[rng.IntN(2)],
			Dim: []string{DimSex, DimAge, DimNationality}[rng.IntN(3)], Code: []string{"F", "M", "X", "SYR"}[rng.IntN(4)], N: int64(rng.IntN(5) - 2)}
	}
	for round := 0; round < 2000; round++ {
		var base, add []Cell
		for range rng.IntN(30) {
			base = append(base, cell())
		}
		for range rng.IntN(6) {
			add = append(add, cell())
		}
		if rng.IntN(2) == 0 {
			base = Merge(base) // the stored form, most of the time
		}
		want := Merge(append(slices.Clone(base), add...))
		addBefore := slices.Clone(add)
		got := AddSorted(slices.Clone(base), add)
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: AddSorted(%v, %v) = %v, Merge gives %v", round, base, add, got, want)
		}
		if !slices.Equal(add, addBefore) {
			t.Fatalf("round %d: AddSorted changed the cells added", round)
		}
	}
}
