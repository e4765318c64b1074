package device

import (
	"errors"

	"github.com/fieldreg/fieldreg/registry"
)

// AddToGroup registers people as new members of the family or group of the
// saved record memberOf ("Add family member" after a save). If that record
// has no group yet, it first gets one by an amendment (reason "family member
// added"), so it and the new members share a group ID. The new members are
// saved together in one transaction; it returns their registration IDs in
// order. Validation failures are *GroupError as for RegisterGroup.
func (s *Session) AddToGroup(memberOf string, people []*registry.Person) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(people) == 0 {
		return nil, errors.New("nobody to register")
	}
	if canon, err := registry.ParseRegID(memberOf); err == nil {
		memberOf = canon
	}
	r, err := s.state(memberOf)
	if err != nil {
		return nil, err
	}
	now := s.d.opts.Now()
	// Check the new members before touching the existing record.
	for i, p := range people {
		c := *p
		registry.Normalize(&c)
		if err := registry.Validate(&c, now); err != nil {
			return nil, &GroupError{Index: i, Err: err}
		}
	}
	group := r.Person.Group
	if group == "" {
		g, err := s.NewGroupID()
		if err != nil {
			return nil, err
		}
		group = g
		head := r.Person
		head.Group = group
		if head.Relationship == "" {
			head.Relationship = "head"
		}
		if err := s.Amend(memberOf, &head, "family member added"); err != nil {
			return nil, err
		}
	}
	for _, p := range people {
		p.Group = group
	}
	return s.RegisterGroup(people)
}
