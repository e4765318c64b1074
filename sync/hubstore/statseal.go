package hubstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/stats"
)

// The hub's aggregate of the figures is sealed at rest, like a device's:
// per-day counts beside the events' plaintext receipt times could tell a
// person's category, nationality or vulnerability on a quiet day to
// whoever copies the database. Each row holds the cells of one period,
// sealed under the records key and bound to its kind and period; the
// back ends store the rows as opaque bytes (Tx.StatRows, Tx.PutStatRows,
// Store.StatRows) and the sums are made here, in memory, after opening.
//
// Three kinds of row, so a year reads a few rows per month rather than
// every cell of every day:
//   - RowTotals, per day: the totals (per station and category) and the
//     group cells (counted by distinct code over a period);
//   - RowDays, per day: the dimensions of stats.MonthlyDims;
//   - RowMonths, per month: the same dimensions rolled up per month.
const (
	RowTotals = "t"
	RowDays   = "d"
	RowMonths = "m"
)

// ErrStatRow: a sealed row of the aggregate does not open or decode.
var ErrStatRow = errors.New("a row of the statistics does not open")

// PutCounted writes records' sealed facts and adds cells to the sealed
// aggregate (negative counts take back; a row whose cells all come to
// zero goes), in tx, sealing under k (the records key).
func PutCounted(tx Tx, k *seal.Key, facts []Fact, cells []stats.Cell) error {
	if len(facts) > 0 {
		if err := tx.PutFacts(facts); err != nil {
			return err
		}
	}
	return addCells(tx, k, cells)
}

func addCells(tx Tx, k *seal.Key, cells []stats.Cell) error {
	rows := map[string]map[string][]stats.Cell{RowTotals: {}, RowDays: {}, RowMonths: {}}
	for _, c := range stats.Merge(cells) {
		day := c.Day
		c.Day = ""
		if !stats.Monthly(c.Dim) {
			rows[RowTotals][day] = append(rows[RowTotals][day], c)
			continue
		}
		rows[RowDays][day] = append(rows[RowDays][day], c)
		m := stats.Month(day)
		rows[RowMonths][m] = append(rows[RowMonths][m], c)
	}
	for _, kind := range []string{RowTotals, RowDays, RowMonths} {
		add := rows[kind]
		if len(add) == 0 {
			continue
		}
		periods := make([]string, 0, len(add))
		for p := range add {
			periods = append(periods, p)
		}
		slices.Sort(periods) // a fixed order: two servers lock rows in the same order
		old, err := tx.StatRows(kind, periods)
		if err != nil {
			return err
		}
		out := make(map[string][]byte, len(periods))
		for _, p := range periods {
			have, err := openRow(k, kind, p, old[p])
			if err != nil {
				return err
			}
			sum := mergeCells(have, add[p])
			if len(sum) == 0 {
				out[p] = nil
				continue
			}
			if out[p], err = seal.Seal(k, stats.EncodeCells(sum), rowAD(kind, p)); err != nil {
				return err
			}
		}
		if err := tx.PutStatRows(kind, out); err != nil {
			return err
		}
	}
	return nil
}

// mergeCells adds add (merged: one cell per key, in key order) to a row's
// cells, dropping those that come to zero, in key order. A row's cells are
// stored in key order, so this is one pass; a row that is not (damaged, or
// written otherwise) is summed the slow way.
func mergeCells(have, add []stats.Cell) []stats.Cell {
	if !slices.IsSortedFunc(have, compareCells) {
		return stats.Merge(append(have, add...))
	}
	out := make([]stats.Cell, 0, len(have)+len(add))
	i, j := 0, 0
	for i < len(have) || j < len(add) {
		var c stats.Cell
		switch {
		case j == len(add) || (i < len(have) && compareCells(have[i], add[j]) < 0):
			c = have[i]
			i++
		case i == len(have) || compareCells(have[i], add[j]) > 0:
			c = add[j]
			j++
		default:
			c = have[i]
			c.N += add[j].N
			i++
			j++
		}
		if c.N != 0 {
			out = append(out, c)
		}
	}
	return out
}

// compareCells orders cells by key, as stats.SortCells does.
func compareCells(a, b stats.Cell) int {
	for _, p := range [][2]string{{a.Day, b.Day}, {a.Station, b.Station}, {a.Category, b.Category}, {a.Dim, b.Dim}, {a.Code, b.Code}} {
		if c := strings.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	return 0
}

func rowAD(kind, period string) []byte { return seal.AD("hub", "stats", kind, period) }

// openRow opens a sealed row (empty: none) into its cells, without a day.
func openRow(k *seal.Key, kind, period string, sealed []byte) ([]stats.Cell, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	b, err := seal.Open(k, sealed, rowAD(kind, period))
	if err != nil {
		return nil, fmt.Errorf("%w (%s %s): %v", ErrStatRow, kind, period, err)
	}
	cs, err := stats.DecodeCells(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%s %s): %v", ErrStatRow, kind, period, err)
	}
	return cs, nil
}

// StatScan reads st's sealed aggregate, opening it with k, as stats.Scan
// describes: totals per day, groups by distinct code, the other
// dimensions from the monthly rows for the whole months of the period and
// from the daily rows for the days outside them (stats.PlanOf).
func StatScan(st Store, k *seal.Key) stats.Scan {
	return func(ctx context.Context, f stats.Filter, fn func(stats.Cell) error) error {
		keep := func(c stats.Cell) bool {
			return (f.Station == "" || c.Station == f.Station) && (f.Category == "" || c.Category == f.Category)
		}
		groups := map[string]int64{}
		err := st.StatRows(ctx, RowTotals, f.From, f.To, func(day string, sealed []byte) error {
			cs, err := openRow(k, RowTotals, day, sealed)
			if err != nil {
				return err
			}
			for _, c := range cs {
				switch {
				case !keep(c):
				case c.Dim == stats.DimGroup:
					groups[c.Code] += c.N
				default:
					c.Day = day
					if err := fn(c); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		var n, people int64
		for _, m := range groups {
			if m > 0 {
				n++
				people += m
			}
		}
		if err := fn(stats.Cell{Dim: stats.DimGroup, Code: stats.GroupsCode, N: n}); err != nil {
			return err
		}
		if err := fn(stats.Cell{Dim: stats.DimGroup, Code: stats.PeopleCode, N: people}); err != nil {
			return err
		}
		sum := map[stats.Key]int64{}
		add := func(kind string) func(string, []byte) error {
			return func(p string, sealed []byte) error {
				cs, err := openRow(k, kind, p, sealed)
				if err != nil {
					return err
				}
				for _, c := range cs {
					if keep(c) {
						sum[c.Key()] += c.N
					}
				}
				return nil
			}
		}
		plan := stats.PlanOf(f.From, f.To)
		if plan.FirstMonth != "" {
			if err := st.StatRows(ctx, RowMonths, plan.FirstMonth, plan.LastMonth, add(RowMonths)); err != nil {
				return err
			}
		}
		for _, d := range plan.Days {
			if err := st.StatRows(ctx, RowDays, d[0], d[1], add(RowDays)); err != nil {
				return err
			}
		}
		for key, v := range sum {
			if v == 0 {
				continue
			}
			if err := fn(stats.Cell{Station: key.Station, Category: key.Category, Dim: key.Dim, Code: key.Code, N: v}); err != nil {
				return err
			}
		}
		return nil
	}
}

// SealPlainCells is the migration of an aggregate kept in plaintext by an
// earlier reghub: it takes the plaintext daily rows (deleting them and
// their monthly roll-up, on SQLite with secure deletion) and adds them to
// the sealed aggregate, in one transaction, then has the back end scrub
// what the deletion left behind (st.Scrub). It returns how many
// plaintext rows it sealed; 0 when there were none, and nothing is
// written. Running it twice, or on two servers at once, counts each row
// once.
func SealPlainCells(ctx context.Context, st Store, k *seal.Key) (int, error) {
	var n int
	err := st.Update(ctx, func(tx Tx) error {
		cells, err := tx.TakePlainCells()
		if err != nil || len(cells) == 0 {
			n = 0
			return err
		}
		n = len(cells)
		return addCells(tx, k, cells)
	})
	if err != nil {
		return 0, fmt.Errorf("sealing the statistics: %w", err)
	}
	if n > 0 {
		if err := st.Scrub(ctx); err != nil {
			return n, err
		}
	}
	return n, nil
}
