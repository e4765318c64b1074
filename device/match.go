package device

import (
	"slices"
	"sort"

	"github.com/fieldreg/fieldreg/crypto/blind"
	"github.com/fieldreg/fieldreg/match"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// maxCandidates bounds how many stored records one duplicate check opens.
const maxCandidates = 1000

// matchRecord is what the matcher compares of a person.
func matchRecord(id string, p *registry.Person) match.Record {
	return match.Record{ID: id, FamilyName: p.FamilyName, GivenNames: p.GivenNames, Sex: p.Sex,
		BirthDate: p.BirthDate.String(), Nationalities: p.Nationalities, DocumentNumber: p.Document.Number}
}

func summaryMatchRecord(m Summary) match.Record {
	return match.Record{ID: m.ID, FamilyName: m.FamilyName, GivenNames: m.GivenNames, Sex: m.Sex,
		BirthDate: m.BirthDate.String(), Nationalities: m.Nationalities, DocumentNumber: m.DocumentNumber}
}

// matchTokens are the blind indexes of the matcher's blocking keys, under the
// deployment's index key (x), so any device of the deployment (and the hub)
// finds the same candidates without decrypting anything.
func matchTokens(x *blind.Indexer, p *registry.Person) [][]byte {
	keys := match.BlockingKeys(matchRecord("", p))
	_, out := appendMatchTokens(x, keys, make([]byte, 0, len(keys)*blind.TokenSize), make([][]byte, 0, len(keys)))
	return out
}

// appendMatchTokens appends the tokens of the blocking keys to out, their
// bytes to slab (each token a full slice expression of it), and returns
// both.
func appendMatchTokens(x *blind.Indexer, keys []string, slab []byte, out [][]byte) ([]byte, [][]byte) {
	for _, k := range keys {
		n := len(slab)
		slab = x.AppendToken(slab, "match", k)
		out = append(out, slab[n:len(slab):len(slab)])
	}
	return slab, out
}

// recordTokens are a person's search tokens and then its match tokens,
// made with one array for their bytes and one for the slices (as a rule:
// a person with more than searchTokensPerPerson search tokens costs one
// more of each).
func recordTokens(t *tokenizer, p *registry.Person) [][]byte {
	keys := match.BlockingKeys(matchRecord("", p))
	n := searchTokensPerPerson + len(keys)
	slab, out := appendSearchTokens(t.search, p, make([]byte, 0, n*blind.TokenSize), make([][]byte, 0, n))
	_, out = appendMatchTokens(t.index, keys, slab, out)
	return out
}

// Candidate is a possible earlier registration of the person being
// registered, with the matcher's score and reasons. Officers decide.
type Candidate struct {
	Summary
	Score   float64
	Reasons []match.Reason
}

// Candidates proposes earlier registrations that may be the same person as p,
// best first, at most limit (0: 20). Candidates come from blind indexes: only
// they are decrypted and scored. exclude lists IDs not to propose (the
// record itself when checking a saved one).
func (s *Session) Candidates(p *registry.Person, limit int, exclude ...string) ([]Candidate, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	c := *p
	registry.Normalize(&c)
	if c.FamilyName == "" && c.GivenNames == "" {
		return nil, nil
	}
	s.mu.RLock()
	if s.k == nil {
		s.mu.RUnlock()
		return nil, ErrSessionLocked
	}
	tokens := matchTokens(blind.New(s.k.index), &c)
	s.mu.RUnlock()
	if len(tokens) == 0 {
		return nil, nil
	}
	ids, err := s.d.st.Find(store.Filter{TokenSets: [][][]byte{tokens}, Limit: maxCandidates})
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, id := range exclude {
		skip[id] = true
	}
	probe := matchRecord("", &c)
	var out []Candidate
	for _, id := range ids {
		if skip[id] {
			continue
		}
		m, err := s.Summary(id)
		if err != nil {
			return nil, err
		}
		res := match.Compare(probe, summaryMatchRecord(m))
		if res.Score < match.DefaultThreshold {
			continue
		}
		out = append(out, Candidate{Summary: m, Score: res.Score, Reasons: res.Reasons})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// DuplicatePair is two stored records the matcher judges likely the same
// person, not yet decided by an officer.
type DuplicatePair struct {
	A, B    Summary
	Score   float64
	Reasons []match.Reason
}

// LikelyDuplicates lists pairs of stored records that are likely the same
// person and that no officer has decided on yet, best first, for a
// supervisor's review (supervisors only). It decrypts every summary, so the
// UI runs it off the UI goroutine; progress, when not nil, is called with the
// number of records read.
func (s *Session) LikelyDuplicates(limit int, progress func(done, total int)) ([]DuplicatePair, error) {
	if err := s.requireSupervisor(); err != nil {
		return nil, err
	}
	ids, err := s.d.st.Find(store.Filter{})
	if err != nil {
		return nil, err
	}
	idx := match.NewIndex()
	byID := make(map[string]Summary, len(ids))
	for i, id := range ids {
		m, err := s.Summary(id)
		if err != nil {
			return nil, err
		}
		byID[id] = m
		idx.Add(summaryMatchRecord(m))
		if progress != nil && (i%1000 == 0 || i == len(ids)-1) {
			progress(i+1, len(ids))
		}
	}
	var out []DuplicatePair
	for _, p := range idx.Duplicates(match.DefaultThreshold, 2) {
		a, b := byID[p.A.ID], byID[p.B.ID]
		if slices.Contains(a.Decided, b.ID) || slices.Contains(b.Decided, a.ID) {
			continue
		}
		res := match.Compare(p.A, p.B)
		out = append(out, DuplicatePair{A: a, B: b, Score: p.Score, Reasons: res.Reasons})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
