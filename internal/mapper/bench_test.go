package mapper

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// benchShape sizes the generated Qualys-like graph: hosts with
// detectionsPerHost findings each; one finding in cveEvery has a CVE.
type benchShape struct {
	hosts, detectionsPerHost, cveEvery, cves int
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
// that are never created.
func benchHost(i int) (graph.Entity, []string, bool) {
	qweb := int64(10_000_000_000 + i)
	p := graph.Properties{"qualysQwebHostId": qweb, "scannedBy": "qualys", "hostname": fmt.Sprintf("host-%d.example.com", i)}
	switch i % 20 {
	case 0, 1, 2, 3, 4, 5:
		key := fmt.Sprintf("arn:aws:ec2:us-east-1:123456789012:instance/i-%017x", i)
		p["name"], p["displayName"] = key, key
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

// populate syncs the generated Qualys instance into st and returns the
// number of mappings it holds.
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
		host, filter, skip := benchHost(h)
		scans := graph.MappedRelationship{
			Key: "qualys-service:vmdr|scans|Host:" + strconv.Itoa(10_000_000_000+h), Type: "qualys_vulnerability_manager_scans_" + host.Type,
			Class: "SCANS", Direction: graph.Forward, SourceKey: vmdr.Key, TargetFilterKeys: [][]string{filter}, TargetEntity: host, SkipTargetCreation: skip,
		}
		b.Mappings = append(b.Mappings, scans)
		mappings++
		small := graph.Entity{Key: host.Key, Type: host.Type, Class: host.Class, Properties: graph.Properties{
			"name": host.Properties["name"], "displayName": host.Properties["displayName"], "qualysQwebHostId": host.Properties["qualysQwebHostId"], "scannedBy": "qualys"}}
		for d := 0; d < s.detectionsPerHost; d++ {
			qid := int64(38000 + (h*7+d*13)%5000)
			fk := fmt.Sprintf("hostId:%d|port:%d|protocol:tcp|qid:%d|ssl:0", 10_000_000_000+h, 1000+d, qid)
			b.Entities = append(b.Entities, graph.Entity{Key: fk, Type: "qualys_host_finding", Class: []string{"Finding"}, Properties: graph.Properties{
				"name": fmt.Sprintf("QID %d", qid), "displayName": fmt.Sprintf("QID %d", qid), "category": "system", "severity": "high",
				"numericSeverity": int64(4), "open": true, "qid": qid, "hostId": int64(10_000_000_000 + h), "port": int64(1000 + d)}})
			has := hostHasFinding(fk, small, filter)
			has.SkipTargetCreation = skip
			b.Mappings = append(b.Mappings, has)
			mappings++
			if (h*s.detectionsPerHost+d)%s.cveEvery == 0 {
				cve := fmt.Sprintf("cve-2024-%05d", (h*s.detectionsPerHost+d)%s.cves)
				b.Mappings = append(b.Mappings, graph.MappedRelationship{
					Key: fk + "|is|" + cve, Type: "qualys_host_finding_is_cve", Class: "IS", Direction: graph.Forward, SourceKey: fk,
					TargetFilterKeys: [][]string{{"_type", "_key"}},
					TargetEntity: graph.Entity{Key: cve, Type: "cve", Class: []string{"Vulnerability"}, Properties: graph.Properties{
						"name": cve, "displayName": cve, "category": "cve", "severity": nil, "blocking": false, "open": nil, "production": nil, "public": nil}},
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
		host, filter, skip := benchHost(h)
		small := graph.Entity{Key: host.Key, Type: host.Type, Class: host.Class, Properties: graph.Properties{
			"name": host.Properties["name"], "displayName": host.Properties["displayName"], "qualysQwebHostId": host.Properties["qualysQwebHostId"], "scannedBy": "qualys"}}
		fk := fmt.Sprintf("hostId:%d|port:%d|protocol:udp|qid:%d|ssl:0", 10_000_000_000+h, 50000+i, 99000+i%100)
		b.Entities = append(b.Entities, graph.Entity{Key: fk, Type: "qualys_host_finding", Class: []string{"Finding"}, Properties: graph.Properties{
			"name": "new", "displayName": "new", "category": "system", "severity": "high", "numericSeverity": int64(4), "open": true, "qid": int64(99000 + i%100)}})
		has := hostHasFinding(fk, small, filter)
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
		host, _, _ := benchHost(h)
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
// a Resolve with nothing changed, one after 1% new findings, and one after
// an upload that adopts 1000 placeholders.
func BenchmarkResolveFullSync(b *testing.B) {
	s := benchShapeFromEnv()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
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
		start = time.Now()
		cpu0 := cpuTime()
		rep, err := m.Resolve(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		full := time.Since(start)
		cpu := cpuTime() - cpu0
		b.StopTimer()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.Logf("full resolve: %s wall, %s CPU; mappings %d, targets %d, relationships %d, placeholders %d, unresolved %d; heap in use %d MB",
			full.Round(time.Millisecond), cpu.Round(time.Millisecond), rep.MappingsResolved, rep.TargetsResolved, rep.RelationshipsPut, rep.PlaceholdersCreated, rep.Unresolved, ms.HeapInuse>>20)
		b.ReportMetric(float64(n)/full.Seconds(), "mappings/s")
		b.ReportMetric(float64(n)/cpu.Seconds(), "mappings/cpu-s")
		start = time.Now()
		if rep, err = m.Resolve(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Logf("unchanged resolve: %s (%d mappings read)", time.Since(start).Round(time.Millisecond), rep.MappingsRead)

		// An incremental sync: 1% new findings on existing hosts.
		added := addFindings(b, st, s, s.hosts*s.detectionsPerHost/100)
		start, cpu0 = time.Now(), cpuTime()
		if rep, err = m.Resolve(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Logf("resolve after %d new findings: %s wall, %s CPU; %d mappings read, %d targets resolved, %d relationships put",
			added, time.Since(start).Round(time.Millisecond), (cpuTime() - cpu0).Round(time.Millisecond), rep.MappingsRead, rep.TargetsResolved, rep.RelationshipsPut)

		// An inventory upload adopting 1000 EC2 placeholders.
		adopted := uploadInstances(b, st, s, 1000)
		start, cpu0 = time.Now(), cpuTime()
		if rep, err = m.Resolve(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Logf("resolve after an upload adopting %d placeholders: %s wall, %s CPU; %d mappings scanned, %d rechecked, %d placeholders deleted",
			adopted, time.Since(start).Round(time.Millisecond), (cpuTime() - cpu0).Round(time.Millisecond), rep.MappingsScanned, rep.MappingsRechecked, rep.PlaceholdersDeleted)
		st.Close()
		b.StartTimer()
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
