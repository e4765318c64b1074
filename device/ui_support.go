package device

import (
	"errors"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// AddToGroup registers people as new members of the family or group of the
// saved record memberOf ("Add family member" after a save). If that record
// has no group yet, it gets one by an amendment (reason "family member
// added"), so it and the new members share a group ID. The amendment and the
// new members are saved in one transaction: all or none. It returns the new
// members' registration IDs in order. Validation failures are *GroupError as
// for RegisterGroup.
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
	group := r.Person.Group
	var then func(tx *store.Tx, ids []string) error
	if group == "" {
		if group, err = s.NewGroupID(); err != nil {
			return nil, err
		}
		then = func(tx *store.Tx, _ []string) error {
			// The head is amended as stored now, not as read above: an
			// amendment saved in between is kept, not reverted.
			cur, err := s.foldTx(tx, memberOf)
			if err != nil {
				return err
			}
			if cur.Person.Group != "" {
				return errors.New("the record joined another family while this one was being saved: nothing was saved, try again")
			}
			head := cur.Person
			head.Group = group
			if head.Relationship == "" {
				head.Relationship = "head"
			}
			registry.Normalize(&head)
			return s.amendTx(tx, memberOf, &head, "family member added")
		}
	}
	for _, p := range people {
		p.Group = group
	}
	return s.registerBatch(people, then)
}
