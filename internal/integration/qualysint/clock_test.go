package qualysint

import (
	"context"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/qualys"
	"github.com/qgraph/qgraph/internal/store"
)

// syncWallClock runs a job on the local wall clock (no Now option), as
// qgraph sync does, so that a simulator clock ahead of it is a server
// clock ahead of the client's.
func (b *simBundle) syncWallClock(t *testing.T, full bool) *integration.Report {
	t.Helper()
	rep, err := Sync(context.Background(), SyncOptions{Store: b.st, Instance: b.inst, Full: full, BatchSize: 500})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if rep.Failed() {
		t.Fatalf("sync (full=%v) failed: %+v", full, rep.Steps)
	}
	return rep
}

// scansTargets returns the keys of the stored VMDR SCANS host mappings.
func (b *simBundle) scansTargets(t *testing.T) map[string]bool {
	t.Helper()
	maps, err := b.st.ListMappings(context.Background(), store.MappingFilter{Scope: b.scope})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range maps {
		if m.Class == ClassScans && m.SourceKey == KeyVMDR {
			out[m.Key] = true
		}
	}
	return out
}

// TestSimServerClockAheadOfLocalClock starts the simulator at the wall
// clock, syncs, advances the simulator two days past the wall clock and
// syncs again: the incremental run must see what changed (nothing the
// server stamped later than the local clock may be hidden), delete no host
// target, and the full run must keep every finding Qualys still reports.
func TestSimServerClockAheadOfLocalClock(t *testing.T) {
	o := smallSim()
	o.Now = time.Now().UTC().Truncate(time.Second)
	b := newSimBundle(t, o)
	b.syncWallClock(t, false)
	before := b.entities(t, TypeHostFinding)
	webBefore := b.entities(t, TypeWebFinding)
	targetsBefore := b.scansTargets(t)
	if len(before) == 0 || len(targetsBefore) == 0 {
		t.Fatalf("first sync stored %d findings, %d host targets", len(before), len(targetsBefore))
	}

	t0 := b.sim.Now()
	if err := b.sim.Advance(48 * time.Hour); err != nil {
		t.Fatal(err)
	}
	window := b.reported(t, t0)
	if len(window) == 0 {
		t.Fatal("the simulator changed nothing in two days")
	}
	rep := b.syncWallClock(t, false)
	after := b.entities(t, TypeHostFinding)
	for k := range before {
		if _, ok := after[k]; !ok {
			t.Errorf("incremental sync lost finding %s", k)
		}
	}
	webAfter := b.entities(t, TypeWebFinding)
	for k := range webBefore {
		if _, ok := webAfter[k]; !ok {
			t.Errorf("incremental sync lost web-app finding %s", k)
		}
	}
	var created, closed, reopened int
	for k, open := range window {
		e, ok := after[k]
		if !ok {
			t.Errorf("finding %s, changed after the local clock, is missing", k)
			continue
		}
		if e.Properties["open"] != open {
			t.Errorf("finding %s: open=%v, Qualys says %v", k, e.Properties["open"], open)
		}
		old, had := before[k]
		switch {
		case !had:
			created++
		case !open && old.Properties["open"] == true:
			closed++
		case open && old.Properties["open"] == false:
			reopened++
		}
	}
	t.Logf("window %d: %d created, %d closed, %d re-opened", len(window), created, closed, reopened)
	if created == 0 || closed == 0 {
		t.Errorf("incremental sync saw %d created and %d closed findings; want some of each", created, closed)
	}
	if n := rep.Sync.Mappings[relVMDRScans[TypeDiscoveredHost]].Deleted; n != 0 {
		t.Errorf("incremental sync deleted %d host targets", n)
	}
	targetsAfter := b.scansTargets(t)
	for k := range targetsBefore {
		if !targetsAfter[k] {
			t.Errorf("incremental sync deleted host target %s", k)
		}
	}
	mark := rep.HighWaterMarks[DatasetDetections]
	if !mark.Equal(b.sim.Now()) {
		t.Errorf("detections mark %v, want the server's time %v", mark, b.sim.Now())
	}

	all := b.reported(t, time.Time{})
	rep = b.syncWallClock(t, true)
	full := b.entities(t, TypeHostFinding)
	for k, open := range all {
		if e, ok := full[k]; !ok || e.Properties["open"] != open {
			t.Errorf("after reconcile finding %s: present %v, open %v; Qualys says open=%v", k, ok, e.Properties["open"], open)
		}
	}
	for k := range full {
		if _, ok := all[k]; !ok {
			t.Errorf("reconcile kept finding %s, which Qualys no longer reports", k)
		}
	}
	t.Logf("after reconcile: %d findings (%d deleted), %d reported", len(full), rep.Sync.Entities[TypeHostFinding].Deleted, len(all))
}

// TestSimGapLongerThanWindowIsRead lets more time pass between two runs than
// minFindingsSinceDays and minScannedSinceDays: the incremental run must
// list hosts and read detections from the high-water marks, not from
// now − days, so no change of the gap is missed.
func TestSimGapLongerThanWindowIsRead(t *testing.T) {
	o := smallSim()
	o.Now = time.Now().UTC().Truncate(time.Second)
	b := newSimBundle(t, o)
	b.syncWallClock(t, false)
	t0 := b.sim.Now()
	for range 3 { // 30 days in three steps, so hosts are rescanned along the way
		if err := b.sim.Advance(10 * 24 * time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	gap := b.reported(t, t0)
	b.syncWallClock(t, false)
	after := b.entities(t, TypeHostFinding)
	var stale, missing int
	for k, open := range gap {
		e, ok := after[k]
		switch {
		case !ok:
			missing++
		case e.Properties["open"] != open:
			stale++
		}
	}
	if len(gap) == 0 {
		t.Fatal("no finding changed in the gap")
	}
	if stale != 0 || missing != 0 {
		t.Errorf("of %d findings changed in the 30-day gap, %d are missing and %d still have their old open state", len(gap), missing, stale)
	}
}

// TestSimScannedWindowFollowsTheMark leaves more time between two runs than
// minScannedSinceDays, on the simulator's clock: the host and web-app lists
// of the second run must start at the previous run's mark, so a host or a
// web app scanned early in the gap, and not since, is still read.
func TestSimScannedWindowFollowsTheMark(t *testing.T) {
	b := newSimBundle(t, smallSim())
	b.inst.Qualys.MinScannedSinceDays = 2
	b.inst.Qualys.MinFindingsSinceDays = 2
	if rep := b.sync(t, false); rep.Failed() {
		t.Fatalf("first sync failed: %+v", rep.Steps)
	}
	t0 := b.sim.Now()
	for range 4 { // 12 days in four scans, so some hosts are scanned only early on
		if err := b.sim.Advance(3 * 24 * time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	c, err := NewClient(b.inst, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[int64]bool{}
	if err := c.ScannedHostIDs(ctx, qualys.HostListParams{ProcessedAfter: t0}, func(id int64) error { hosts[id] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	early := map[int64]bool{}
	floor := b.sim.Now().Add(-2 * 24 * time.Hour)
	if err := c.ScannedHostIDs(ctx, qualys.HostListParams{ProcessedAfter: floor}, func(id int64) error { early[id] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(early) >= len(hosts) {
		t.Fatalf("%d hosts scanned in the gap, %d in its last two days; the test needs hosts scanned only early", len(hosts), len(early))
	}
	scanned := true
	apps := map[string]bool{}
	if err := c.WebApps(ctx, qualys.WebAppParams{Scanned: &scanned, LastScanAfter: t0}, func(a *qualys.WebApp) error { apps[WebAppKey(a.ID)] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	gap := b.reported(t, t0)

	rep := b.sync(t, false)
	if rep.Failed() {
		t.Fatalf("second sync failed: %+v", rep.Steps)
	}
	targets := b.scansTargets(t)
	var missingHosts int
	for id := range hosts {
		if !targets[graph.RelationshipKey(KeyVMDR, ClassScans, DiscoveredHostKey(id))] {
			missingHosts++
		}
	}
	if missingHosts > 0 {
		t.Errorf("%d of %d hosts scanned in the gap (%d of them in its last two days) have no SCANS link", missingHosts, len(hosts), len(early))
	}
	stored := b.entities(t, TypeHostFinding)
	var missing, stale int
	for k, open := range gap {
		e, ok := stored[k]
		switch {
		case !ok:
			missing++
		case e.Properties["open"] != open:
			stale++
		}
	}
	if missing > 0 || stale > 0 {
		t.Errorf("of %d findings changed in the gap, %d are missing and %d have their old open state", len(gap), missing, stale)
	}
	webApps := b.entities(t, TypeWebApp)
	for k := range apps {
		if _, ok := webApps[k]; !ok {
			t.Errorf("web app %s, scanned in the gap, is missing", k)
		}
	}
	for _, ds := range []string{DatasetScannedHosts, DatasetScannedWebApps} {
		if mark := rep.HighWaterMarks[ds]; mark.IsZero() || mark.Before(t0) {
			t.Errorf("%s mark %v, want one after %v", ds, mark, t0)
		}
	}
}
