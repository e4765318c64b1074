package device

import (
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// officerNamer says who made an event, for display. An officer ID is unique
// only within its origin device: this device's officers are named from its
// own (authenticated) officer rows; another device's officer is named as
// that device reported them, attributed to it (registry.OfficerOf), never
// looked up here, so a device that borrows an officer ID of this one cannot
// make its work read as theirs.
type officerNamer struct {
	self  string
	local map[string]store.Officer
	valid func(store.Officer) bool
	creds map[string]*trust.Credential
}

// namer reads the officer rows and the deployment's credentials once.
func (s *Session) namer() (*officerNamer, error) {
	rows, err := s.d.st.AllOfficers()
	if err != nil {
		return nil, err
	}
	var key []byte
	if err := s.withKeys(func(k *keys) error { key = append([]byte(nil), k.officers...); return nil }); err != nil {
		return nil, err
	}
	n := &officerNamer{self: s.d.info.DeviceID, local: map[string]store.Officer{}, creds: map[string]*trust.Credential{},
		valid: func(o store.Officer) bool { return officerValid(key, o) }}
	for _, o := range rows {
		n.local[o.ID] = o
	}
	if ts, err := s.d.loadTrust(); err == nil {
		n.creds = ts.creds
	}
	return n, nil
}

// local names an officer of this device (the audit log holds only these):
// by name, marked when their entry does not verify, or by ID when unknown.
func (n *officerNamer) localName(id string) string {
	o, ok := n.local[id]
	switch {
	case !ok:
		return id
	case !n.valid(o):
		return o.Name + " (entry altered outside fieldreg)"
	}
	return o.Name
}

// version names the officer of a version of a record.
func (n *officerNamer) version(v registry.Version) string {
	return n.event(v.Event.Origin, v.Officer, v.By)
}

// event names officer of an event of origin that reported them as by.
func (n *officerNamer) event(origin, officer, by string) string {
	if origin != n.self {
		return registry.OfficerOf(by, officer, n.device(origin))
	}
	return n.own(officer, by)
}

// device is another device's name from its credential, or its ID.
func (n *officerNamer) device(origin string) string {
	if c := n.creds[origin]; c != nil && c.Name != "" {
		return c.Name
	}
	return origin
}

// own names an officer of an event made on this device.
func (n *officerNamer) own(officer, by string) string {
	if _, ok := n.local[officer]; ok {
		return n.localName(officer)
	}
	// An officer of an earlier installation of this device: as reported.
	return registry.ReportedOfficer(by, officer)
}
