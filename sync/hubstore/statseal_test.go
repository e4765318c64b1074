package hubstore

import (
	"fmt"
	"testing"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/stats"
)

// monthRow is a month's row of a busy hub: 12 stations, 5 categories and
// about 90 codes each.
func monthRow() []stats.Cell {
	var cs []stats.Cell
	for s := 0; s < 12; s++ {
		for c := 0; c < 5; c++ {
			for d := 0; d < 90; d++ {
				cs = append(cs, stats.Cell{Station: fmt.Sprintf("BIH-POST-%02d", s), Category: fmt.Sprintf("category-%d", c),
					Dim: stats.DimNationality, Code: fmt.Sprintf("C%02d", d), N: int64(100 + d)})
			}
		}
	}
	stats.SortCells(cs)
	return cs
}

// BenchmarkRowUpdate is the work PutCounted does per row a batch touches:
// open a sealed month row of 5,400 cells, add 40 cells, seal it again.
func BenchmarkRowUpdate(b *testing.B) {
	k, _ := seal.KeyFromBytes(make([]byte, 32))
	row, _ := seal.Seal(k, stats.EncodeCells(monthRow()), rowAD(RowMonths, "2026-06"))
	add := monthRow()[:40]
	for b.Loop() {
		have, err := openRow(k, RowMonths, "2026-06", row)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := seal.Seal(k, stats.EncodeCells(mergeCells(have, add)), rowAD(RowMonths, "2026-06")); err != nil {
			b.Fatal(err)
		}
	}
}

// mergeCells gives what stats.Merge gives, for rows in key order and not.
func TestMergeCells(t *testing.T) {
	c := func(st, code string, n int64) stats.Cell {
		return stats.Cell{Station: st, Category: "asylum", Dim: stats.DimSex, Code: code, N: n}
	}
	have := []stats.Cell{c("S1", "F", 3), c("S1", "M", 2), c("S2", "F", 1)}
	add := []stats.Cell{c("S1", "A", 1), c("S1", "M", -2), c("S3", "X", 4)}
	want := "[{ S1 asylum sex A 1} { S1 asylum sex F 3} { S2 asylum sex F 1} { S3 asylum sex X 4}]"
	if got := fmt.Sprint(mergeCells(have, add)); got != want {
		t.Fatalf("sorted: %s", got)
	}
	unsorted := []stats.Cell{have[2], have[0], have[1]}
	if got := fmt.Sprint(mergeCells(unsorted, add)); got != want {
		t.Fatalf("unsorted: %s", got)
	}
}
