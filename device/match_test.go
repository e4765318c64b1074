package device

import (
	"testing"

	"github.com/fieldreg/fieldreg/registry"
)

func TestCandidatesAndDuplicateReview(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	first := testPerson("Al-Testmani", "Mohammed Yusuf")
	first.Document = registry.Document{Type: "passport", Number: "P0011223", IssuingCountry: "AFG"}
	id1, err := s.Register(first)
	if err != nil {
		t.Fatal(err)
	}
	other := testPerson("Quarkbottom", "Zebedee")
	other.BirthDate = registry.Date{Year: 1961, Month: 7, Day: 9}
	other.Sex = "F"
	if _, err := s.Register(other); err != nil {
		t.Fatal(err)
	}
	// The same person again, written differently, and swapped names.
	again := testPerson("Yusuf Muhammad", "Testmani")
	again.BirthDate = registry.Date{Year: 1990, Month: 4, Day: 3} // day and month swapped
	cands, err := s.Candidates(again, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 1 || cands[0].ID != id1 || len(cands[0].Reasons) == 0 {
		t.Fatalf("candidates: %+v", cands)
	}
	id2, err := s.Register(again)
	if err != nil {
		t.Fatal(err)
	}
	// A supervisor sees the pair for review until someone decides.
	pairs, err := s.LikelyDuplicates(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 1 || !((pairs[0].A.ID == id1 && pairs[0].B.ID == id2) || (pairs[0].A.ID == id2 && pairs[0].B.ID == id1)) {
		t.Fatalf("pairs: %+v", pairs)
	}
	if err := s.Link(id2, id1, true, "same passport photo"); err != nil {
		t.Fatal(err)
	}
	if pairs, _ := s.LikelyDuplicates(0, nil); len(pairs) != 0 {
		t.Fatalf("decided pair still proposed: %+v", pairs)
	}
	v, _ := s.Get(id2)
	if len(v.Links) != 1 || !v.Links[0].Same || v.Links[0].Other != id1 {
		t.Fatalf("link: %+v", v.Links)
	}
	// Nothing was merged: both records still exist on their own.
	if n, _ := s.Count(); n != 3 {
		t.Fatalf("records: %d", n)
	}
}

func TestFoldText(t *testing.T) {
	for in, want := range map[string]string{
		"Ćorić": "coric", "SAMPLE-Haddad": "sample-haddad", "Straße": "strasse", "ÅSE Øby": "ase oby",
		"plain ascii 123": "plain ascii 123", "Ｆｕｌｌ": "full", "": "",
	} {
		if got := FoldText(in); got != want {
			t.Errorf("FoldText(%q) = %q, want %q", in, got, want)
		}
	}
}
