package sim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qgraph/qgraph/internal/qualys"
)

func TestDetectionFilters(t *testing.T) {
	s, c := newPair(t, Options{Hosts: 80, DetectionsPerHost: 10, Seed: 4, NoWebApps: true, Limits: UnlimitedLimits()}, nil)
	ctx := context.Background()
	ids := allHostIDs(t, c, 0)
	tests := []struct {
		name  string
		p     qualys.DetectionParams
		check func(h *qualys.DetectionHost, d qualys.Detection) string
	}{
		{"severities 4-5", qualys.DetectionParams{Severities: []int{4, 5}}, func(_ *qualys.DetectionHost, d qualys.Detection) string {
			if d.Severity < 4 {
				return "severity " + strconv.FormatInt(d.Severity, 10)
			}
			return ""
		}},
		{"fixed only", qualys.DetectionParams{Statuses: []string{"Fixed"}}, func(_ *qualys.DetectionHost, d qualys.Detection) string {
			if d.Status != "Fixed" || d.LastFixed.IsZero() {
				return "status " + d.Status
			}
			return ""
		}},
		{"no IGs by default", qualys.DetectionParams{}, func(_ *qualys.DetectionHost, d qualys.Detection) string {
			if d.Type == "Info" {
				return "an Info detection"
			}
			return ""
		}},
		{"tag PCI", qualys.DetectionParams{IncludeTags: []string{"PCI"}}, func(h *qualys.DetectionHost, _ qualys.Detection) string {
			for _, tg := range h.Tags {
				if tg.Name == "PCI" {
					return ""
				}
			}
			return "host without the PCI tag"
		}},
		{"QIDs", qualys.DetectionParams{QIDs: []int64{38000, 45000, 90000}, ShowIGs: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.HostIDs = ids
			n := 0
			err := c.HostDetections(ctx, tc.p, func(h *qualys.DetectionHost) error {
				for _, d := range h.Detections {
					n++
					if tc.check != nil {
						if why := tc.check(h, d); why != "" {
							t.Errorf("host %d QID %d: %s", h.ID, d.QID, why)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 && tc.name != "QIDs" {
				t.Errorf("no detections matched")
			}
		})
	}
	t.Run("processed window", func(t *testing.T) {
		after := s.Now().Add(-3 * 24 * time.Hour)
		var got []int64
		err := c.ScannedHostIDs(ctx, qualys.HostListParams{ProcessedAfter: after, ProcessedBefore: s.Now()}, func(id int64) error {
			got = append(got, id)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		w := s.world.Load()
		var want []int64
		for i := range w.hostTotal[0] {
			if h := w.hostAt(i); h.processed > after.Unix() && h.processed < s.Now().Unix() {
				want = append(want, h.id)
			}
		}
		if !slices.Equal(got, want) || len(got) == 0 || len(got) == len(ids) {
			t.Errorf("hosts processed in the last 3 days: got %d, want %d of %d", len(got), len(want), len(ids))
		}
	})
}

func TestWASPaging(t *testing.T) {
	s := mustNew(t, Options{Hosts: 5, WebApps: 12, FindingsPerWebApp: 10, Seed: 6, Limits: UnlimitedLimits()})
	ids := func(body []byte, elem string) []string {
		re := regexp.MustCompile(`(?s)<` + elem + `>\s*<id>(\d+)</id>`)
		var out []string
		for _, m := range re.FindAllSubmatch(body, -1) {
			out = append(out, string(m[1]))
		}
		return out
	}
	for _, tc := range []struct{ path, elem string }{{webAppPath, "WebApp"}, {findingPath, "Finding"}, {hostAssetPath, "HostAsset"}} {
		t.Run(tc.elem, func(t *testing.T) {
			_, _, all := get(t, s, "POST", tc.path, "<ServiceRequest><preferences><limitResults>1000</limitResults></preferences></ServiceRequest>")
			want := ids(all, tc.elem)
			if len(want) < 5 {
				t.Fatalf("only %d records", len(want))
			}
			// Offset paging.
			var byOffset []string
			for off := 1; ; off += 3 {
				_, _, b := get(t, s, "POST", tc.path, "<ServiceRequest><preferences><limitResults>3</limitResults><startFromOffset>"+strconv.Itoa(off)+"</startFromOffset></preferences></ServiceRequest>")
				byOffset = append(byOffset, ids(b, tc.elem)...)
				if !strings.Contains(string(b), "<hasMoreRecords>true</hasMoreRecords>") {
					break
				}
			}
			// id GREATER lastId paging.
			var byID []string
			last := "0"
			for {
				_, _, b := get(t, s, "POST", tc.path, `<ServiceRequest><preferences><limitResults>4</limitResults></preferences><filters><Criteria field="id" operator="GREATER">`+last+`</Criteria></filters></ServiceRequest>`)
				page := ids(b, tc.elem)
				byID = append(byID, page...)
				m := regexp.MustCompile(`<lastId>(\d+)</lastId>`).FindSubmatch(b)
				if m == nil {
					break
				}
				if string(m[1]) != page[len(page)-1] {
					t.Fatalf("lastId %s is not the page's last id %s", m[1], page[len(page)-1])
				}
				last = string(m[1])
			}
			if !slices.Equal(byOffset, want) || !slices.Equal(byID, want) {
				t.Errorf("paging: offset %d records, id %d records, one page %d", len(byOffset), len(byID), len(want))
			}
		})
	}
}

func TestFOErrors(t *testing.T) {
	s := mustNew(t, Options{Hosts: 5, Seed: 1})
	tests := []struct {
		name, method, target, body string
		status                     int
		code                       string
		text                       string
	}{
		{"missing action", "GET", hostListPath + "?details=None", "", 400, "1903", "Missing required parameter(s): action"},
		{"unknown parameter", "GET", hostListPath + "?action=list&colour=red", "", 400, "1901", "Unrecognized parameter(s): colour"},
		{"bad date", "GET", hostListPath + "?action=list&vm_processed_after=2020-03-05T23:00:30.123Z", "", 400, "1905", "parameter vm_processed_after has invalid value"},
		{"bad severities", "POST", detectionPath, "action=list&severities=7", 400, "1905", "parameter severities has invalid value: 7"},
		{"bad status", "POST", detectionPath, "action=list&status=Open", 400, "1905", "parameter status has invalid value: Open"},
		{"bad range", "POST", kbPath, "action=list&ids=9-3", 400, "1905", "neither a positive integer nor a range: 9-3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := get(t, s, tc.method, tc.target, tc.body)
			if status != tc.status || !strings.Contains(string(body), "<CODE>"+tc.code+"</CODE>") || !strings.Contains(string(body), tc.text) {
				t.Errorf("got %d %s", status, body)
			}
			if h.Get("X-RateLimit-Limit") == "" {
				t.Errorf("no limit headers on a 400")
			}
		})
	}
	t.Run("no X-Requested-With", func(t *testing.T) {
		req, _ := http.NewRequest("GET", hostListPath+"?action=list", nil)
		req.SetBasicAuth(DefaultUsername, DefaultPassword)
		rec := recorder(s, req)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "X-Requested-With") {
			t.Errorf("got %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("bad password", func(t *testing.T) {
		req, _ := http.NewRequest("GET", hostListPath+"?action=list", nil)
		req.SetBasicAuth(DefaultUsername, "nope")
		req.Header.Set("X-Requested-With", "t")
		rec := recorder(s, req)
		if rec.Code != 401 || !strings.Contains(rec.Body.String(), "<CODE>2000</CODE>") || rec.Header().Get("X-RateLimit-Limit") != "" {
			t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
		}
	})
}

func TestLimitHeaders(t *testing.T) {
	s := mustNew(t, Options{Hosts: 5, Seed: 1, Limits: Limits{Calls: 2, Window: time.Hour, Concurrency: 1}})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.limits.now = func() time.Time { return now }
	for i, want := range []string{"1", "0"} {
		_, h, _ := get(t, s, "GET", hostListPath+"?action=list&details=None", "")
		if h.Get("X-RateLimit-Remaining") != want || h.Get("X-Concurrency-Limit-Running") != "1" || h.Get("X-RateLimit-Window-Sec") != "3600" {
			t.Errorf("call %d: headers %v", i+1, h)
		}
	}
	now = now.Add(10 * time.Minute)
	status, h, body := get(t, s, "GET", hostListPath+"?action=list&details=None", "")
	if status != 409 || !strings.Contains(string(body), "<CODE>1965</CODE>") || h.Get("X-RateLimit-ToWait-Sec") != "3000" ||
		!strings.Contains(string(body), "<KEY>SECONDS_TO_WAIT</KEY>") || h.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("over the rate limit: %d %v %s", status, h, body)
	}
	// Another endpoint has its own window but shares the concurrency limit.
	s.limits.running = 1
	status, h, body = get(t, s, "POST", kbPath, "action=list&ids=38000-38100")
	if status != 409 || !strings.Contains(string(body), "<CODE>1960</CODE>") || h.Get("X-RateLimit-ToWait-Sec") != "0" ||
		!strings.Contains(string(body), "<KEY>CALLS_TO_FINISH</KEY>") {
		t.Errorf("over the concurrency limit: %d %v %s", status, h, body)
	}
	s.limits.running = 0
	now = now.Add(time.Hour)
	if status, _, _ := get(t, s, "GET", hostListPath+"?action=list&details=None", ""); status != 200 {
		t.Errorf("after the window: status %d", status)
	}
	if st := s.Stats(); st.Conflicts[EndpointHostList] != 1 || st.Conflicts[EndpointKB] != 1 {
		t.Errorf("conflict counters %v", st.Conflicts)
	}
	// QPS answers carry no limit headers; both families name the pod.
	if _, h, _ := get(t, s, "GET", portalPath, ""); h.Get("X-RateLimit-Limit") != "" || !strings.HasPrefix(h.Get("X-Powered-By"), "Qualys:") {
		t.Errorf("QPS answer headers: %v", h)
	}
}

func TestStallAndGzip(t *testing.T) {
	spec, _ := ParseFaults("stall:on=1:endpoint=detections:delay=3s")
	_, c := newPair(t, Options{Hosts: 30, DetectionsPerHost: 40, Seed: 2, NoWebApps: true, Limits: UnlimitedLimits(), Faults: spec, Gzip: true},
		func(o *qualys.Options) { o.BodyIdleTimeout = 200 * time.Millisecond })
	ids := allHostIDs(t, c, 0)
	start := time.Now()
	// The stalled page is abandoned after the idle timeout and read again.
	err := c.HostDetections(context.Background(), qualys.DetectionParams{HostIDs: ids, ChunkSize: 10}, func(*qualys.DetectionHost) error { return nil })
	if err != nil {
		t.Fatalf("stalled page: %v, want the client to read it again", err)
	}
	if time.Since(start) > 2500*time.Millisecond {
		t.Errorf("the client waited %v for a stalled body", time.Since(start))
	}
	if st := c.Stats(); st.Total.Fetched < 2 || st.Total.Retried < 1 {
		t.Errorf("gzip pages fetched and retried: %+v", st.Total)
	}
}

func recorder(s *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}
