package stats

import (
	"fmt"
	"testing"
)

func TestCellsRoundTrip(t *testing.T) {
	in := []Cell{
		{Station: "S1", Category: "asylum", Dim: DimTotal, N: 12},
		{Station: "S1", Category: "asylum", Dim: DimNationality, Code: "AFG", N: -3},
		{Station: "S2", Category: "asylum", Dim: DimNationality, Code: "AFG", N: 1 << 40},
	}
	b := EncodeCells(in)
	out, err := DecodeCells(b)
	if err != nil || fmt.Sprint(out) != fmt.Sprint(in) {
		t.Fatalf("round trip: %v %v", out, err)
	}
	if out, err := DecodeCells(EncodeCells(nil)); err != nil || len(out) != 0 {
		t.Fatalf("no cells: %v %v", out, err)
	}
	for _, bad := range [][]byte{nil, {2}, b[:len(b)-1], append(b[:len(b):len(b)], 0), {1, 1, 5, 'a'}, {1, 0, 1, 0, 0, 0, 0, 0}} {
		if _, err := DecodeCells(bad); err == nil {
			t.Errorf("%x decoded", bad)
		}
	}
}

// FuzzDecodeCells: no input panics, and what decodes encodes back to what
// decodes the same.
func FuzzDecodeCells(f *testing.F) {
	f.Add(EncodeCells([]Cell{{Station: "S1", Category: "asylum", Dim: DimSex, Code: "F", N: 4}}))
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := DecodeCells(b)
		if err != nil {
			return
		}
		again, err := DecodeCells(EncodeCells(cs))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(cs) {
			t.Fatalf("re-encoding: %v %v", again, err)
		}
	})
}
