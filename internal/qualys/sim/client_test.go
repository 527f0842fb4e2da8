package sim

import (
	"context"
	"errors"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/qualys"
)

// newPair starts a simulator and a client against it.
func newPair(t *testing.T, opts Options, mod func(*qualys.Options)) (*Server, *qualys.Client) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	co := qualys.Options{
		APIURL:   ts.URL,
		Username: s.Options().Username,
		Password: s.Options().Password,
		Retry:    qualys.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		Sleep: func(ctx context.Context, d time.Duration) error {
			return ctx.Err() // never wait in tests
		},
		Jitter: func() float64 { return 0.5 },
	}
	if mod != nil {
		mod(&co)
	}
	c, err := qualys.New(co)
	if err != nil {
		t.Fatalf("qualys.New: %v", err)
	}
	return s, c
}

// allHostIDs lists every host ID through the client.
func allHostIDs(t *testing.T, c *qualys.Client, pageSize int) []int64 {
	t.Helper()
	var ids []int64
	err := c.ScannedHostIDs(context.Background(), qualys.HostListParams{PageSize: pageSize}, func(id int64) error {
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		t.Fatalf("ScannedHostIDs: %v", err)
	}
	return ids
}

// TestClientEveryEndpoint drives the client through a full pull: every
// endpoint, with pages small enough that every paging mechanism is used.
func TestClientEveryEndpoint(t *testing.T) {
	opts := Options{Hosts: 60, DetectionsPerHost: 6, WebApps: 6, FindingsPerWebApp: 8, Seed: 3, Limits: UnlimitedLimits(), KeepAliveEvery: 3}
	s, c := newPair(t, opts, nil)
	ctx := context.Background()

	pv, err := c.PortalVersion(ctx)
	if err != nil {
		t.Fatalf("PortalVersion: %v", err)
	}
	if pv.VMVersion() == "" || pv.WASVersion() == "" {
		t.Errorf("portal version modules = %v, want VM and WAS versions", pv.Portal)
	}

	ids := allHostIDs(t, c, 7) // WARNING/URL paging, 9 pages
	if want := s.State().Hosts; len(ids) != want {
		t.Fatalf("host IDs: got %d, want %d", len(ids), want)
	}
	if !sort.SliceIsSorted(ids, func(i, j int) bool { return ids[i] < ids[j] }) {
		t.Errorf("host IDs are not ascending")
	}

	assets := map[int64]*qualys.HostAsset{}
	err = c.HostAssets(ctx, qualys.HostAssetParams{HostIDs: ids, ChunkSize: 25, PageSize: 10}, func(a *qualys.HostAsset) error {
		assets[a.QWebHostID] = a
		return nil
	})
	if err != nil {
		t.Fatalf("HostAssets: %v", err)
	}
	if len(assets) != len(ids) {
		t.Errorf("host assets: got %d, want %d", len(assets), len(ids))
	}
	kinds := map[string]int{}
	for _, a := range assets {
		switch {
		case len(a.EC2Sources) > 0:
			kinds["ec2"]++
		case len(a.AzureSources) > 0:
			kinds["azure"]++
		case len(a.GCPSources) > 0:
			kinds["gcp"]++
		default:
			kinds["on-premises"]++
		}
	}
	for _, k := range []string{"ec2", "azure", "gcp", "on-premises"} {
		if kinds[k] == 0 {
			t.Errorf("no %s host among %v", k, kinds)
		}
	}

	statuses := map[string]int{}
	qids := map[int64]bool{}
	hosts := 0
	err = c.HostDetections(ctx, qualys.DetectionParams{HostIDs: ids, ChunkSize: 20, ShowIGs: true, ShowQDS: true,
		ShowQDSFactors: true, ShowReopenedInfo: true, ShowAssetID: true}, func(h *qualys.DetectionHost) error {
		hosts++
		if len(h.Detections) == 0 {
			t.Errorf("host %d has no detections", h.ID)
		}
		if assets[h.ID] == nil || assets[h.ID].ID != h.AssetID {
			t.Errorf("host %d: asset ID %d does not join a host asset", h.ID, h.AssetID)
		}
		for _, d := range h.Detections {
			statuses[d.Status]++
			qids[d.QID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("HostDetections: %v", err)
	}
	if hosts == 0 {
		t.Fatal("no detection hosts")
	}
	for _, st := range []string{"New", "Active", "Fixed", "Re-Opened"} {
		if statuses[st] == 0 {
			t.Errorf("no %s detection among %v", st, statuses)
		}
	}

	webApps := 0
	var appIDs []int64
	err = c.WebApps(ctx, qualys.WebAppParams{PageSize: 2}, func(w *qualys.WebApp) error {
		webApps++
		appIDs = append(appIDs, w.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("WebApps: %v", err)
	}
	if webApps != s.State().WebApps {
		t.Errorf("web apps: got %d, want %d", webApps, s.State().WebApps)
	}
	if n, err := c.CountWebApps(ctx, qualys.WebAppParams{}); err != nil || int(n) != webApps {
		t.Errorf("CountWebApps: %d, %v; want %d", n, err, webApps)
	}
	verbose := 0
	err = c.WebApps(ctx, qualys.WebAppParams{Verbose: true, PageSize: 4}, func(w *qualys.WebApp) error {
		if w.Owner == nil || w.Owner.ID == 0 || w.RiskScore == 0 && w.OS == "" {
			t.Errorf("verbose web app %d lacks owner, risk score or OS", w.ID)
		}
		verbose++
		return nil
	})
	if err != nil || verbose != webApps {
		t.Fatalf("verbose WebApps: %d apps, %v", verbose, err)
	}
	types := map[string]int{}
	err = c.WebAppFindings(ctx, qualys.FindingParams{WebAppIDs: appIDs, ChunkSize: 2, PageSize: 5}, func(f *qualys.Finding) error {
		types[f.Type]++
		if f.QID != 0 {
			qids[f.QID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("WebAppFindings: %v", err)
	}
	for _, ty := range []string{"VULNERABILITY", "INFORMATION_GATHERED"} {
		if types[ty] == 0 {
			t.Errorf("no %s finding among %v", ty, types)
		}
	}
	verboseFindings := 0
	err = c.WebAppFindings(ctx, qualys.FindingParams{WebAppIDs: appIDs[:1], Verbose: true}, func(f *qualys.Finding) error {
		verboseFindings++
		if len(f.CWE) == 0 || len(f.OWASP) == 0 || len(f.WASC) == 0 {
			t.Errorf("verbose finding %d lacks CWE, OWASP or WASC", f.ID)
		}
		return nil
	})
	if err != nil || verboseFindings == 0 {
		t.Fatalf("verbose WebAppFindings: %d findings, %v", verboseFindings, err)
	}
	n, err := c.CountWebAppFindings(ctx, qualys.FindingParams{WebAppIDs: appIDs})
	if err != nil {
		t.Fatalf("CountWebAppFindings: %v", err)
	}
	total := 0
	for _, v := range types {
		total += v
	}
	if int(n) != total {
		t.Errorf("finding count %d, findings listed %d", n, total)
	}

	var want []int64
	for q := range qids {
		want = append(want, q)
	}
	got := 0
	err = c.KnowledgeBase(ctx, qualys.KBParams{QIDs: want, ChunkSize: 40}, func(v *qualys.Vuln) error {
		got++
		if v.Title == "" || v.SeverityLevel < 1 {
			t.Errorf("QID %d: empty title or severity", v.QID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("KnowledgeBase: %v", err)
	}
	if got != len(want) {
		t.Errorf("knowledge base: got %d vulns for %d QIDs", got, len(want))
	}
}

// TestClientRespectsLimits checks that the client stays within the
// simulator's concurrency limit and rides out its rate limit.
func TestClientRespectsLimits(t *testing.T) {
	opts := Options{Hosts: 40, DetectionsPerHost: 3, Seed: 5, NoWebApps: true,
		Limits: Limits{Calls: 1000, Window: time.Hour, Concurrency: 2, OtherRunning: 1}}
	s, c := newPair(t, opts, func(o *qualys.Options) { o.MaxConcurrency = 8 })
	ids := allHostIDs(t, c, 0)
	hosts := 0
	err := c.HostDetections(context.Background(), qualys.DetectionParams{HostIDs: ids, ChunkSize: 4}, func(*qualys.DetectionHost) error {
		hosts++
		return nil
	})
	if err != nil {
		t.Fatalf("HostDetections: %v", err)
	}
	st := s.Stats()
	if st.MaxConcurrent > 2 {
		t.Errorf("simulator saw %d concurrent FO calls, limit 2", st.MaxConcurrent)
	}
	if hosts == 0 {
		t.Errorf("no hosts")
	}
}

// TestClientRateLimit409 makes the simulator refuse calls over its rate
// limit, then checks that the client reports a rate-limit error for them.
func TestClientRateLimit409(t *testing.T) {
	opts := Options{Hosts: 10, Seed: 5, NoWebApps: true, Limits: Limits{Calls: 2, Window: time.Hour, Concurrency: 2}}
	s, c := newPair(t, opts, func(o *qualys.Options) {
		o.Retry.MaxRateLimitAttempts = 2
		o.Retry.MaxWait = 24 * time.Hour
	})
	ctx := context.Background()
	for range 2 {
		allHostIDs(t, c, 0)
	}
	err := c.ScannedHostIDs(ctx, qualys.HostListParams{}, func(int64) error { return nil })
	if !errors.Is(err, qualys.ErrRateLimited) {
		t.Fatalf("third call: got %v, want a rate-limit error", err)
	}
	if s.Stats().Conflicts[EndpointHostList] == 0 {
		t.Errorf("simulator counted no 409")
	}
}

// TestClientFaults injects each fault kind into the detection endpoint and
// checks what the client makes of it.
func TestClientFaults(t *testing.T) {
	tests := []struct {
		name string
		spec string
		// pageError: the faulted page fails (corrupt bodies, wrong content
		// types, refused credentials); otherwise the client retries (cut-off
		// bodies included) and the pull completes.
		pageError bool
		wantErr   error
	}{
		{"5xx", "5xx:on=2:endpoint=detections", false, nil},
		{"reset", "reset:on=2:endpoint=detections", false, nil},
		{"slow", "slow:on=1:endpoint=detections:delay=50ms", false, nil},
		{"409 1965", "409:on=1,2:endpoint=detections:code=1965", false, nil},
		{"409 1960", "409:on=1:endpoint=detections:code=1960", false, nil},
		{"409 empty", "409:on=1:endpoint=detections:code=0", false, nil},
		{"truncate", "truncate:on=2:endpoint=detections", false, nil},
		{"corrupt", "corrupt:on=2:endpoint=detections", true, qualys.ErrMalformed},
		{"hangup", "hangup:on=2:endpoint=detections", false, nil},
		{"truncate every time", "truncate:rate=1:endpoint=detections", true, qualys.ErrMalformed},
		{"html", "html:on=2:endpoint=detections", true, qualys.ErrContentType},
		{"409 2003", "409:on=2:endpoint=detections:code=2003", true, qualys.ErrAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := ParseFaults(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			opts := Options{Hosts: 30, DetectionsPerHost: 30, Seed: 9, NoWebApps: true, Limits: UnlimitedLimits(), Faults: spec}
			s, c := newPair(t, opts, func(o *qualys.Options) { o.MaxConcurrency = 1 })
			ids := allHostIDs(t, c, 0)
			hosts := 0
			err = c.HostDetections(context.Background(), qualys.DetectionParams{HostIDs: ids, ChunkSize: 10, ShowResults: true}, func(*qualys.DetectionHost) error {
				hosts++
				return nil
			})
			if s.Stats().Faults[FaultKind(spec.Rules[0].Kind)] == 0 {
				t.Fatalf("the fault was not injected")
			}
			if !tc.pageError {
				if err != nil {
					t.Fatalf("HostDetections: %v (the client should retry)", err)
				}
				return
			}
			var pe *qualys.PageError
			if !errors.As(err, &pe) && !(tc.wantErr == qualys.ErrAuth && errors.Is(err, qualys.ErrAuth)) {
				t.Fatalf("HostDetections: got %v, want a page error", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("HostDetections: got %v, want it to match %v", err, tc.wantErr)
			}
		})
	}
}

// TestClientAuth checks the credential answers of both API families.
func TestClientAuth(t *testing.T) {
	tests := []struct {
		name    string
		account AccountState
		badPass bool
	}{
		{"wrong password", AccountActive, true},
		{"expired", AccountExpired, false},
		{"no API access", AccountNoAPIAccess, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, c := newPair(t, Options{Hosts: 3, Account: tc.account}, func(o *qualys.Options) {
				if tc.badPass {
					o.Password = "wrong-password"
				}
			})
			ctx := context.Background()
			if _, err := c.PortalVersion(ctx); !errors.Is(err, qualys.ErrAuth) {
				t.Errorf("PortalVersion: got %v, want an auth error", err)
			}
			err := c.ScannedHostIDs(ctx, qualys.HostListParams{}, func(int64) error { return nil })
			if !errors.Is(err, qualys.ErrAuth) {
				t.Errorf("ScannedHostIDs: got %v, want an auth error", err)
			}
		})
	}
}

// TestClientSeesAdvance checks that moving the clock shows up as fixed,
// re-opened and new detections for an incremental pull.
func TestClientSeesAdvance(t *testing.T) {
	opts := Options{Hosts: 80, DetectionsPerHost: 10, Seed: 21, NoWebApps: true, Limits: UnlimitedLimits()}
	s, c := newPair(t, opts, nil)
	ctx := context.Background()
	before := s.Now()
	if err := s.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	ids := allHostIDs(t, c, 0)
	statuses := map[string]int{}
	newOnes := 0
	err := c.HostDetections(ctx, qualys.DetectionParams{HostIDs: ids, UpdatedSince: before, ShowIGs: true}, func(h *qualys.DetectionHost) error {
		for _, d := range h.Detections {
			if d.LastUpdate.Before(before) {
				t.Errorf("host %d QID %d updated %v, before the window", h.ID, d.QID, d.LastUpdate)
			}
			statuses[d.Status]++
			if d.FirstFound.After(before) {
				newOnes++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("HostDetections: %v", err)
	}
	if statuses["Fixed"] == 0 || statuses["Active"] == 0 || statuses["Re-Opened"] == 0 || statuses["New"] == 0 || newOnes == 0 {
		t.Errorf("after a day: statuses %v, %d new detections; want fixed, re-opened, active and new ones", statuses, newOnes)
	}
	if newOnes > statuses["Active"] {
		t.Errorf("after a day: %d new detections, %d active: rescanned hosts should mostly confirm old ones", newOnes, statuses["Active"])
	}
}
