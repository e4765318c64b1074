package hub

import (
	"context"
	"errors"

	"github.com/fieldreg/fieldreg/stats"
)

// accommodation is the reception centres' figures of q's period per ISO
// week (stats.Accommodation), from the occupancy projection: the centres
// list for the beds, and the arrivals and departures per day and centre
// the hub keeps as occupancy events arrive (every day up to the period's
// end: the residents at a week's end are the sum of all before). Nil when
// the hub knows of no centre.
func (h *Hub) accommodation(ctx context.Context, q stats.Query) ([]stats.Centre, error) {
	cs, err := h.Centres(ctx)
	if err != nil && !errors.Is(err, ErrNoCentres) {
		return nil, err
	}
	list := map[string]stats.CentreInfo{}
	if cs != nil {
		for _, c := range cs.Centres {
			info := stats.CentreInfo{Name: c.Name}
			for _, n := range c.Capacity {
				info.Capacity += n
			}
			list[c.Code] = info
		}
	}
	rows, err := h.st.Days(ctx, "0000-01-01", q.ToDay())
	if err != nil {
		return nil, err
	}
	if len(list) == 0 && len(rows) == 0 {
		return nil, nil
	}
	days := make([]stats.CentreDay, len(rows))
	for i, r := range rows {
		days[i] = stats.CentreDay(r)
	}
	return stats.Accommodation(q.From, q.To, list, days), nil
}
