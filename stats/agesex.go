package stats

// AgeSexCode is the code of an age pyramid cell: the age group and the
// sex, "18-34/F".
func AgeSexCode(age, sex string) string { return age + "/" + sex }

// sexes are the codes of the sex dimension, in the order published.
var sexes = []string{"F", "M", "X", "U"}

// suppressAgeSex protects the age pyramid, a two-way table: each age
// group's cells add up to its count in ByAgeGroup, and each sex's to its
// count in BySex, so a hidden cell could be worked out from either, and a
// hidden age group or sex from its cells: the cells of a hidden one are
// all hidden. Table
// runs over the rows and the columns in turn until neither hides another
// cell (each pass only hides more, so it ends). When a row or a column
// cannot be protected, the pyramid is left out: nothing is published of
// it.
func (f *Figures) suppressAgeSex() {
	cs := f.ByAgeAndSex
	if len(cs) == 0 {
		return
	}
	for k, c := range cs {
		small(&c)
		cs[k] = c
	}
	line := func(codes []string, total Count) bool {
		if total.Hidden() {
			// Cells shown would add up to the hidden total: hide them all.
			for _, k := range codes {
				if c := cs[k]; c >= Threshold {
					cs[k] = Withheld
				}
			}
			return true
		}
		cells := make([]*Count, len(codes))
		for i, k := range codes {
			c := cs[k]
			cells[i] = &c
		}
		ok := Table(cells, total)
		for i, k := range codes {
			if _, present := cs[k]; present || *cells[i] != 0 {
				cs[k] = *cells[i]
			}
		}
		return ok
	}
	for pass := 0; pass < 2*len(cs)+2; pass++ {
		before := hiddenCount(cs)
		ok := true
		for _, a := range AgeGroups {
			var row []string
			for _, s := range sexes {
				row = append(row, AgeSexCode(a, s))
			}
			ok = line(row, f.ByAgeGroup[a]) && ok
		}
		for _, s := range sexes {
			var col []string
			for _, a := range AgeGroups {
				col = append(col, AgeSexCode(a, s))
			}
			ok = line(col, f.BySex[s]) && ok
		}
		if !ok {
			break
		}
		if hiddenCount(cs) == before {
			return
		}
	}
	f.ByAgeAndSex = Counts{}
}

func hiddenCount(cs Counts) int {
	n := 0
	for _, c := range cs {
		if c.Hidden() {
			n++
		}
	}
	return n
}
