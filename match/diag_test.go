package match

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestDiagThreshold prints, for the evaluation sets, precision, recall and
// F1 at a range of thresholds over all blocked candidate pairs, and the best
// F1 any threshold reaches (development aid, FIELDREG_DIAG=1).
func TestDiagThreshold(t *testing.T) {
	if os.Getenv("FIELDREG_DIAG") == "" {
		t.Skip("development aid; set FIELDREG_DIAG=1")
	}
	dir := evalDir(t)
	for _, name := range []string{"route-dev", "febrl3"} {
		people := readPeople(t, filepath.Join(dir, name, "people.csv"))
		truth := readTruth(t, filepath.Join(dir, name, "truth.csv"))
		x := NewIndex()
		for _, r := range people {
			x.Add(r)
		}
		type sc struct {
			s  float64
			ok bool
		}
		var all []sc
		for i := range people {
			for _, c := range x.candidates(&x.prepared[i]) {
				if int(c) <= i {
					continue
				}
				s := compare(&x.prepared[i], &x.prepared[c], &x.freq, false).Score
				all = append(all, sc{s, truth[pairKey(people[i].ID, people[c].ID)]})
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
		tp, fp := 0, 0
		best, bestT := 0.0, 0.0
		next := 0.99
		for _, a := range all {
			if a.ok {
				tp++
			} else {
				fp++
			}
			p := float64(tp) / float64(tp+fp)
			r := float64(tp) / float64(len(truth))
			f := 2 * p * r / (p + r)
			if f > best {
				best, bestT = f, a.s
			}
			if a.s < next {
				t.Logf("%s thr=%.2f logit=%.2f P=%.3f R=%.3f F1=%.3f", name, a.s, math.Log(a.s/(1-a.s)), p, r, f)
				next -= 0.1
			}
		}
		t.Logf("%s best F1 %.4f at score %.3f", name, best, bestT)
	}
}

// TestDiagFit fits a logistic regression of the truth on the evidence of
// candidate pairs and prints its coefficients (development aid, to check the
// hand-set weights and the ceiling of the features; FIELDREG_DIAG=1).
func TestDiagFit(t *testing.T) {
	if os.Getenv("FIELDREG_DIAG") == "" {
		t.Skip("development aid; set FIELDREG_DIAG=1")
	}
	dir := evalDir(t)
	dateCats := map[string]int{}
	names := []string{"bias", "nameAgree", "disagree", "extra", "noName", "swapped", "variant", "weak",
		"sexSame", "sexDiff", "natShare", "natDisj", "docSame", "docSlip", "docDiff"}
	var X [][]float64
	var Y []float64
	var DS []int
	total := map[int]int{}
	featsOf := func(a, b *prepared, f *nameFreq) []float64 {
		v := make([]float64, len(names), len(names)+20)
		v[0] = 1
		if al, ok := alignNames(a, b, f); ok {
			if al.matched() == 0 {
				v[4] = 1
			} else {
				v[1] = al.agree
				v[2] = float64(al.disagree)
				v[3] = float64(al.extra)
				if al.swapped {
					v[5] = 1
				}
				v[6] = float64(al.variant)
				v[7] = float64(al.weak)
			}
		}
		if a.sex != 0 && b.sex != 0 {
			if a.sex == b.sex {
				v[8] = 1
			} else {
				v[9] = 1
			}
		}
		if len(a.nats) > 0 && len(b.nats) > 0 {
			if shareAny(a.nats, b.nats) {
				v[10] = 1
			} else {
				v[11] = 1
			}
		}
		if w, _, _ := docEvidence(a, b); w > 3.5 {
			v[12] = 1
		} else if w > 0 {
			v[13] = 1
		} else if w < 0 {
			v[14] = 1
		}
		_, d, _ := dateEvidence(a.dob, b.dob)
		if d != "" {
			k, ok := dateCats[string(d)]
			if !ok {
				k = len(dateCats)
				dateCats[string(d)] = k
			}
			for len(v) <= len(names)+k {
				v = append(v, 0)
			}
			v[len(names)+k] = 1
		}
		return v
	}
	for dsi, name := range []string{"route-dev", "febrl3"} {
		people := readPeople(t, filepath.Join(dir, name, "people.csv"))
		truth := readTruth(t, filepath.Join(dir, name, "truth.csv"))
		total[dsi] = len(truth)
		x := NewIndex()
		for _, r := range people {
			x.Add(r)
		}
		for i := range people {
			for _, c := range x.candidates(&x.prepared[i]) {
				if int(c) <= i {
					continue
				}
				DS = append(DS, dsi)
				X = append(X, featsOf(&x.prepared[i], &x.prepared[c], &x.freq))
				y := 0.0
				if truth[pairKey(people[i].ID, people[c].ID)] {
					y = 1
				}
				Y = append(Y, y)
			}
		}
	}
	n := len(names) + len(dateCats)
	for i := range X {
		for len(X[i]) < n {
			X[i] = append(X[i], 0)
		}
	}
	w := make([]float64, n)
	for iter := 0; iter < 25; iter++ {
		g := make([]float64, n)
		H := make([][]float64, n)
		for i := range H {
			H[i] = make([]float64, n)
			H[i][i] = 1 // ridge
			g[i] = w[i]
		}
		for k, xv := range X {
			z := 0.0
			for i := range xv {
				z += w[i] * xv[i]
			}
			p := 1 / (1 + math.Exp(-z))
			for i := range xv {
				if xv[i] == 0 {
					continue
				}
				g[i] += (p - Y[k]) * xv[i]
				for j := range xv {
					H[i][j] += p * (1 - p) * xv[i] * xv[j]
				}
			}
		}
		// Solve H d = g.
		d := solve(H, g)
		for i := range w {
			w[i] -= d[i]
		}
	}
	for i := 0; i < len(names); i++ {
		t.Logf("%-12s %7.2f", names[i], w[i])
	}
	for d, k := range dateCats {
		t.Logf("date %-40q %7.2f", d, w[len(names)+k])
	}
	for dsi := 0; dsi < 2; dsi++ {
		for _, thr := range []float64{-1, -0.5, 0, 0.5, 1} {
			tp, fp := 0, 0
			for k, xv := range X {
				if DS[k] != dsi {
					continue
				}
				z := 0.0
				for i := range xv {
					z += w[i] * xv[i]
				}
				if z >= thr {
					if Y[k] == 1 {
						tp++
					} else {
						fp++
					}
				}
			}
			p := float64(tp) / float64(tp+fp)
			r := float64(tp) / float64(total[dsi])
			t.Logf("fitted ds=%d thr=%.1f P=%.3f R=%.3f F1=%.4f", dsi, thr, p, r, 2*p*r/(p+r))
		}
	}
}

func solve(A [][]float64, b []float64) []float64 {
	n := len(b)
	M := make([][]float64, n)
	for i := range A {
		M[i] = append(append([]float64(nil), A[i]...), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(M[r][c]) > math.Abs(M[p][c]) {
				p = r
			}
		}
		M[c], M[p] = M[p], M[c]
		for r := 0; r < n; r++ {
			if r != c && M[c][c] != 0 {
				f := M[r][c] / M[c][c]
				for k := c; k <= n; k++ {
					M[r][k] -= f * M[c][k]
				}
			}
		}
	}
	x := make([]float64, n)
	for i := range x {
		if M[i][i] != 0 {
			x[i] = M[i][n] / M[i][i]
		}
	}
	return x
}
