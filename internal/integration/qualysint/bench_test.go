package qualysint

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/qualys"
	"github.com/qgraph/qgraph/internal/qualys/sim"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// envInt reads a benchmark size from the environment.
func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		b.Fatalf("%s=%q: %v", name, s, err)
	}
	return n
}

// BenchmarkFullSync runs full syncs from an in-process simulator into a
// fresh SQLite store and then an unchanged re-sync. Sizes come from
// QGRAPH_BENCH_HOSTS (default 1000) and QGRAPH_BENCH_DETECTIONS_PER_HOST
// (default 20); bench/sync.sh runs the large case with separate processes
// so that peak RSS is the sync's own.
func BenchmarkFullSync(b *testing.B) {
	hosts := envInt(b, "QGRAPH_BENCH_HOSTS", 1000)
	perHost := envInt(b, "QGRAPH_BENCH_DETECTIONS_PER_HOST", 20)
	o := sim.DemoOptions()
	o.Hosts, o.DetectionsPerHost, o.Seed = hosts, perHost, 1
	s, err := sim.New(o)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	q := config.DefaultQualys()
	q.APIURL, q.Username, q.Password = srv.URL, o.Username, o.Password
	q.VMDRFindingSeverities = []int{1, 2, 3, 4, 5}
	q.VMDRFindingTypes = []string{"Info", "Potential", "Confirmed"}
	inst := config.Instance{Name: "bench", Qualys: q}
	ctx := context.Background()
	for _, resync := range []bool{false, true} {
		name := "fresh"
		if resync {
			name = "unchanged"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if resync {
					if _, err := Sync(ctx, SyncOptions{Store: st, Instance: inst, Full: true, Now: s.Now}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				rep, err := Sync(ctx, SyncOptions{Store: st, Instance: inst, Full: true, Now: s.Now})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if rep.Failed() {
					b.Fatalf("sync failed: %+v", rep.Steps)
				}
				b.ReportMetric(float64(rep.Step(StepHostDetections).Counters["findings"]), "findings/op")
				st.Close()
			}
		})
	}
}

// simHostAssets reads the host assets of a simulator with the given number
// of hosts through the Qualys client, as the host-details step does.
func simHostAssets(b *testing.B, hosts int) []*qualys.HostAsset {
	b.Helper()
	o := sim.DemoOptions()
	o.Hosts, o.DetectionsPerHost, o.Seed = hosts, 1, 1
	s, err := sim.New(o)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c, err := qualys.New(qualys.Options{APIURL: srv.URL, Username: o.Username, Password: o.Password})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var ids []int64
	if err := c.ScannedHostIDs(ctx, qualys.HostListParams{}, func(id int64) error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		b.Fatalf("list hosts: %v", err)
	}
	var out []*qualys.HostAsset
	if err := c.HostAssets(ctx, qualys.HostAssetParams{HostIDs: ids}, func(a *qualys.HostAsset) error {
		out = append(out, a)
		return nil
	}); err != nil {
		b.Fatalf("read host assets: %v", err)
	}
	return out
}

// liveHeap is the live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkHostTargets builds the host targets the job keeps between the
// host-details and the detections steps for QGRAPH_BENCH_HOSTS simulated
// hosts (default 5000), and reports the live heap they hold per host
// (retainedB/host) next to the usual allocation figures.
func BenchmarkHostTargets(b *testing.B) {
	assets := simHostAssets(b, envInt(b, "QGRAPH_BENCH_HOSTS", 5000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before := liveHeap()
		b.StartTimer()
		targets := make(map[int64]*hostTarget, len(assets))
		for _, a := range assets {
			_, t, err := HostTarget(a)
			if err != nil {
				b.Fatal(err)
			}
			targets[a.QWebHostID] = &t
		}
		b.StopTimer()
		b.ReportMetric(float64(liveHeap()-before)/float64(len(assets)), "retainedB/host")
		runtime.KeepAlive(targets)
		b.StartTimer()
	}
}
