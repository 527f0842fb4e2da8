package qualysint

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/qualys"
	"github.com/qgraph/qgraph/internal/store/sqlite"
)

// TestHostMappingsShareTargetEntity checks that the SCANS link of a host
// and the HAS link of each of its findings describe the host with the
// same entity, so the placeholder the mapper makes from either is the
// same whatever order the store hands them over in, and that the HAS
// links of one host share one description.
func TestHostMappingsShareTargetEntity(t *testing.T) {
	port, ssh := int64(443), int64(22)
	tests := []struct {
		name  string
		asset qualys.HostAsset
		want  string
	}{
		{name: "discovered host", want: TypeDiscoveredHost, asset: qualys.HostAsset{ID: 11, QWebHostID: 101, Name: "db-1", Hostname: "db-1", Address: "10.0.0.1", OS: "Linux 5.4"}},
		{name: "aws instance named by its Name tag", want: TypeAWSInstance, asset: qualys.HostAsset{ID: 12, QWebHostID: 102, Hostname: "ip-10-0-0-2", Address: "10.0.0.2",
			EC2Sources: []qualys.EC2Source{{InstanceID: "i-6ed2d5ee603c8bff5", AccountID: "123456789012", Region: "eu-west-1", Tags: []qualys.KeyValue{{Key: "Name", Value: "mon-stg"}}}}}},
		{name: "gcp instance", want: TypeGCPInstance, asset: qualys.HostAsset{ID: 13, QWebHostID: 103, Name: "web-1",
			GCPSources: []qualys.GCPSource{{InstanceID: "123456789012345678", ProjectID: "proj", Zone: "zones/europe-west1-b"}}}},
		{name: "azure vm", want: TypeAzureVM, asset: qualys.HostAsset{ID: 14, QWebHostID: 104,
			AzureSources: []qualys.AzureSource{{Name: "vm-1", SubscriptionID: "sub", ResourceGroupName: "rg", Tags: []qualys.KeyValue{{Key: "Name", Value: "billing"}}}}}},
		{name: "values JSON escapes", want: TypeDiscoveredHost, asset: qualys.HostAsset{ID: 15, QWebHostID: 105, Name: "db <1> & \"q\" \\ \u2028 ü 😀", Hostname: "db-5",
			OS: "Linux\t5.4", Tags: []qualys.AssetTag{{ID: 1, Name: "a<b>"}, {ID: 2, Name: "ß"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, target, err := HostTarget(&tt.asset)
			if err != nil {
				t.Fatal(err)
			}
			if e.Type != tt.want {
				t.Fatalf("host type %s, want %s", e.Type, tt.want)
			}
			scans := ScansMapping(e, tt.asset.QWebHostID)
			host, err := target.entity()
			if err != nil {
				t.Fatal(err)
			}
			h := &qualys.DetectionHost{ID: tt.asset.QWebHostID, IP: tt.asset.Address}
			var has []graph.MappedRelationship
			for _, d := range []*qualys.Detection{
				{QID: 38173, Port: &port, Protocol: "tcp", Status: "Active"},
				{QID: 38174, Port: &ssh, Protocol: "tcp", Status: "New"},
			} {
				finding := HostFinding(h, d, &target, &FindingOptions{})
				_, m := HostFindingLinks(finding.Key, d.QID, &target, host)
				has = append(has, m)
			}
			if has[0].Key == has[1].Key {
				t.Fatalf("the two findings have one HAS link %s", has[0].Key)
			}
			for _, m := range has {
				sameEntity(t, "SCANS and HAS", scans.TargetEntity, m.TargetEntity)
				sameDescription(t, scans.TargetEntity.Properties, m.TargetEntity.Properties)
			}
			if !sameMap(has[0].TargetEntity.Properties, has[1].TargetEntity.Properties) {
				t.Error("the HAS links of one host carry separate descriptions")
			}
			if sameMap(scans.TargetEntity.Properties, has[0].TargetEntity.Properties) {
				t.Error("the HAS target entity shares its properties with the SCANS one")
			}
		})
	}
}

// TestHostDetectionsShareTargetDescription runs a job against the
// simulator and checks, in the batches handed to the store, that all the
// HAS links of one host carry one description (the same map), and that
// it encodes exactly as the description its SCANS link carries.
func TestHostDetectionsShareTargetDescription(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "graph.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := &capturingStore{Store: db}
	b := newSimBundleOn(t, smallSim(), st)
	if rep := b.sync(t, true); rep.Failed() {
		t.Fatalf("sync failed: %+v", rep.Steps)
	}
	scans := map[string]graph.Properties{}
	has := map[string][]graph.Properties{}
	for _, batch := range st.batches {
		for _, m := range batch.Mappings {
			switch m.Class {
			case ClassScans:
				scans[m.TargetEntity.Key] = m.TargetEntity.Properties
			case ClassHas:
				has[m.TargetEntity.Key] = append(has[m.TargetEntity.Key], m.TargetEntity.Properties)
			}
		}
	}
	var shared, compared int
	for key, descs := range has {
		for _, d := range descs[1:] {
			if !sameMap(descs[0], d) {
				t.Errorf("host %s: the HAS links carry separate descriptions", key)
				break
			}
		}
		if len(descs) > 1 {
			shared++
		}
		if s, ok := scans[key]; ok {
			sameDescription(t, s, descs[0])
			compared++
		}
	}
	if shared == 0 || compared == 0 {
		t.Fatalf("nothing checked: %d hosts with several findings, %d with a SCANS link", shared, compared)
	}
}

func sameEntity(t *testing.T, what string, a, b graph.Entity) {
	t.Helper()
	if a.Key != b.Key || a.Type != b.Type || len(a.Class) != len(b.Class) || a.Class[0] != b.Class[0] || !a.Properties.Equal(b.Properties) {
		t.Errorf("%s target entities differ:\n%s %s %v\n%s %s %v", what, a.Key, a.Type, a.Properties, b.Key, b.Type, b.Properties)
	}
}

// sameDescription checks that two target descriptions encode to the same
// bytes, as the store keeps them.
func sameDescription(t *testing.T, a, b graph.Properties) {
	t.Helper()
	x, err := a.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	y, err := b.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("target descriptions differ:\n%s\n%s", x, y)
	}
}

// sameMap reports whether a and b are one map.
func sameMap(a, b graph.Properties) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}
