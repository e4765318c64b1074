package dashboard

import (
	"context"

	"github.com/fieldreg/fieldreg/stats"
)

// Source computes the exact figures of a query (the hub's, from its
// aggregate cells). The dashboard applies the "<5" rule (Figures.Suppress)
// to everything it shows: its pages, charts and downloads leave the hub.
type Source func(ctx context.Context, q stats.Query) (*stats.Figures, error)
