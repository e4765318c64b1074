package device

import (
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// ConflictSource says who wrote one competing value of a conflict: the
// device that made the change (from the trust list), the officer when this
// device knows them, and when. None of it is personal data of the person
// registered.
type ConflictSource struct {
	Event   registry.EventID
	At      time.Time // the change's hybrid logical clock, as wall time
	Officer string    // the officer: this device's by name, another's as that device reported them
	Device  string    // the name of the device that made the change, "" if unknown
	Station string    // that device's station, "" if unknown
	Current bool      // the record shows this value now (the later change)
}

// ConflictSources describes the changes behind the conflicts of record id,
// by event. It is what the supervisor's conflict screen shows beside each
// value. It reads the record's state and the trust list; it is not
// audit-logged as a view (the conflict list shows summaries only).
func (s *Session) ConflictSources(id string) (map[registry.EventID]ConflictSource, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	r, err := s.state(id)
	if err != nil {
		return nil, err
	}
	ts, err := s.d.loadTrust()
	if err != nil {
		return nil, err
	}
	n, err := s.namer()
	if err != nil {
		return nil, err
	}
	versions := map[registry.EventID]registry.Version{}
	for _, v := range r.Versions {
		versions[v.Event] = v
	}
	out := map[registry.EventID]ConflictSource{}
	for _, c := range r.Conflicts {
		for _, ev := range c.Events {
			src := ConflictSource{Event: ev, Current: r.Writers[c.Field] == ev}
			if v, ok := versions[ev]; ok {
				src.At = v.HLC.Time()
				if ev.Origin == s.d.info.DeviceID {
					src.Officer = n.own(v.Officer, v.By)
				} else {
					src.Officer = registry.ReportedOfficer(v.By, v.Officer) // Device says whose
				}
			}
			if cred := ts.creds[ev.Origin]; cred != nil {
				src.Device, src.Station = cred.Name, cred.Station
			} else if ev.Origin == s.d.info.DeviceID {
				src.Device, src.Station = s.d.info.Name, s.d.info.Station
			} else {
				src.Device = ev.Origin // unknown here: named by its ID
			}
			out[ev] = src
		}
	}
	return out, nil
}
