package device

import (
	"testing"
)

func TestAuditDetectsTampering(t *testing.T) {
	tamper := map[string]string{
		"changed":   "UPDATE audit SET detail = 'innocent' WHERE seq = 3",
		"removed":   "DELETE FROM audit WHERE seq = 3",
		"reordered": "UPDATE audit SET at = at + 1, seq = CASE seq WHEN 3 THEN -4 WHEN 4 THEN -3 END WHERE seq IN (3, 4); UPDATE audit SET seq = -seq WHERE seq < 0",
		"rewritten": "UPDATE audit SET officer = 'someone else' WHERE seq = 2",
	}
	for name, sql := range tamper {
		t.Run(name, func(t *testing.T) {
			d, _ := newTestDevice(t)
			s := unlock(t, d)
			for i := 0; i < 3; i++ {
				if _, err := s.Register(testPerson("Audittest", "Person")); err != nil {
					t.Fatal(err)
				}
			}
			if rep, _ := s.VerifyAudit(); !rep.OK {
				t.Fatalf("untouched log fails: %v", rep.Problems)
			}
			if _, err := d.Store().DB().Exec(sql); err != nil {
				t.Fatal(err)
			}
			rep, err := s.VerifyAudit()
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || len(rep.Problems) == 0 {
				t.Fatalf("%s entry not detected", name)
			}
		})
	}
}
