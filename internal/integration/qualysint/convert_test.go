package qualysint

import (
	"context"
	"fmt"
	"testing"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/qualys"
)

func TestSeverity(t *testing.T) {
	cases := []struct {
		q    int64
		name string
		num  int64
	}{{-1, "informational", 1}, {1, "informational", 1}, {2, "low", 4}, {3, "medium", 6}, {4, "high", 8}, {5, "critical", 10}, {9, "critical", 10}}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.q), func(t *testing.T) {
			name, num := Severity(c.q)
			if name != c.name || num != c.num {
				t.Errorf("Severity(%d) = %s, %d", c.q, name, num)
			}
		})
	}
}

func TestClassifyIP(t *testing.T) {
	cases := map[string]IPClass{
		"10.1.2.3": IPPrivate, "172.20.0.1": IPPrivate, "192.168.1.1": IPPrivate, "127.0.0.1": IPPrivate,
		"100.64.1.1": IPPrivate, "169.254.0.5": IPPrivate, "fe80::1": IPPrivate, "fd00::1": IPPrivate, "::1": IPPrivate,
		"8.8.8.8": IPPublic, "2001:4860::8888": IPPublic, "100.128.0.1": IPPublic, "": IPInvalid, "host": IPInvalid,
	}
	for in, want := range cases {
		if got := ClassifyIP(in); got != want {
			t.Errorf("ClassifyIP(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestPlatform(t *testing.T) {
	cases := map[string]string{
		"Windows 2008 R2": "windows", "Linux 3.10": "linux", "Ubuntu 20.04": "linux", "Mac OS X 10.15": "macos",
		"FreeBSD 12": "unix", "Solaris 11": "unix", "Cisco IOS": "other", "": "",
	}
	for in, want := range cases {
		if got := Platform(in); got != want {
			t.Errorf("Platform(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHostFindingKey(t *testing.T) {
	port, yes, no := int64(3389), true, false
	cases := []struct {
		port  *int64
		proto string
		ssl   *bool
		want  string
	}{
		{&port, "tcp", &yes, "hostId:6506432|port:3389|protocol:tcp|qid:38170|ssl:1"},
		{nil, "", &no, "hostId:6506432|qid:38170|ssl:0"},
		{nil, "", nil, "hostId:6506432|qid:38170"},
	}
	for _, c := range cases {
		if got := HostFindingKey(6506432, c.port, c.proto, 38170, c.ssl); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

// decodeAssets decodes a host-asset fixture with the real client.
func decodeAssets(t *testing.T, name string) []*qualys.HostAsset {
	t.Helper()
	srv := recordingServer(t, map[string]string{"/qps/rest/2.0/search/am/hostasset": fixture(t, name)})
	c, err := qualys.New(qualys.Options{APIURL: srv.URL, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	var out []*qualys.HostAsset
	err = c.HostAssets(context.Background(), qualys.HostAssetParams{HostIDs: []int64{1}}, func(a *qualys.HostAsset) error {
		out = append(out, a)
		return nil
	})
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return out
}

func TestHostTargetFixtures(t *testing.T) {
	cases := map[string]string{
		"ec2-host-assets.xml":   TypeAWSInstance,
		"gcp-host-assets.xml":   TypeGCPInstance,
		"azure-host-assets.xml": TypeAzureVM,
		"list-host-assets.xml":  TypeDiscoveredHost,
	}
	for fixtureName, wantType := range cases {
		t.Run(fixtureName, func(t *testing.T) {
			for _, a := range decodeAssets(t, fixtureName) {
				e, target, err := HostTarget(a)
				if err != nil {
					t.Fatalf("asset %d: %v", a.ID, err)
				}
				if err := graph.ValidateEntity(&e); err != nil {
					t.Errorf("asset %d: %v", a.ID, err)
				}
				if e.Type != wantType {
					t.Errorf("asset %d: type %s, want %s", a.ID, e.Type, wantType)
				}
				if e.Key != target.Key || e.Type != target.Type {
					t.Errorf("asset %d: entity %s/%s, target %s/%s", a.ID, e.Type, e.Key, target.Type, target.Key)
				}
				m := ScansMapping(e, a.QWebHostID)
				if err := graph.ValidateMappedRelationship(&m); err != nil {
					t.Errorf("asset %d: %v", a.ID, err)
				}
				if _, hasState := e.Properties["state"]; hasState {
					if s := e.Properties["state"].(string); s != lower(s) {
						t.Errorf("asset %d: state %q not lower-cased", a.ID, s)
					}
				}
				t.Logf("asset %d → %s %s", a.ID, e.Type, e.Key)
			}
		})
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestEC2PartitionFollowsRegion(t *testing.T) {
	cases := map[string]string{"us-east-1": "arn:aws:", "us-gov-west-1": "arn:aws-us-gov:", "cn-north-1": "arn:aws-cn:"}
	for region, prefix := range cases {
		a := &qualys.HostAsset{ID: 1, QWebHostID: 2, EC2Sources: []qualys.EC2Source{{Region: region, AccountID: "42", InstanceID: "i-1"}}}
		e, _, err := HostTarget(a)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != TypeAWSInstance || e.Key[:len(prefix)] != prefix {
			t.Errorf("%s: %s %s", region, e.Type, e.Key)
		}
		if e.Properties["accountId"] != "000000000042" {
			t.Errorf("account id %v not padded", e.Properties["accountId"])
		}
	}
}

func TestFixedDetectionClosesFinding(t *testing.T) {
	port, ssl := int64(443), false
	h := &qualys.DetectionHost{ID: 77, IP: "10.0.0.7"}
	target := fallbackTarget(h)
	for status, open := range map[string]bool{"New": true, "Active": true, "Re-Opened": true, "Fixed": false} {
		d := &qualys.Detection{QID: 100, Type: "Confirmed", Severity: 4, Port: &port, Protocol: "tcp", SSL: &ssl, Status: status}
		e := HostFinding(h, d, &target, &FindingOptions{})
		if e.Properties["open"] != open {
			t.Errorf("status %s: open=%v", status, e.Properties["open"])
		}
		if e.Key != "hostId:77|port:443|protocol:tcp|qid:100|ssl:0" {
			t.Errorf("key %s", e.Key)
		}
		if err := graph.ValidateEntity(&e); err != nil {
			t.Error(err)
		}
	}
}

func TestHostTagFilter(t *testing.T) {
	a := &qualys.HostAsset{ID: 1, QWebHostID: 2, Tags: []qualys.AssetTag{{ID: 5, Name: "Cloud Agent"}}}
	cases := []struct {
		tags []string
		want bool
	}{{nil, true}, {[]string{"cloud agent"}, true}, {[]string{"DMZ"}, false}}
	for _, c := range cases {
		j := &job{}
		j.inst.Qualys.IncludeOnlyDetectionTags = c.tags
		if got := j.hostTagged(a); got != c.want {
			t.Errorf("tags %v: %v", c.tags, got)
		}
	}
}
