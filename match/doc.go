// Package match proposes possible earlier registrations of a person: it
// normalises and transliterates names, compares two records field by field
// and returns a calibrated score with the reasons behind it, and computes the
// blocking keys a candidate search files records under.
//
// Humans decide identity: the package only proposes. It has no user
// interface and no storage; the database turns BlockingKeys into blind
// indexes (keyed hashes) and opens only the candidates they find. Index is
// the same search in memory, for batch jobs such as reghub dedup and for
// tests.
//
// The score is the logistic of summed log-odds evidence: name words aligned
// as sets (order and field do not matter, extra words cost a little),
// compared by Jaro-Winkler and by phonetic keys tuned for Arabic, Persian
// and Slavic transliteration; the date of birth with its precision
// (1 January placeholders, a year off, day and month swapped); sex;
// nationality as soft evidence; document numbers up to OCR confusions.
// Within an Index, agreement on a name is weighted by how common the name
// is among the indexed records, and Index.Duplicates groups records so that
// links which contradict each other (A=B and B=C while A and C are plainly
// two people) are resolved in favour of the strongest. See docs/matching.md for the design and the
// measured accuracy.
package match
