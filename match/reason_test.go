package match

import (
	"strings"
	"testing"
)

// The English details are the words the command line has always printed:
// operators' scripts may read them.
func TestReasonDetailEnglish(t *testing.T) {
	for _, c := range []struct {
		r    Reason
		want string
	}{
		{Reason{Kind: NamesCompared, Names: NameCounts{Total: 4, Exact: 4}}, "4 of 4 names identical"},
		{Reason{Kind: NamesCompared, Names: NameCounts{Total: 4, Exact: 3, Variant: 1}}, "4 of 4 names agree, 1 spelling variant"},
		{Reason{Kind: NamesCompared, Names: NameCounts{Total: 5, Exact: 1, Variant: 2, Similar: 1, Extra: 1}}, "4 of 5 names agree, 2 spelling variants, 1 similar name, 1 extra name"},
		{Reason{Kind: NamesCompared, Names: NameCounts{Total: 4, Exact: 1, Similar: 3}}, "4 of 4 names agree, 3 similar names"},
		{Reason{Kind: NamesCompared, Names: NameCounts{Total: 3, Exact: 1, Differ: 2, Swapped: true}}, "1 of 3 names identical, 2 names differ, family and given names swapped"},
		{Reason{Kind: NamesCompared, Names: NameCounts{Total: 3, Exact: 2, Differ: 1, Extra: 2}}, "2 of 3 names identical, 1 name differs, 2 extra names"},
		{Reason{Kind: NamesNone, Names: NameCounts{Total: 2, Differ: 2}}, "no name in common"},
		{Reason{Kind: DateSwappedYear}, "day and month swapped, a year apart"},
		{Reason{Kind: DocumentOCR}, "same number up to OCR confusion"},
		{Reason{Kind: NationalityShared}, "a nationality in common"},
		{Reason{Kind: SexDifferent}, "different"},
	} {
		if got := c.r.Detail(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
	if got := (Reason{Field: FieldSex, Kind: SexSame, Agree: true}).String(); got != "= sex: same" {
		t.Errorf("String: %q", got)
	}
}

// Every kind has English words, and Compare gives only known kinds.
func TestKindsWorded(t *testing.T) {
	kinds := map[Kind]bool{}
	for _, k := range Kinds() {
		if k != NamesCompared && english[k] == "" {
			t.Errorf("%s has no English detail", k)
		}
		if strings.ContainsAny(string(k), " ") {
			t.Errorf("%q: kinds are identifiers", k)
		}
		kinds[k] = true
	}
	if len(kinds) < 25 {
		t.Errorf("only %d kinds", len(kinds))
	}
	a := person("Testhussein", "Mohammed Ali", "M", "1990-05-14", "SYR", "N1234567")
	for _, b := range []Record{
		person("Testhossein", "Muhammad", "F", "1990-01-01", "IRQ", "N1234567"),
		person("Otherperson", "Karim", "M", "1990-05-14", "SYR", "N1234568"),
		person("Ali", "Testhussein Mohammed", "M", "~1991", "", "AB1050S8"),
	} {
		for _, r := range Compare(a, b).Reasons {
			if !kinds[r.Kind] {
				t.Errorf("%v: unknown kind %q", r, r.Kind)
			}
			if r.Field == FieldName && r.Kind == NamesCompared && r.Names.Total == 0 {
				t.Errorf("%v: name reason without counts", r)
			}
		}
	}
}
