package match

import (
	"slices"
	"testing"
)

func TestGroup(t *testing.T) {
	tests := []struct {
		name  string
		pairs []scoredPair
		want  []scoredPair
	}{
		{
			// B links to A and to C, but A and C are plainly two people:
			// only the stronger link stays.
			name:  "conflict keeps the strongest link",
			pairs: []scoredPair{{0, 1, 0.9}, {1, 2, 0.8}, {0, 2, 0.01}},
			want:  []scoredPair{{0, 1, 0.9}},
		},
		{
			name:  "a pair that was never a candidate is a conflict",
			pairs: []scoredPair{{0, 1, 0.9}, {1, 2, 0.8}},
			want:  []scoredPair{{0, 1, 0.9}},
		},
		{
			// A and C are weak alone but agree with both links: the group
			// holds, and A=C carries the score of the link that joined it.
			name:  "group completes a weak pair",
			pairs: []scoredPair{{0, 1, 0.9}, {1, 2, 0.8}, {0, 2, 0.3}},
			want:  []scoredPair{{0, 1, 0.9}, {0, 2, 0.8}, {1, 2, 0.8}},
		},
		{
			name:  "below threshold alone is not a link",
			pairs: []scoredPair{{0, 1, 0.4}, {2, 3, 0.7}},
			want:  []scoredPair{{2, 3, 0.7}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := group(tt.pairs, 0.5, conflictScore)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDocumentWeight(t *testing.T) {
	doc := func(s string) prepared {
		var p prepared
		p.docRaw, p.doc = normDocument(s)
		return p
	}
	long, short := doc("N1234567"), doc("N123")
	wl, _, _ := docEvidence(&long, &long)
	ws, _, _ := docEvidence(&short, &short)
	if wl <= ws {
		t.Errorf("a long identical number (%.1f) should weigh more than a short one (%.1f)", wl, ws)
	}
	// A long identical number outweighs a different date of birth and
	// a name written differently.
	a := Record{FamilyName: "Testhussein", GivenNames: "Karim", BirthDate: "1990-05-14", DocumentNumber: "N1234567"}
	b := Record{FamilyName: "Testhusein", GivenNames: "Kareem Ali", BirthDate: "1991-07-02", DocumentNumber: "N1234567"}
	if s := Compare(a, b).Score; s < DefaultThreshold {
		t.Errorf("same long document, score %.3f below threshold", s)
	}
}
