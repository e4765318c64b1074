package dashboard

import (
	"context"
	"time"
)

// PROVISIONAL: these mirror the JSON contract of issue 16 until package
// stats lands; they are replaced by stats.Query and stats.Figures then.

// Query is what the analyst asks.
type Query struct {
	From, To time.Time // whole days, inclusive (UTC)
	By       string    // day, week or month
	Station  string    // "" for all
	Category string    // "" for all
}

// Point is one period of a series.
type Point struct {
	Period string
	Total  int
}

// Figures are the counts of a period.
type Figures struct {
	From, To              string
	Total                 int
	ByNationality         map[string]int
	BySex                 map[string]int
	ByAgeGroup            map[string]int
	ByCategory            map[string]int
	ByStation             map[string]int
	UnaccompaniedChildren map[string]int
	AgeSex                map[string]map[string]int
	Series                []Point
	Earlier               *Figures
}

// Source computes the figures of a query.
type Source interface {
	Figures(ctx context.Context, q Query) (*Figures, error)
}
