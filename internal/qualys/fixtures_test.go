package qualys

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeHostAssetsDoc decodes a host asset search answer.
func decodeHostAssetsDoc(doc []byte) ([]*HostAsset, qpsMeta, error) {
	x := newXMLReader(bytes.NewReader(doc))
	var out []*HostAsset
	meta, err := qpsPage(x, EndpointHostAssets, func(el xml.StartElement) error {
		if el.Name.Local != "HostAsset" {
			return x.skip()
		}
		a, err := decodeHostAsset(x)
		if err == nil {
			out = append(out, a)
		}
		return err
	})
	return out, meta, err
}

// decodeDetectionsDoc decodes a host detection list answer.
func decodeDetectionsDoc(doc []byte) ([]*DetectionHost, string, error) {
	x := newXMLReader(bytes.NewReader(doc))
	var out []*DetectionHost
	next, err := foPage(x, EndpointHostDetections, "HOST_LIST_VM_DETECTION_OUTPUT", 200, map[string]func(xml.StartElement) error{
		"HOST_LIST": func(el xml.StartElement) error {
			if el.Name.Local != "HOST" {
				return x.skip()
			}
			h, err := decodeDetectionHost(x)
			if err == nil {
				out = append(out, h)
			}
			return err
		},
	})
	return out, next, err
}

func TestFixtureDetections(t *testing.T) {
	t.Parallel()
	doc := readFixture(t, "detections.xml")
	hosts, next, err := decodeDetectionsDoc(doc)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "next", next, "")
	eq(t, "hosts", len(hosts), 1)
	h := hosts[0]
	eq(t, "id", h.ID, int64(6506432))
	eq(t, "os", h.OS, "Windows 2008 R2 Enterprise Service Pack1")
	eq(t, "duration", h.LastVMScannedDuration, int64(352))
	eq(t, "detections", len(h.Detections), 3)
	d := h.Detections[0]
	eq(t, "qid", d.QID, int64(38170))
	eq(t, "port", *d.Port, int64(3389))
	eq(t, "ssl", *d.SSL, true)
	eq(t, "results keep &apos; as sent", d.Results, "Certificate #0 CN=2k8r2-u-10-11(2k8r2-u-10-11) doesn&apos;tresolve")
	eq(t, "multi-line results", h.Detections[1].Results, "Certificate #0 CN=2k8r2-u-10-11\nunable to get local\nissuer certificate")
	eq(t, "first found (split tag)", d.FirstFound.Format("2006-01-02T15:04:05Z"), "2018-01-26T04:45:50Z")
	eq(t, "times found", d.TimesFound, int64(111))
	eq(t, "ignored", d.IsIgnored, false)
	if d.QDS != nil || d.AffectRunningKernel != nil {
		t.Errorf("absent optional elements decoded as present")
	}
	for i, leaves := range xmlLeaves(t, doc, "HOST") {
		checkLeavesCovered(t, "HOST", leaves, hosts[i])
	}
}

func TestFixtureHostAssets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		assets int
		check  func(t *testing.T, a []*HostAsset, m qpsMeta)
	}{
		{"ec2-host-assets.xml", 2, func(t *testing.T, a []*HostAsset, m qpsMeta) {
			eq(t, "no tags (<list />)", len(a[0].Tags), 0)
			s := a[1].EC2Sources[0]
			eq(t, "ec2 tags", len(s.Tags), 6)
			eq(t, "numeric-looking tag value stays a string", s.Tags[5], KeyValue{Key: "Lifecycle", Value: "20171231"})
			eq(t, "spot", s.SpotInstance, true)
			eq(t, "state", s.InstanceState, "STOPPED")
			eq(t, "interface name with newline", a[0].NetworkInterfaces[0].InterfaceName, "Primary network\ninterface")
			eq(t, "empty lists", len(a[0].OpenPorts)+len(a[0].Software)+len(a[0].Vulns)+len(a[0].Volumes)+len(a[0].Accounts)+len(a[0].Processors), 0)
		}},
		{"gcp-host-assets.xml", 2, func(t *testing.T, a []*HostAsset, m qpsMeta) {
			g := a[0].GCPSources[0]
			eq(t, "18-digit instance id kept exactly", g.InstanceID, "215287854144326580")
			eq(t, "19-digit instance id kept exactly", a[1].GCPSources[0].InstanceID, "2152878541443265333")
			eq(t, "projectIdNo", g.ProjectIDNo, "1035365309111")
			eq(t, "empty AssetSource counted", a[0].OtherSources, 1)
			eq(t, "tags", a[0].Tags[1], AssetTag{ID: 107007099, Name: "gcp"})
		}},
		{"azure-host-assets.xml", 2, func(t *testing.T, a []*HostAsset, m qpsMeta) {
			z := a[0].AzureSources[0]
			eq(t, "vmId", z.VMID, "399af5dc-c32a-4c40-95a5-c6ed0e786430")
			eq(t, "azure tag", z.Tags[0], KeyValue{Key: "Owner", Value: "John"})
			eq(t, "date with a newline", a[1].Modified.Format("2006-01-02T15:04:05Z"), "2020-08-05T19:00:23Z")
			eq(t, "state", a[1].AzureSources[0].State, "DEALLOCATED")
		}},
		{"list-host-assets.xml", 2, func(t *testing.T, a []*HostAsset, m qpsMeta) {
			eq(t, "11-digit qwebHostId", a[0].QWebHostID, int64(12688456922))
			eq(t, "lastId", m.lastID, int64(5693290))
			if a[0].Agent == nil {
				t.Fatal("agentInfo not decoded")
			}
			eq(t, "agent status", a[0].Agent.Status, "STATUS_INACTIVE")
			eq(t, "agent config", a[0].Agent.ConfigurationID, int64(8099))
			eq(t, "activation title", a[0].Agent.ActivationTitle, "harshal")
			eq(t, "checked in", a[0].Agent.LastCheckedIn.Format("2006-01-02"), "2016-10-21")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			doc := readFixture(t, tt.file)
			assets, meta, err := decodeHostAssetsDoc(doc)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "assets", len(assets), tt.assets)
			for i, leaves := range xmlLeaves(t, doc, "HostAsset") {
				checkLeavesCovered(t, "HostAsset", leaves, assets[i])
			}
			tt.check(t, assets, meta)
		})
	}
}
