package match

import (
	"cmp"
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Index is an in-memory candidate index over BlockingKeys: the same search a
// database does over blind indexes, for the hub's batch jobs and for tests.
// It is safe for concurrent use.
type Index struct {
	mu       sync.RWMutex
	seed     maphash.Seed
	postings map[uint64][]uint32 // hashed blocking key -> record positions
	records  []Record
	prepared []prepared
	freq     nameFreq
}

// Match is a stored record with its comparison to the searched one.
type Match struct {
	Record Record
	Result
}

// Limits of one search. A blocking key shared by more than maxPosting
// records (a very common name in a crowded birth band) is too vague to
// narrow anything and is skipped; of the remaining candidates at most
// maxCandidates, those sharing the most keys, are scored. A key shared by
// at most smallPosting records is specific enough on its own.
const (
	maxPosting    = 20000
	maxCandidates = 4000
	smallPosting  = 256
)

// NewIndex returns an empty Index.
func NewIndex() *Index {
	return &Index{
		seed:     maphash.MakeSeed(),
		postings: make(map[uint64][]uint32),
		freq:     nameFreq{counts: make(map[string]int32)},
	}
}

// Add files r under its blocking keys. Records are not deduplicated: adding
// the same record twice makes it a candidate twice.
func (x *Index) Add(r Record) {
	p := prepare(r)
	keys := p.blockingKeys()
	x.mu.Lock()
	defer x.mu.Unlock()
	pos := uint32(len(x.records))
	x.records = append(x.records, r)
	x.prepared = append(x.prepared, p)
	x.freq.add(&p)
	for _, k := range keys {
		h := maphash.String(x.seed, k)
		x.postings[h] = append(x.postings[h], pos)
	}
}

// Len returns the number of records added.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.records)
}

// Candidates returns the stored records that share a blocking key with r,
// those sharing the most keys first. It may return r itself if r was added.
func (x *Index) Candidates(r Record) []Record {
	p := prepare(r)
	x.mu.RLock()
	defer x.mu.RUnlock()
	pos := x.candidates(&p)
	out := make([]Record, len(pos))
	for i, c := range pos {
		out[i] = x.records[c]
	}
	return out
}

// Search scores the candidates for r and returns up to limit of them, best
// first (all of them if limit <= 0), whatever their score: compare Score
// with DefaultThreshold to decide what to show. Reasons are filled in.
func (x *Index) Search(r Record, limit int) []Match {
	p := prepare(r)
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.search(&p, -1, limit)
}

// search scores candidates of p. Positions <= after are skipped (for a
// self-join over the index); pass -1 to keep all.
func (x *Index) search(p *prepared, after int, limit int) []Match {
	pos := x.candidates(p)
	type scored struct {
		pos   uint32
		score float64
	}
	res := make([]scored, 0, len(pos))
	for _, c := range pos {
		if int(c) <= after {
			continue
		}
		s := compare(p, &x.prepared[c], &x.freq, false).Score
		res = append(res, scored{c, s})
	}
	sort.Slice(res, func(i, j int) bool {
		if res[i].score != res[j].score {
			return res[i].score > res[j].score
		}
		return res[i].pos < res[j].pos
	})
	if limit > 0 && len(res) > limit {
		res = res[:limit]
	}
	out := make([]Match, len(res))
	for i, s := range res {
		out[i] = Match{Record: x.records[s.pos], Result: compare(p, &x.prepared[s.pos], &x.freq, true)}
	}
	return out
}

// candidates returns positions sharing blocking keys with p, those sharing
// the most first. A record sharing a single key is only a candidate when
// that key is specific: a document number, or a name and birth band few
// records have. One common name in a birth band alone (Mohammed, born
// 1990 or 1991) would otherwise make thousands of hopeless candidates.
func (x *Index) candidates(p *prepared) []uint32 {
	type hit struct {
		pos    uint32
		strong bool
	}
	var all []hit
	keys := p.blockingKeys()
	var group []hit
	for i, k := range keys {
		list := x.postings[maphash.String(x.seed, k)]
		if len(list) <= maxPosting {
			strong := len(list) <= smallPosting || strings.HasPrefix(k, keyDoc) || strings.HasPrefix(k, keyDocHalf)
			for _, c := range list {
				group = append(group, hit{c, strong})
			}
		}
		// The birth bands of one name word are one piece of evidence:
		// count a record found under several of them once.
		if i+1 < len(keys) && sameNameWord(k, keys[i+1]) {
			continue
		}
		if len(group) > 0 {
			slices.SortFunc(group, func(a, b hit) int { return cmp.Compare(a.pos, b.pos) })
			for j, h := range group {
				if j > 0 && h.pos == group[j-1].pos {
					all[len(all)-1].strong = all[len(all)-1].strong || h.strong
					continue
				}
				all = append(all, h)
			}
			group = group[:0]
		}
	}
	if len(all) == 0 {
		return nil
	}
	slices.SortFunc(all, func(a, b hit) int { return cmp.Compare(a.pos, b.pos) })
	type counted struct {
		pos    uint32
		n      int
		strong bool
	}
	var uniq []counted
	for i, c := range all {
		if i > 0 && c.pos == all[i-1].pos {
			u := &uniq[len(uniq)-1]
			u.n++
			u.strong = u.strong || c.strong
			continue
		}
		uniq = append(uniq, counted{c.pos, 1, c.strong})
	}
	kept := uniq[:0]
	for _, u := range uniq {
		if u.n >= 2 || u.strong {
			kept = append(kept, u)
		}
	}
	slices.SortStableFunc(kept, func(a, b counted) int { return cmp.Compare(b.n, a.n) })
	if len(kept) > maxCandidates {
		kept = kept[:maxCandidates]
	}
	out := make([]uint32, len(kept))
	for i, u := range kept {
		out[i] = u.pos
	}
	return out
}

// Pair is two indexed records proposed as the same person.
type Pair struct {
	A, B  Record // A was added before B
	Score float64
}

// Duplicates compares every indexed record with its candidates and returns
// the pairs it judges to be the same person at threshold, in the order the
// records were added (by A, then B). It runs on workers goroutines (at
// least one).
//
// Pairs are not judged one by one: records are grouped by their links
// scoring at least threshold, strongest first, and a group never holds two
// records that are not candidates of each other or score below
// conflictScore (0.05), whatever links them. A pair scoring at least
// threshold is therefore left out when it conflicts with a stronger link,
// and a pair of one group is reported with the score of the link that
// joined them when that is higher than its own, so every Score is at least
// threshold.
func (x *Index) Duplicates(threshold float64, workers int) []Pair {
	x.mu.RLock()
	defer x.mu.RUnlock()
	workers = max(workers, 1)
	floor := min(threshold, conflictScore)
	n := len(x.records)
	found := make([][]scoredPair, n)
	var wg sync.WaitGroup
	next := make(chan int, 64)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				found[i] = x.pairsOf(i, floor)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	var all []scoredPair
	for _, f := range found {
		all = append(all, f...)
	}
	grouped := group(all, threshold, floor)
	out := make([]Pair, len(grouped))
	for k, p := range grouped {
		out[k] = Pair{A: x.records[p.i], B: x.records[p.j], Score: p.score}
	}
	return out
}

// pairsOf returns the pairs of record i with records added after it that
// score at least floor.
func (x *Index) pairsOf(i int, floor float64) []scoredPair {
	p := &x.prepared[i]
	cands := x.candidates(p)
	slices.Sort(cands)
	var out []scoredPair
	for _, c := range cands {
		if int(c) <= i {
			continue
		}
		if s := compare(p, &x.prepared[c], &x.freq, false).Score; s >= floor {
			out = append(out, scoredPair{uint32(i), c, s})
		}
	}
	return out
}

// sameNameWord reports two name-and-band keys of the same name word.
func sameNameWord(a, b string) bool {
	if !strings.HasPrefix(a, keyNameYear) || !strings.HasPrefix(b, keyNameYear) {
		return false
	}
	i, j := strings.LastIndexByte(a, ':'), strings.LastIndexByte(b, ':')
	return a[:i] == b[:j]
}
