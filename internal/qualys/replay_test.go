package qualys

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/qgraph/qgraph/internal/qualys/qualystest"
)

func recording(name string) string { return filepath.Join(testdataDir, "recordings", name) }

// recordedBodies returns the response bodies of a HAR file.
func recordedBodies(t *testing.T, name string) [][]byte {
	t.Helper()
	entries, err := qualystest.LoadHAR(recording(name))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, e := range entries {
		out = append(out, e.Body)
	}
	return out
}

type replayResult struct {
	records []any
	err     error
}

func TestReplayRecordings(t *testing.T) {
	t.Parallel()
	hostIDs := func(c *Client) replayResult {
		var r replayResult
		r.err = c.ScannedHostIDs(context.Background(), HostListParams{PageSize: 10000}, func(id int64) error {
			r.records = append(r.records, id)
			return nil
		})
		return r
	}
	assets := func(ids ...int64) func(c *Client) replayResult {
		return func(c *Client) replayResult {
			var r replayResult
			r.err = c.HostAssets(context.Background(), HostAssetParams{HostIDs: ids}, func(a *HostAsset) error {
				r.records = append(r.records, a)
				return nil
			})
			return r
		}
	}
	detections := func(ids ...int64) func(c *Client) replayResult {
		return func(c *Client) replayResult {
			var r replayResult
			r.err = c.HostDetections(context.Background(), DetectionParams{HostIDs: ids, ShowIGs: true}, func(h *DetectionHost) error {
				r.records = append(r.records, h)
				return nil
			})
			return r
		}
	}
	kb := func(qids ...int64) func(c *Client) replayResult {
		return func(c *Client) replayResult {
			var r replayResult
			r.err = c.KnowledgeBase(context.Background(), KBParams{QIDs: qids}, func(v *Vuln) error {
				r.records = append(r.records, v)
				return nil
			})
			return r
		}
	}
	webapps := func(p WebAppParams) func(c *Client) replayResult {
		return func(c *Client) replayResult {
			var r replayResult
			r.err = c.WebApps(context.Background(), p, func(w *WebApp) error {
				r.records = append(r.records, w)
				return nil
			})
			return r
		}
	}
	findings := func(ids ...int64) func(c *Client) replayResult {
		return func(c *Client) replayResult {
			var r replayResult
			r.err = c.WebAppFindings(context.Background(), FindingParams{WebAppIDs: ids}, func(f *Finding) error {
				r.records = append(r.records, f)
				return nil
			})
			return r
		}
	}
	portal := func(c *Client) replayResult {
		pv, err := c.PortalVersion(context.Background())
		if err != nil {
			return replayResult{err: err}
		}
		return replayResult{records: []any{pv}}
	}
	scanned := true
	then := func(a, b func(*Client) replayResult) func(*Client) replayResult {
		return func(c *Client) replayResult {
			if r := a(c); r.err != nil {
				return r
			}
			return b(c)
		}
	}

	tests := []struct {
		har     string
		run     func(*Client) replayResult
		records int
		// item is the XML element of one record in the last response,
		// for the field coverage check ("" skips it).
		item         string
		status       int
		code         int
		responseCode string
		auth         bool
		check        func(t *testing.T, recs []any)
	}{
		{har: "verifyAuthentication.har", run: portal, records: 1, check: func(t *testing.T, recs []any) {
			pv := recs[0].(*PortalVersion)
			eq(t, "VMVersion", pv.VMVersion(), "2.11.0")
			eq(t, "WASVersion", pv.WASVersion(), "1.1.0.0-2")
			eq(t, "WAF__V3", pv.Portal["WAF__V3-VERSION"], "3.0.4.0")
			eq(t, "AV2", pv.Portal["AV2-VERSION"], "0.1.0")
			eq(t, "vulnsigs", pv.QWeb["VULNSIGS-VERSION"], "2.5.484-3")
			eq(t, "modules", len(pv.Portal), 29)
		}},
		{har: "executeAPIRequest409rateLimit.har", run: portal, records: 1},
		{har: "fetchPortalInfo.har", run: portal, records: 1, check: func(t *testing.T, recs []any) {
			pv := recs[0].(*PortalVersion)
			eq(t, "VMVersion (old VM-VERSION name)", pv.VMVersion(), "1.0.3")
			eq(t, "app", pv.ApplicationVersion(), "3.1.2.0-2 OFFICIAL #597 (2020-09-15T15:54:59Z)")
		}},
		{har: "verifyAuthenticationInaccesible.har", run: portal, status: 200, responseCode: "INVALID_CREDENTIALS", auth: true},
		{har: "fetchScannedHostIds.har", run: hostIDs, records: 1, check: func(t *testing.T, recs []any) {
			eq(t, "id", recs[0].(int64), int64(107800671))
		}},
		{har: "fetchScannedHostIdsNone.har", run: hostIDs, records: 0},
		{har: "iterateHostDetails.har", run: then(hostIDs, assets(107800671)), records: 1, item: "HostAsset", check: func(t *testing.T, recs []any) {
			a := recs[0].(*HostAsset)
			eq(t, "id", a.ID, int64(84047683))
			eq(t, "qwebHostId", a.QWebHostID, int64(107800671))
			eq(t, "tracking", a.TrackingMethod, "INSTANCE_ID")
			eq(t, "ec2 sources", len(a.EC2Sources), 1)
			s := a.EC2Sources[0]
			eq(t, "accountId", s.AccountID, "123456789012")
			eq(t, "instanceId", s.InstanceID, "i-02751173c463c34e8")
			eq(t, "ec2 tags (empty list)", len(s.Tags), 0)
			eq(t, "interfaces", len(a.NetworkInterfaces), 2)
			eq(t, "interface type", a.NetworkInterfaces[1].Type, "PUBLIC")
			eq(t, "created", a.Created.Format("2006-01-02T15:04:05Z"), "2020-09-25T00:50:27Z")
			eq(t, "docker", a.IsDockerHost, false)
		}},
		{har: "iterateHostDetailsBadId.har", run: assets(123), status: 200, responseCode: "INVALID_REQUEST"},
		{har: "iterateHostDetailsUnknownId.har", run: assets(123), records: 0},
		{har: "iterateHostDetections.har", run: then(hostIDs, detections(107800671)), records: 0},
		{har: "iterateHostDetectionsBadId.har", run: detections(123), status: 400, code: 1905},
		{har: "iterateHostDetectionsUnknownId.har", run: detections(123), records: 0},
		{har: "iterateVulnerabilities.har", run: kb(316760), records: 1, item: "VULN", check: func(t *testing.T, recs []any) {
			v := recs[0].(*Vuln)
			eq(t, "qid", v.QID, int64(316760))
			eq(t, "type", v.VulnType, "Vulnerability or Potential Vulnerability")
			eq(t, "severity", v.SeverityLevel, int64(3))
			eq(t, "patchable", v.Patchable, true)
			eq(t, "pci", v.PCIFlag, true)
			eq(t, "remote", v.Discovery.Remote, true)
			eq(t, "auth types", len(v.Discovery.AuthTypes), 3)
			eq(t, "cves", len(v.CVEs), 1)
			eq(t, "cve", v.CVEs[0].ID, "CVE-2020-3403")
			eq(t, "software", v.Software[0], Software{Product: "ios_xe", Vendor: "cisco"})
			contains(t, "diagnosis keeps HTML and entity text", v.Diagnosis, `using &quot;show version&quot; command. <BR>`)
			contains(t, "consequence kept as sent", v.Consequence, " A successful exploit")
			eq(t, "published", v.Published.Format("2006-01-02T15:04:05Z"), "2020-10-07T12:11:44Z")
		}},
		{har: "iterateVulnerabilitiesBadId.har", run: kb(123), status: 400, code: 1905},
		{har: "iterateVulnerabilitiesUnknownId.har", run: kb(123), records: 0},
		{har: "iterateWebAppFindingsBadId.har", run: findings(123), status: 200, responseCode: "INVALID_REQUEST"},
		{har: "iterateWebAppFindingsUnknownId.har", run: findings(123), records: 0},
		{har: "iterateWebApps.har", run: webapps(WebAppParams{Scanned: &scanned}), records: 7, item: "WebApp", check: func(t *testing.T, recs []any) {
			w := recs[5].(*WebApp)
			eq(t, "id", w.ID, int64(251316885))
			eq(t, "name", w.Name, "Juice Shop")
			eq(t, "url", w.URL, "http://d218uuknkwwh79.cloudfront.net/#/")
			eq(t, "owner", w.Owner.ID, int64(17729931))
			eq(t, "tag count", w.TagCount, int64(0))
		}},
		{har: "fetchScannedWebAppIds.har", run: webapps(WebAppParams{Scanned: &scanned}), records: 7, item: "WebApp"},
		{har: "fetchScannedWebAppIdsNone.har", run: webapps(WebAppParams{Scanned: &scanned}), records: 0},
		{har: "iterateWebAppsFiltered.har", run: webapps(WebAppParams{Scanned: &scanned, IDs: []int64{238483927}}), records: 1, item: "WebApp"},
		{har: "iterateWebAppsFilteredNotFound.har", run: webapps(WebAppParams{Scanned: &scanned, IDs: []int64{1234}}), records: 0},
		{har: "iterateWebAppsInvalidFilterValue.har", run: webapps(WebAppParams{Scanned: &scanned}), status: 200, responseCode: "INVALID_REQUEST"},
		{har: "iterateWebAppsPagination.har", run: webapps(WebAppParams{PageSize: 1}), records: 7, check: func(t *testing.T, recs []any) {
			eq(t, "first", recs[0].(*WebApp).ID, int64(238483924))
			eq(t, "last", recs[6].(*WebApp).ID, int64(251316904))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.har, func(t *testing.T) {
			t.Parallel()
			srv := qualystest.NewHARServer(t, recording(tt.har))
			c, _, _ := newTestClient(t, srv.URL, nil)
			r := tt.run(c)
			if un := srv.Unmatched(); len(un) > 0 {
				t.Fatalf("requests without a recorded entry: %+v", un[0])
			}
			if tt.status != 0 {
				var ae *APIError
				if !errors.As(r.err, &ae) {
					t.Fatalf("error = %v, want an *APIError", r.err)
				}
				eq(t, "status", ae.StatusCode, tt.status)
				eq(t, "code", ae.Code, tt.code)
				eq(t, "responseCode", ae.ResponseCode, tt.responseCode)
				eq(t, "is auth", errors.Is(r.err, ErrAuth), tt.auth)
				if ae.Text == "" {
					t.Errorf("APIError has no text")
				}
				noSecret(t, r.err)
				return
			}
			if r.err != nil {
				t.Fatalf("error: %v", r.err)
			}
			eq(t, "records", len(r.records), tt.records)
			if tt.item != "" && len(r.records) > 0 {
				bodies := recordedBodies(t, tt.har)
				leaves := xmlLeaves(t, bodies[len(bodies)-1], tt.item)
				eq(t, "recorded items", len(leaves), len(r.records))
				for i := range min(len(leaves), len(r.records)) {
					checkLeavesCovered(t, tt.item, leaves[i], r.records[i])
				}
			}
			if tt.check != nil && len(r.records) == tt.records {
				tt.check(t, r.records)
			}
			for _, req := range srv.Requests() {
				if u, p, ok := basicAuth(req.Header.Get("Authorization")); !ok || u != "qgtest1" || p != testPassword {
					t.Errorf("request without the Basic credentials: %s %s", req.Method, req.Path)
				}
				if req.Header.Get("X-Requested-With") == "" {
					t.Errorf("request without X-Requested-With")
				}
				if ua := req.Header.Get("User-Agent"); len(ua) < 7 || ua[:7] != "qgraph/" {
					t.Errorf("User-Agent = %q, want qgraph/<version>", ua)
				}
			}
		})
	}
}

// TestReplayExpiredAccount serves the recorded "account expired" answer
// (HTTP 200 with SIMPLE_RETURN 2001) to an FO list call.
func TestReplayExpiredAccount(t *testing.T) {
	t.Parallel()
	entries, err := qualystest.LoadHAR(recording("verifyAuthenticationExpired.har"))
	if err != nil {
		t.Fatal(err)
	}
	entries[0].Path = pathHostList
	srv := qualystest.NewServer(entries)
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	err = c.ScannedHostIDs(context.Background(), HostListParams{}, func(int64) error { return nil })
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want *APIError", err)
	}
	eq(t, "code", ae.Code, 2001)
	eq(t, "status", ae.StatusCode, 200)
	eq(t, "text", ae.Text, "This account has expired.")
	eq(t, "is auth", errors.Is(err, ErrAuth), true)
	var pe *PageError
	eq(t, "is page error", errors.As(err, &pe), true)
}
