package mapper

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// benchShape sizes the generated Qualys-like graph: hosts with
// detectionsPerHost findings each; one finding in cveEvery has a CVE. scan
// numbers the vulnerability scan the hosts' lastScannedOn comes from.
type benchShape struct {
	hosts, detectionsPerHost, cveEvery, cves int
	scan                                     int
}

// benchShapeFromEnv reads QGRAPH_BENCH_HOSTS and
// QGRAPH_BENCH_DETECTIONS_PER_HOST; the defaults keep CI runs short. The
// main job's scale is 76000 hosts with 33 detections each.
func benchShapeFromEnv() benchShape {
	s := benchShape{hosts: 2000, detectionsPerHost: 30, cveEvery: 10, cves: 20000}
	if v, err := strconv.Atoi(os.Getenv("QGRAPH_BENCH_HOSTS")); err == nil && v > 0 {
		s.hosts = v
	}
	if v, err := strconv.Atoi(os.Getenv("QGRAPH_BENCH_DETECTIONS_PER_HOST")); err == nil && v > 0 {
		s.detectionsPerHost = v
	}
	return s
}

// benchHost returns the host target of host i: 60% discovered hosts found
// by QWEB id, 30% EC2 and 5% GCP instances found by identity, 5% Azure VMs
// that are never created. The descriptions carry about as many properties
// as the Qualys integration's host asset entities (16, 31 for EC2).
func benchHost(i, scan int) (graph.Entity, []string, bool) {
	qweb := int64(10_000_000_000 + i)
	p := benchHostProperties(i, qweb, scan)
	switch i % 20 {
	case 0, 1, 2, 3, 4, 5:
		key := fmt.Sprintf("arn:aws:ec2:us-east-1:123456789012:instance/i-%017x", i)
		p["name"], p["displayName"] = key, key
		addBenchEC2Properties(p, i)
		return graph.Entity{Key: key, Type: "aws_instance", Class: []string{"Host"}, Properties: p}, []string{"_type", "_key"}, false
	case 6:
		key := fmt.Sprintf("https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/vm-%d", i)
		p["name"], p["displayName"] = key, key
		return graph.Entity{Key: key, Type: "google_compute_instance", Class: []string{"Host"}, Properties: p}, []string{"_type", "_key"}, false
	case 7:
		key := fmt.Sprintf("/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm-%d", i)
		p["name"], p["displayName"] = key, key
		return graph.Entity{Key: key, Type: "azure_vm", Class: []string{"Host"}, Properties: p}, []string{"_type", "_key"}, true
	default:
		key := "Host:" + strconv.FormatInt(qweb, 10)
		p["name"], p["displayName"] = key, key
		return graph.Entity{Key: key, Type: "discovered_host", Class: []string{"Host"}, Properties: p}, []string{"_class", "qualysQwebHostId"}, false
	}
}

// benchHostProperties returns the properties every kind of host asset
// has: names, addresses, operating system, times, ids and tags.
func benchHostProperties(i int, qweb int64, scan int) graph.Properties {
	hostname := fmt.Sprintf("host-%d.example.com", i)
	created := int64(1_700_000_000_000 + i*1000)
	return graph.Properties{
		"hostname": hostname, "fqdn": hostname, "scannedBy": "qualys",
		"qualysAssetId": int64(5_000_000 + i), "qualysQwebHostId": qweb,
		"os": "Amazon Linux 2 (kernel 5.10.220-209.869.amzn2.x86_64)", "platform": "linux",
		"qualysCreatedOn": created, "lastScannedOn": created + int64(1+scan)*86_400_000,
		"ipAddress":        fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
		"privateIpAddress": fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
		"id":               []any{strconv.Itoa(5_000_000 + i), strconv.FormatInt(qweb, 10)},
		"tags":             []any{"Cloud Agent", "Production", fmt.Sprintf("team-%d", i%17)},
	}
}

// addBenchEC2Properties adds what an EC2 source of a host asset adds.
func addBenchEC2Properties(p graph.Properties, i int) {
	id := fmt.Sprintf("i-%017x", i)
	p["instanceId"], p["accountId"], p["region"], p["state"] = id, "123456789012", "us-east-1", "running"
	p["availabilityZone"], p["subnetId"], p["vpcId"] = "us-east-1a", fmt.Sprintf("subnet-%08x", i%64), "vpc-0a1b2c3d"
	p["instanceType"], p["imageId"], p["reservationId"] = "m5.large", "ami-0abcdef1234567890", fmt.Sprintf("r-%017x", i)
	p["privateDnsName"] = fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", i>>8&255, i&255)
	p["qualysFirstDiscoveredOn"], p["qualysLastUpdatedOn"] = int64(1_700_000_000_000), int64(1_700_100_000_000)
	p["tag.Name"], p["tag.Environment"] = fmt.Sprintf("web-%d", i), "production"
	p["id"] = append(p["id"].([]any), id)
}

// populate syncs the generated Qualys instance into st and returns the
// number of mappings it holds. As in the integration, a host's SCANS link
// and its findings' HAS links carry the same description.
func populate(tb testing.TB, st store.Store, s benchShape) int {
	tb.Helper()
	ctx := context.Background()
	sess, err := st.BeginSync(ctx, store.SyncParams{Scope: qualysScope, JobID: "bench-sync", Mode: store.Replace})
	if err != nil {
		tb.Fatal(err)
	}
	vmdr := graph.Entity{Key: "qualys-service:vmdr", Type: "qualys_vulnerability_manager", Class: []string{"Service"},
		Properties: graph.Properties{"name": "VMDR", "displayName": "VMDR", "category": []any{"security"}, "function": []any{"scanning"}}}
	var b store.Batch
	b.Entities = append(b.Entities, vmdr)
	mappings := 0
	flush := func(force bool) {
		if !force && len(b.Entities)+len(b.Mappings) < 10000 {
			return
		}
		if err := sess.Put(ctx, b); err != nil {
			tb.Fatal(err)
		}
		b = store.Batch{}
	}
	for h := 0; h < s.hosts; h++ {
		host, filter, skip := benchHost(h, s.scan)
		scans := graph.MappedRelationship{
			Key: "qualys-service:vmdr|scans|Host:" + strconv.Itoa(10_000_000_000+h), Type: "qualys_vulnerability_manager_scans_" + host.Type,
			Class: "SCANS", Direction: graph.Forward, SourceKey: vmdr.Key, TargetFilterKeys: [][]string{filter}, TargetEntity: host, SkipTargetCreation: skip,
		}
		b.Mappings = append(b.Mappings, scans)
		mappings++
		for d := 0; d < s.detectionsPerHost; d++ {
			qid := int64(38000 + (h*7+d*13)%5000)
			fk := fmt.Sprintf("hostId:%d|port:%d|protocol:tcp|qid:%d|ssl:0", 10_000_000_000+h, 1000+d, qid)
			b.Entities = append(b.Entities, graph.Entity{Key: fk, Type: "qualys_host_finding", Class: []string{"Finding"}, Properties: graph.Properties{
				"name": fmt.Sprintf("QID %d", qid), "displayName": fmt.Sprintf("QID %d", qid), "category": "system", "severity": "high",
				"numericSeverity": int64(4), "open": true, "qid": qid, "hostId": int64(10_000_000_000 + h), "port": int64(1000 + d)}})
			has := hostHasFinding(fk, host, filter)
			has.SkipTargetCreation = skip
			b.Mappings = append(b.Mappings, has)
			mappings++
			if (h*s.detectionsPerHost+d)%s.cveEvery == 0 {
				cve := fmt.Sprintf("cve-2024-%05d", (h*s.detectionsPerHost+d)%s.cves)
				b.Mappings = append(b.Mappings, graph.MappedRelationship{
					Key: fk + "|is|" + cve, Type: "qualys_host_finding_is_cve", Class: "IS", Direction: graph.Forward, SourceKey: fk,
					TargetFilterKeys: [][]string{{"_type", "_key"}},
					TargetEntity: graph.Entity{Key: cve, Type: "cve", Class: []string{"Vulnerability"}, Properties: graph.Properties{
						"name": cve, "displayName": cve, "id": cve, "webLink": "https://nvd.nist.gov/vuln/detail/" + cve, "category": "cve", "severity": nil, "blocking": false, "open": nil, "production": nil, "public": nil}},
				})
				mappings++
			}
			flush(false)
		}
	}
	flush(true)
	if _, err := sess.Commit(ctx, store.CommitParams{}); err != nil {
		tb.Fatal(err)
	}
	return mappings
}

// addFindings merges n new findings (and their mappings) into the
// generated instance, spread over the hosts, and returns n.
func addFindings(tb testing.TB, st store.Store, s benchShape, n int) int {
	tb.Helper()
	ctx := context.Background()
	sess, err := st.BeginSync(ctx, store.SyncParams{Scope: qualysScope, JobID: "bench-increment", Mode: store.Merge})
	if err != nil {
		tb.Fatal(err)
	}
	var b store.Batch
	for i := 0; i < n; i++ {
		h := (i * 7919) % s.hosts
		host, filter, skip := benchHost(h, s.scan)
		fk := fmt.Sprintf("hostId:%d|port:%d|protocol:udp|qid:%d|ssl:0", 10_000_000_000+h, 50000+i, 99000+i%100)
		b.Entities = append(b.Entities, graph.Entity{Key: fk, Type: "qualys_host_finding", Class: []string{"Finding"}, Properties: graph.Properties{
			"name": "new", "displayName": "new", "category": "system", "severity": "high", "numericSeverity": int64(4), "open": true, "qid": int64(99000 + i%100)}})
		has := hostHasFinding(fk, host, filter)
		has.SkipTargetCreation = skip
		b.Mappings = append(b.Mappings, has)
	}
	if err := sess.Put(ctx, b); err != nil {
		tb.Fatal(err)
	}
	if _, err := sess.Commit(ctx, store.CommitParams{}); err != nil {
		tb.Fatal(err)
	}
	return n
}

// uploadInstances uploads n of the generated EC2 instances as real
// entities of an upload scope and returns n.
func uploadInstances(tb testing.TB, st store.Store, s benchShape, n int) int {
	tb.Helper()
	var b store.Batch
	for h := 0; len(b.Entities) < n && h < s.hosts; h++ {
		host, _, _ := benchHost(h, s.scan)
		if host.Type == "aws_instance" {
			b.Entities = append(b.Entities, graph.Entity{Key: host.Key, Type: host.Type, Class: host.Class,
				Properties: graph.Properties{"name": "ec2", "displayName": "ec2", "instanceType": "m5.large"}})
		}
	}
	syncScope(tb, st, store.UploadScope("aws-inventory"), b)
	return len(b.Entities)
}

// BenchmarkResolveFullSync measures the first Resolve after a full sync
// of a generated Qualys subscription (size from QGRAPH_BENCH_HOSTS), then
// a Resolve with nothing changed, one after 1% new findings, one after an
// upload that adopts 1000 placeholders, and one after the next day's full
// sync, which describes every host anew. It reports the CPU time and the
// peak heap of the first.
func BenchmarkResolveFullSync(b *testing.B) {
	s := benchShapeFromEnv()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s.scan = 0
		dir := b.TempDir()
		st, err := sqlite.Open(context.Background(), filepath.Join(dir, "bench.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		n := populate(b, st, s)
		b.Logf("populated %d hosts, %d findings, %d mappings in %s", s.hosts, s.hosts*s.detectionsPerHost, n, time.Since(start).Round(time.Millisecond))
		runtime.GC()
		m := New(st, Options{Rules: DefaultRules()})
		b.StartTimer()
		r := measureResolve(b, m)
		rep, full, cpu, peak := r.rep, r.wall, r.cpu, r.peak
		b.StopTimer()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.Logf("full resolve: %s wall, %s CPU; mappings %d, targets %d, relationships %d, placeholders %d, unresolved %d; heap peak %d MB (%d MB live), in use after %d MB",
			full.Round(time.Millisecond), cpu.Round(time.Millisecond), rep.MappingsResolved, rep.TargetsResolved, rep.RelationshipsPut, rep.PlaceholdersCreated, rep.Unresolved,
			peak.objects>>20, peak.live>>20, ms.HeapInuse>>20)
		b.ReportMetric(float64(n)/full.Seconds(), "mappings/s")
		b.ReportMetric(float64(n)/cpu.Seconds(), "mappings/cpu-s")
		b.ReportMetric(float64(peak.objects)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(peak.live)/(1<<20), "peak-live-MB")
		r = measureResolve(b, m)
		b.Logf("unchanged resolve: %s (%d mappings read)", r.wall.Round(time.Millisecond), r.rep.MappingsRead)

		// An incremental sync: 1% new findings on existing hosts.
		added := addFindings(b, st, s, s.hosts*s.detectionsPerHost/100)
		r = measureResolve(b, m)
		b.Logf("resolve after %d new findings: %s wall, %s CPU; %d mappings read, %d targets resolved, %d relationships put; heap peak %d MB (%d MB live)",
			added, r.wall.Round(time.Millisecond), r.cpu.Round(time.Millisecond), r.rep.MappingsRead, r.rep.TargetsResolved, r.rep.RelationshipsPut, r.peak.objects>>20, r.peak.live>>20)

		// An inventory upload adopting 1000 EC2 placeholders.
		adopted := uploadInstances(b, st, s, 1000)
		r = measureResolve(b, m)
		b.Logf("resolve after an upload adopting %d placeholders: %s wall, %s CPU; %d mappings scanned, %d rechecked, %d placeholders deleted",
			adopted, r.wall.Round(time.Millisecond), r.cpu.Round(time.Millisecond), r.rep.MappingsScanned, r.rep.MappingsRechecked, r.rep.PlaceholdersDeleted)

		// The next day's full sync: every host was scanned again, so every
		// mapping to a host describes it anew and its placeholder changes.
		s.scan++
		populate(b, st, s)
		r = measureResolve(b, m)
		b.Logf("resolve after a rescan of every host: %s wall, %s CPU; %d mappings read, %d placeholders updated; heap peak %d MB (%d MB live)",
			r.wall.Round(time.Millisecond), r.cpu.Round(time.Millisecond), r.rep.MappingsRead, r.rep.PlaceholdersUpdated, r.peak.objects>>20, r.peak.live>>20)
		st.Close()
		b.StartTimer()
	}
}

// resolveRun is one measured Resolve: its report, wall and CPU time, and
// the heap's peaks while it ran.
type resolveRun struct {
	rep       *Report
	wall, cpu time.Duration
	peak      heapPeaks
}

// measureResolve runs m.Resolve once, measuring it; an error fails b.
func measureResolve(b *testing.B, m *Mapper) resolveRun {
	b.Helper()
	start, cpu0 := time.Now(), cpuTime()
	stop := sampleHeap(5 * time.Millisecond)
	rep, err := m.Resolve(context.Background())
	peak := stop()
	if err != nil {
		b.Fatal(err)
	}
	return resolveRun{rep: rep, wall: time.Since(start), cpu: cpuTime() - cpu0, peak: peak}
}

// heapPeaks are the largest heap sizes seen while sampling.
type heapPeaks struct {
	// objects is runtime.MemStats.HeapAlloc: live objects and those not
	// collected yet.
	objects uint64
	// live is the heap the last garbage collection found live.
	live uint64
}

// sampleHeap samples the heap every interval until the returned function
// is called; that function stops the sampling and returns the peaks.
// runtime/metrics is read instead of runtime.ReadMemStats, which would
// stop the world at every sample.
func sampleHeap(interval time.Duration) (stop func() heapPeaks) {
	done := make(chan struct{})
	result := make(chan heapPeaks, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		var peak heapPeaks
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak.objects = max(peak.objects, s[0].Value.Uint64())
			peak.live = max(peak.live, s[1].Value.Uint64())
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() heapPeaks {
		close(done)
		return <-result
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
