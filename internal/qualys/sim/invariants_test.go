package sim

import (
	"fmt"
	"testing"
	"time"
)

// TestTimelineInvariants walks every host, detection, web app and finding
// over several clock advances and checks that their dates and counters
// tell a consistent story.
func TestTimelineInvariants(t *testing.T) {
	s := mustNew(t, Options{Hosts: 150, DetectionsPerHost: 12, WebApps: 6, FindingsPerWebApp: 10, Seed: 11})
	for epoch := range 6 {
		w := s.world.Load()
		now := w.now()
		check := func(ok bool, format string, args ...any) {
			if !ok {
				t.Errorf("epoch %d: %s", epoch, fmt.Sprintf(format, args...))
			}
		}
		seen := map[[2]int64]bool{}
		for i := range w.hostTotal[w.epoch()] {
			if !w.hostAlive(i) {
				continue
			}
			h := w.hostAt(i)
			check(h.lastScan <= now && h.processed > h.lastScan && h.created < h.lastScan, "host %d: created %d, scanned %d, processed %d, now %d", h.id, h.created, h.lastScan, h.processed, now)
			plan := w.plan(&h)
			var d detection
			for j := range plan.total() {
				w.detectionAt(&h, &plan, j, &d)
				key := [2]int64{h.id, int64(d.qid)}
				check(!seen[key], "host %d reports QID %d twice", h.id, d.qid)
				seen[key] = true
				check(d.firstFound <= d.lastFound && d.lastFound <= d.lastTest && d.lastTest <= d.lastUpdate && d.lastUpdate <= now+86400,
					"host %d QID %d: first %d, last %d, tested %d, updated %d", h.id, d.qid, d.firstFound, d.lastFound, d.lastTest, d.lastUpdate)
				switch d.status {
				case stNew:
					check(d.timesFound == 1 && d.firstFound == d.lastFound, "host %d QID %d: New but found %d times", h.id, d.qid, d.timesFound)
				case stFixed:
					check(d.lastFixed != 0 && d.lastFixed >= d.lastFound, "host %d QID %d: Fixed at %d, last found %d", h.id, d.qid, d.lastFixed, d.lastFound)
				case stReopened:
					check(d.timesReopened > 0 && d.lastReopened != 0 && d.lastFixed != 0, "host %d QID %d: Re-Opened without a fix and reopening", h.id, d.qid)
				}
			}
		}
		w.eachApp(func(a int) bool {
			app := w.appAt(a)
			check(app.created <= app.updated, "web app %d: created after updated", app.id)
			var f finding
			for j := range w.findingCount(&app) {
				w.findingAt(&app, j, &f)
				check(f.first <= f.last && f.last <= f.tested && f.tested <= now, "finding %d: first %d, last %d, tested %d, now %d", f.id, f.first, f.last, f.tested, now)
				check(f.status != "FIXED" || f.fixed != 0, "finding %d: FIXED without a date", f.id)
			}
			return true
		})
		if err := s.Advance(time.Duration(12+epoch*12) * time.Hour); err != nil {
			t.Fatal(err)
		}
	}
}
