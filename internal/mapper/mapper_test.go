package mapper

import (
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/store"
)

const discKey = "Host:12688456922"

func fkey(id string) string { return "hostId:" + id + "|qid:x" }

const arn = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"

var qualysScope = store.InstanceScope("prod-qualys")

// qualysBatch is a small Qualys sync: three findings whose hosts are an
// EC2 instance (by identity), a discovered host (by QWEB id) and an Azure
// VM that must not be created.
func qualysBatch(withDiscovered bool) store.Batch {
	f1, f2, f3 := findingEntity("1", int64(100)), findingEntity("2", int64(200)), findingEntity("3", int64(300))
	b := store.Batch{Entities: []graph.Entity{f1, f3}}
	aws := hostEntity("aws_instance", arn, 11)
	aws.Properties["scannedBy"] = "qualys"
	b.Mappings = append(b.Mappings, hostHasFinding(f1.Key, aws, []string{"_type", "_key"}))
	azure := hostEntity("azure_vm", "/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1", 33)
	az := hostHasFinding(f3.Key, azure, []string{"_type", "_key"})
	az.SkipTargetCreation = true
	b.Mappings = append(b.Mappings, az)
	if withDiscovered {
		b.Entities = append(b.Entities, f2)
		b.Mappings = append(b.Mappings, hostHasFinding(f2.Key, hostEntity("discovered_host", discKey, 12688456922), []string{"_class", "qualysQwebHostId"}))
	}
	return b
}

func TestPlaceholderLifecycle(t *testing.T) { eachStore(t, placeholderLifecycle) }

func placeholderLifecycle(t *testing.T, st store.Store) {
	m := newTestMapper(st, nil)
	syncScope(t, st, qualysScope, qualysBatch(true))

	rep := resolve(t, m)
	t.Run("placeholders are created", func(t *testing.T) {
		if rep.PlaceholdersCreated != 2 || rep.MappingsResolved != 3 || rep.Unresolved != 1 {
			t.Fatalf("report = %+v, want 2 placeholders, 3 mappings resolved, 1 unresolved", rep)
		}
		for _, key := range []string{arn, discKey} {
			if e := entity(t, st, store.MapperScope, key); e.Deleted || !e.HasClass("Host") {
				t.Errorf("placeholder %s = %+v, want a live Host", key, e)
			}
		}
		r := liveRel(t, st, fkey("1")+"|has|"+arn)
		if r == nil {
			t.Fatal("Host HAS finding-1 is missing")
		}
		if got, want := endpoints(t, st, r), "mapper/"+arn+" -> "+qualysScope+"/"+fkey("1"); got != want {
			t.Errorf("endpoints = %s, want %s", got, want)
		}
		if r.Type != "aws_instance_has_qualys_host_finding" {
			t.Errorf("type = %s", r.Type)
		}
	})
	t.Run("J1QL sees placeholder hosts", func(t *testing.T) {
		if n := count(t, st, "FIND Host THAT HAS qualys_host_finding"); n != 2 {
			t.Errorf("FIND Host THAT HAS qualys_host_finding = %d hosts, want 2", n)
		}
	})
	t.Run("skipTargetCreation leaves the azure VM alone", func(t *testing.T) {
		if _, err := st.GetEntity(t.Context(), store.MapperScope, "/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1"); err == nil {
			t.Error("a placeholder was created for a mapping with skipTargetCreation")
		}
	})

	// An AWS inventory arrives with the EC2 instance and the Azure VM.
	upload := store.UploadScope("cloud")
	syncScope(t, st, upload, store.Batch{Entities: []graph.Entity{
		hostEntity("aws_instance", arn, 0),
		hostEntity("azure_vm", "/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1", 0),
	}})
	rep = resolve(t, m)
	t.Run("the real entity adopts the placeholder", func(t *testing.T) {
		r := liveRel(t, st, fkey("1")+"|has|"+arn)
		if r == nil {
			t.Fatal("Host HAS finding-1 is missing after adoption")
		}
		if got, want := endpoints(t, st, r), upload+"/"+arn+" -> "+qualysScope+"/"+fkey("1"); got != want {
			t.Errorf("endpoints = %s, want %s", got, want)
		}
		if e := entity(t, st, store.MapperScope, arn); !e.Deleted {
			t.Error("the adopted placeholder is still live")
		}
		if rep.PlaceholdersDeleted != 1 {
			t.Errorf("report = %+v, want 1 placeholder deleted", rep)
		}
	})
	t.Run("J1QL sees real hosts", func(t *testing.T) {
		if n := count(t, st, "FIND aws_instance THAT HAS qualys_host_finding"); n != 1 {
			t.Errorf("FIND aws_instance THAT HAS qualys_host_finding = %d hosts, want 1", n)
		}
		if n := count(t, st, "FIND Host THAT HAS qualys_host_finding"); n != 3 {
			t.Errorf("FIND Host THAT HAS qualys_host_finding = %d hosts, want 3", n)
		}
	})
	t.Run("a skipped target links once it exists", func(t *testing.T) {
		key := fkey("3") + "|has|/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1"
		if liveRel(t, st, key) == nil {
			t.Fatal("azure_vm HAS finding-3 is missing")
		}
	})

	// The discovered host's finding goes away: its placeholder goes too.
	syncScope(t, st, qualysScope, qualysBatch(false))
	rep = resolve(t, m)
	t.Run("unreferenced placeholders are deleted", func(t *testing.T) {
		if e := entity(t, st, store.MapperScope, discKey); !e.Deleted {
			t.Error("the discovered host placeholder is still live")
		}
		if liveRel(t, st, fkey("2")+"|has|"+discKey) != nil {
			t.Error("the relationship of the deleted mapping is still live")
		}
		if rep.MappingsDeleted != 1 {
			t.Errorf("report = %+v, want 1 mapping deleted", rep)
		}
	})

	// The inventory drops the EC2 instance: the mapping falls back to a
	// placeholder again.
	syncScope(t, st, upload, store.Batch{Entities: []graph.Entity{
		hostEntity("azure_vm", "/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1", 0),
	}})
	resolve(t, m)
	t.Run("a deleted real target falls back to a placeholder", func(t *testing.T) {
		if e := entity(t, st, store.MapperScope, arn); e.Deleted {
			t.Fatal("no placeholder after the real entity was deleted")
		}
		r := liveRel(t, st, fkey("1")+"|has|"+arn)
		if r == nil {
			t.Fatal("Host HAS finding-1 is missing")
		}
		if got, want := endpoints(t, st, r), "mapper/"+arn+" -> "+qualysScope+"/"+fkey("1"); got != want {
			t.Errorf("endpoints = %s, want %s", got, want)
		}
	})
}

func TestIncrementalResolveDoesNoWorkWhenNothingChanged(t *testing.T) {
	eachStore(t, incrementalResolveDoesNoWorkWhenNothingChanged)
}

func incrementalResolveDoesNoWorkWhenNothingChanged(t *testing.T, st store.Store) {
	m := newTestMapper(st, DefaultRules())
	syncScope(t, st, qualysScope, qualysBatch(true))
	syncScope(t, st, store.UploadScope("intel"), store.Batch{Entities: []graph.Entity{threatIntel("a", int64(100))}})
	first := resolve(t, m)
	if first.MappingsResolved == 0 || first.RulesEvaluated == 0 {
		t.Fatalf("first resolve did nothing: %+v", first)
	}
	check := func(t *testing.T, rep *Report) {
		t.Helper()
		work := rep.MappingsRead + rep.MappingsRechecked + rep.MappingsResolved + rep.TargetsResolved +
			rep.TargetChanges + rep.RulesEvaluated + rep.RelationshipsPut + rep.RelationshipsDeleted +
			rep.PlaceholdersCreated + rep.PlaceholdersUpdated + rep.PlaceholdersDeleted
		if work != 0 || rep.Result != nil {
			t.Errorf("resolve did work: %+v", rep)
		}
	}
	t.Run("second resolve", func(t *testing.T) { check(t, resolve(t, m)) })
	t.Run("after an unchanged re-sync", func(t *testing.T) {
		syncScope(t, st, qualysScope, qualysBatch(true))
		check(t, resolve(t, m))
	})
	t.Run("an entity no mapping can target costs no scan", func(t *testing.T) {
		syncScope(t, st, store.UploadScope("cloud"), store.Batch{Entities: []graph.Entity{hostEntity("aws_instance", "arn:aws:ec2:us-east-1:123456789012:instance/i-unrelated", 0)}})
		rep := resolve(t, m)
		if rep.TargetChanges != 1 || rep.MappingsScanned != 0 || rep.MappingsRechecked != 0 {
			t.Errorf("report = %+v, want 1 target change and no scan", rep)
		}
	})
	t.Run("an arriving entity adopts its placeholder without a scan", func(t *testing.T) {
		syncScope(t, st, store.UploadScope("cloud"), store.Batch{Entities: []graph.Entity{hostEntity("aws_instance", arn, 0)}})
		rep := resolve(t, m)
		if rep.MappingsScanned != 0 || rep.PlaceholdersAdopted != 1 || rep.PlaceholdersDeleted != 1 || rep.RelationshipsPut != 1 {
			t.Errorf("report = %+v, want no scan, 1 placeholder adopted and deleted, 1 relationship moved", rep)
		}
	})
	t.Run("a deleted target is rechecked", func(t *testing.T) {
		syncScope(t, st, store.UploadScope("cloud"), store.Batch{Entities: []graph.Entity{hostEntity("aws_instance", "arn:aws:ec2:us-east-1:123456789012:instance/i-other", 0)}})
		rep := resolve(t, m)
		if rep.MappingsScanned == 0 || rep.MappingsRechecked != 1 || rep.PlaceholdersCreated != 1 {
			t.Errorf("report = %+v, want a scan, 1 mapping rechecked and its placeholder back", rep)
		}
	})
	t.Run("a fresh mapper resumes from the stored cursors", func(t *testing.T) {
		check(t, resolve(t, newTestMapper(st, DefaultRules())))
	})
}
