package qualysint

import (
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/qualys"
)

// TestHostMappingsShareTargetEntity checks that the SCANS link of a host
// and the HAS link of each of its findings describe the host with the
// same entity, so the placeholder the mapper makes from either is the
// same whatever order the store hands them over in.
func TestHostMappingsShareTargetEntity(t *testing.T) {
	port := int64(443)
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, target := HostTarget(&tt.asset)
			if e.Type != tt.want {
				t.Fatalf("host type %s, want %s", e.Type, tt.want)
			}
			scans := ScansMapping(e, tt.asset.QWebHostID)
			h := &qualys.DetectionHost{ID: tt.asset.QWebHostID, IP: tt.asset.Address}
			d := &qualys.Detection{QID: 38173, Port: &port, Protocol: "tcp", Status: "Active"}
			finding := HostFinding(h, d, &target, &FindingOptions{})
			_, has := HostFindingLinks(finding.Key, d.QID, &target)
			sameEntity(t, "SCANS and HAS", scans.TargetEntity, has.TargetEntity)
			// The mappings carry copies: changing one leaves the other
			// and the entity alone.
			has.TargetEntity.Properties["displayName"] = "changed"
			if scans.TargetEntity.Properties["displayName"] == "changed" || e.Properties["displayName"] == "changed" {
				t.Error("the HAS target entity shares its properties with the SCANS one")
			}
			_, again := HostFindingLinks(finding.Key, d.QID, &target)
			sameEntity(t, "two HAS links", scans.TargetEntity, again.TargetEntity)
		})
	}
}

func sameEntity(t *testing.T, what string, a, b graph.Entity) {
	t.Helper()
	if a.Key != b.Key || a.Type != b.Type || len(a.Class) != len(b.Class) || a.Class[0] != b.Class[0] || !a.Properties.Equal(b.Properties) {
		t.Errorf("%s target entities differ:\n%s %s %v\n%s %s %v", what, a.Key, a.Type, a.Properties, b.Key, b.Type, b.Properties)
	}
}
